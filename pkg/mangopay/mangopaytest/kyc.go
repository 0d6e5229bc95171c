package mangopaytest

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
)

// KYC page limits (§5.3).
const (
	maxPages       = 5
	maxPageBytes   = 7 << 20
	minIdentityLen = 32 << 10
	minOtherLen    = 1 << 10
)

var kycTypes = []string{"IDENTITY_PROOF", "REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION", "SHAREHOLDER_DECLARATION", "ADDRESS_PROOF"}

// refusals maps the sandbox Tags to RefusedReasonType (§5.4). The guide
// prints refuse_unreadable's reason as "UNREADABLE"; the fake uses the
// documented enum value DOCUMENT_UNREADABLE.
var refusals = map[string]string{
	"refuse_unreadable":         "DOCUMENT_UNREADABLE",
	"refuse_not_accepted":       "DOCUMENT_NOT_ACCEPTED",
	"refuse_expired":            "DOCUMENT_HAS_EXPIRED",
	"refuse_incomplete":         "DOCUMENT_INCOMPLETE",
	"refuse_missing":            "DOCUMENT_MISSING",
	"refuse_no_user_data_match": "DOCUMENT_DO_NOT_MATCH_USER_DATA",
	"refuse_falsified":          "DOCUMENT_FALSIFIED",
	"refuse_underage":           "UNDERAGE_PERSON",
	"refuse_specific_case":      "SPECIFIC_CASE",
}

// kycDoc is a KYC document.
type kycDoc struct {
	Type   string   `json:"Type"`
	UserId string   `json:"UserId"`
	Flags  []string `json:"Flags"`
	entityBase
	ProcessedDate        *int64  `json:"ProcessedDate"`
	Status               string  `json:"Status"`
	RefusedReasonType    *string `json:"RefusedReasonType"`
	RefusedReasonMessage *string `json:"RefusedReasonMessage"`
	pages                int
	submittedAt          int64
}

func (d *kycDoc) view() any { return d }

// typeAllowed checks the document Type against the user (§5.2).
func typeAllowed(u *user, typ string) string {
	if u.PersonType == "NATURAL" {
		if slices.Contains([]string{"REGISTRATION_PROOF", "ARTICLES_OF_ASSOCIATION", "SHAREHOLDER_DECLARATION"}, typ) {
			return typ + " cannot be submitted for NATURAL_PERSON user"
		}
		return ""
	}
	if typ == "ADDRESS_PROOF" {
		return typ + " cannot be submitted for LEGAL_PERSON user"
	}
	if typ == "ARTICLES_OF_ASSOCIATION" && strOr(u.LegalPersonType) == "SOLETRADER" {
		return typ + " cannot be submitted for SOLETRADER user"
	}
	return ""
}

// createDocument is POST /users/{id}/kyc/documents.
func (s *Server) createDocument(c *call) *reply {
	st := s.st
	u, rep := s.getUserOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	var in struct {
		Type *string `json:"Type"`
		Tag  *string `json:"Tag"`
	}
	errs := decodeBody(c.body, &in)
	checkEnum(errs, "Type", in.Type, true, kycTypes...)
	checkTag(errs, in.Tag)
	if in.Type != nil && errs["Type"] == "" {
		if msg := typeAllowed(u, *in.Type); msg != "" {
			errs.add("Type", msg)
		}
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	d := &kycDoc{Type: *in.Type, UserId: u.Id, Flags: []string{}, Status: "CREATED", entityBase: st.base("kyc_", in.Tag)}
	st.docs.add(d)
	s.emit("KYC_CREATED", d.Id, d.CreationDate)
	return jsonReply(http.StatusOK, d)
}

// userDoc finds a document of a user for path Ids.
func (s *Server) userDoc(c *call) (*kycDoc, *reply) {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return nil, rep
	}
	d, ok := s.st.docs.get(c.param("doc"))
	if !ok || d.UserId != c.param("id") {
		return nil, s.st.notFound("KycDocument", c.param("doc"))
	}
	return d, nil
}

func (s *Server) getUserDocument(c *call) *reply {
	d, rep := s.userDoc(c)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, d)
}

func (s *Server) getDocument(c *call) *reply {
	d, ok := s.st.docs.get(c.param("doc"))
	if !ok {
		return s.st.notFound("KycDocument", c.param("doc"))
	}
	return jsonReply(http.StatusOK, d)
}

func (s *Server) listDocs(c *call, userID string) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.docs.list, func(d *kycDoc) bool {
		return (userID == "" || d.UserId == userID) && o.keep(d, "Status", d.Status, "Type", d.Type)
	}))
}

func (s *Server) listDocuments(c *call) *reply { return s.listDocs(c, "") }

func (s *Server) listUserDocuments(c *call) *reply {
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return rep
	}
	return s.listDocs(c, c.param("id"))
}

// createPage is POST .../documents/{doc}/pages: {"File": base64} -> 204.
func (s *Server) createPage(c *call) *reply {
	st := s.st
	d, rep := s.userDoc(c)
	if rep != nil {
		return rep
	}
	if d.Status != "CREATED" {
		return st.badRequest("invalid_action", "Pages can only be added to a document in CREATED status")
	}
	if d.pages >= maxPages {
		return st.badRequest("max_page_number", "Maximum number of pages exceeded. You can only add up to 5 pages to this document")
	}
	var in struct {
		File *string `json:"File"`
	}
	errs := decodeBody(c.body, &in)
	if len(errs) == 0 && (in.File == nil || *in.File == "") {
		errs.required("File")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	data, err := base64.StdEncoding.DecodeString(*in.File)
	if err != nil {
		return st.paramError1("File", "Invalid length for a Base-64 char array or string.")
	}
	if rep := st.checkPage(d, data); rep != nil {
		return rep
	}
	d.pages++
	st.pages++
	return &reply{status: http.StatusNoContent}
}

// checkPage enforces size (413 / too small) and format (415).
func (st *state) checkPage(d *kycDoc, data []byte) *reply {
	if len(data) > maxPageBytes {
		return st.apiError(http.StatusRequestEntityTooLarge, "param_error", msgParamError,
			map[string]string{"File": "The file is too large (maximum 7 MB)"})
	}
	if !isAcceptedFile(data) {
		return st.apiError(http.StatusUnsupportedMediaType, "param_error", msgParamError,
			map[string]string{"File": "The file format is not supported (PDF, JPEG, JPG or PNG only)"})
	}
	minLen := minOtherLen
	if d.Type == "IDENTITY_PROOF" {
		minLen = minIdentityLen
	}
	if len(data) < minLen {
		return st.paramError1("File", "The file is too small to be readable")
	}
	return nil
}

// isAcceptedFile sniffs PDF, JPEG and PNG magic bytes.
func isAcceptedFile(b []byte) bool {
	return bytes.HasPrefix(b, []byte("%PDF")) || bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) ||
		bytes.HasPrefix(b, []byte{0x89, 0x50, 0x4E, 0x47})
}

// submitDocument is PUT .../documents/{doc} with {"Status":"VALIDATION_ASKED"}.
func (s *Server) submitDocument(c *call) *reply {
	st := s.st
	d, rep := s.userDoc(c)
	if rep != nil {
		return rep
	}
	var in struct {
		Status *string `json:"Status"`
		Tag    *string `json:"Tag"`
	}
	errs := decodeBody(c.body, &in)
	checkEnum(errs, "Status", in.Status, true, "VALIDATION_ASKED")
	checkTag(errs, in.Tag)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if d.Status != "CREATED" {
		return st.badRequest("invalid_action", "Only a document in CREATED status can be submitted")
	}
	if d.pages == 0 {
		return st.badRequest("invalid_action", "The document has no page: add at least one page before asking for validation")
	}
	if in.Tag != nil {
		d.Tag = in.Tag
	}
	d.Status, d.submittedAt = "VALIDATION_ASKED", st.unix()
	s.emit("KYC_VALIDATION_ASKED", d.Id, d.submittedAt)
	return jsonReply(http.StatusOK, d)
}

// decideDocument applies the sandbox outcome of the Tag at time at.
func (s *Server) decideDocument(d *kycDoc, at int64) {
	d.ProcessedDate = ptr(at)
	reason, refused := refusals[strOr(d.Tag)]
	if refused {
		d.Status, d.RefusedReasonType = "REFUSED", ptr(reason)
		s.emit("KYC_FAILED", d.Id, at)
		return
	}
	d.Status = "VALIDATED"
	s.emit("KYC_SUCCEEDED", d.Id, at)
	if u, ok := s.st.users.get(d.UserId); ok {
		*proofField(u, d.Type) = ptr(d.Id)
		s.upgradeKYC(u)
	}
}

// proofField is the user field that points at a validated document.
func proofField(u *user, typ string) **string {
	var sink *string
	if u.naturalFields != nil {
		switch typ {
		case "IDENTITY_PROOF":
			return &u.ProofOfIdentity
		case "ADDRESS_PROOF":
			return &u.ProofOfAddress
		}
		return &sink
	}
	switch typ {
	case "IDENTITY_PROOF":
		return &u.LegalRepresentativeProofOfIdentity
	case "REGISTRATION_PROOF":
		return &u.ProofOfRegistration
	case "ARTICLES_OF_ASSOCIATION":
		return &u.Statute
	case "SHAREHOLDER_DECLARATION":
		return &u.ShareholderDeclaration
	}
	return &sink
}

// requiredDocs is what makes a user REGULAR (§4.7).
func requiredDocs(u *user) []string {
	if u.PersonType == "NATURAL" {
		return []string{"IDENTITY_PROOF"}
	}
	need := []string{"IDENTITY_PROOF", "REGISTRATION_PROOF"}
	if t := strOr(u.LegalPersonType); t == "BUSINESS" || t == "PARTNERSHIP" {
		need = append(need, "ARTICLES_OF_ASSOCIATION")
	}
	return need
}

func (st *state) kycSatisfied(u *user) bool {
	for _, typ := range requiredDocs(u) {
		if !slices.ContainsFunc(st.docs.list, func(d *kycDoc) bool {
			return d.UserId == u.Id && d.Type == typ && d.Status == "VALIDATED"
		}) {
			return false
		}
	}
	return true
}

// upgradeKYC makes an OWNER REGULAR once its documents suffice.
func (s *Server) upgradeKYC(u *user) {
	if u.isOwner() && u.KYCLevel != "REGULAR" && s.st.kycSatisfied(u) {
		s.setKYCLevel(u, "REGULAR", s.st.unix())
	}
}

// outdateDocuments marks the user's validated documents of a type
// OUT_OF_DATE (KYC_OUTDATED) and clears the user's proof field.
func (s *Server) outdateDocuments(u *user, typ string) {
	for _, d := range s.st.docs.list {
		if d.UserId == u.Id && d.Type == typ && d.Status == "VALIDATED" {
			d.Status = "OUT_OF_DATE"
			s.emit("KYC_OUTDATED", d.Id, s.st.unix())
		}
	}
	*proofField(u, typ) = nil
}

// SettleDocument decides a VALIDATION_ASKED document by its Tag (sandbox
// table of §5.4; an unknown or empty Tag validates it).
func (s *Server) SettleDocument(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.st.docs.get(id)
	if !ok {
		return errNotFound("document", id)
	}
	if d.Status != "VALIDATION_ASKED" {
		return errBadState("document", id, d.Status)
	}
	s.decideDocument(d, s.st.unix())
	return nil
}

// SettleAllDocuments decides every VALIDATION_ASKED document and returns how
// many there were.
func (s *Server) SettleAllDocuments() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.st.docs.list {
		if d.Status == "VALIDATION_ASKED" {
			s.decideDocument(d, s.st.unix())
			n++
		}
	}
	return n
}
