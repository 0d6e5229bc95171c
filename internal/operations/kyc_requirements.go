package operations

import (
	"context"
	"slices"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// KYCRequirementsInput is GET /users/{user_id}/kyc-requirements.
type KYCRequirementsInput struct {
	UserID string `json:"user_id"`
}

// Validate checks the id.
func (in *KYCRequirementsInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
}

// States of a document type in KYCRequirements.
const (
	// KYCValidated: a document of this type is VALIDATED.
	KYCValidated = "VALIDATED"
	// KYCPending: a document is in review (VALIDATION_ASKED).
	KYCPending = "PENDING"
	// KYCNotSubmitted: a document was created but validation was not asked
	// for yet (add its pages, then submit it).
	KYCNotSubmitted = "NOT_SUBMITTED"
	// KYCReupload: the latest document was REFUSED or is OUT_OF_DATE; a new
	// document must be uploaded (RefusedReason* say why).
	KYCReupload = "REUPLOAD"
	// KYCMissing: no document of this type.
	KYCMissing = "MISSING"
)

// KYCRequirements is what a user still needs for Mangopay's REGULAR
// level (django-mangopay's required_documents_types_that_need_to_be_reuploaded
// and regular-authentication helpers).
type KYCRequirements struct {
	UserID          string `json:"user_id"`
	ExternalUserID  string `json:"external_user_id"`
	UserCategory    string `json:"user_category"`
	PersonType      string `json:"person_type"` // NATURAL | LEGAL
	LegalPersonType string `json:"legal_person_type,omitempty"`
	// KYCLevel is Mangopay's, read now: LIGHT or REGULAR.
	KYCLevel string `json:"kyc_level"`
	// CanPayOut: a REGULAR OWNER.
	CanPayOut bool `json:"can_pay_out"`
	// Complete: every required document type is VALIDATED.
	Complete bool `json:"complete"`
	// ToUpload lists the required types that are MISSING or to REUPLOAD:
	// what the user must provide now.
	ToUpload []string `json:"to_upload"`
	// Documents has one entry per required type, then per other type the
	// user has documents of (or that is worth knowing about).
	Documents []KYCDocumentRequirement `json:"documents"`
	Notes     []string                 `json:"notes,omitempty"`
}

// KYCDocumentRequirement is the state of one document type for a user.
type KYCDocumentRequirement struct {
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// State is VALIDATED, PENDING, NOT_SUBMITTED, REUPLOAD or MISSING.
	State string `json:"state"`
	// DocumentID and Status name the document that decides State.
	DocumentID           string `json:"document_id,omitempty"`
	Status               string `json:"status,omitempty"`
	RefusedReasonType    string `json:"refused_reason_type,omitempty"`
	RefusedReasonMessage string `json:"refused_reason_message,omitempty"`
}

// GetKYCRequirements refreshes the user and its documents in review from
// Mangopay, then says what the user still needs.
func (s *Service) GetKYCRequirements(ctx context.Context, in *KYCRequirementsInput, _ api.Call) (api.Result, error) {
	user, err := s.synced(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return api.Result{}, err
	}
	if user, err = s.refreshUser(ctx, user); err != nil {
		return api.Result{}, err
	}
	docs, err := s.userDocuments(ctx, user)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(kycRequirements(user, docs)), nil
}

// userDocuments lists the user's document records (those whose ParentID
// is the user's record, through by_parent), oldest first, with those in
// review refreshed from Mangopay (a decision may not have reached the
// record yet).
func (s *Service) userDocuments(ctx context.Context, user *records.Record) ([]*records.Record, error) {
	var docs []*records.Record
	token := ""
	for {
		list, next, err := s.Records.ListByParent(ctx, user.ID, records.KindDocument, records.MaxPageSize, token)
		if err != nil {
			return nil, err
		}
		for i := range list {
			docs = append(docs, &list[i])
		}
		if next == "" {
			break
		}
		token = next
	}
	for i, d := range docs {
		if d.Status == mangopay.KYCStatusValidationAsked && d.MangopayID != "" {
			fresh, err := s.refreshDocument(ctx, d)
			if err != nil {
				return nil, err
			}
			docs[i] = fresh
		}
	}
	return docs, nil
}

// requiredDocumentTypes are the types Mangopay needs to make a user
// REGULAR (§4.7), and the types worth listing though not required.
func requiredDocumentTypes(user *records.Record) (required, informational []string) {
	if user.Kind == records.KindUserNatural {
		return []string{mangopay.KYCDocumentTypeIdentityProof}, nil
	}
	required = []string{mangopay.KYCDocumentTypeIdentityProof, mangopay.KYCDocumentTypeRegistrationProof}
	switch user.User.LegalPersonType {
	case mangopay.LegalPersonTypeBusiness, mangopay.LegalPersonTypePartnership:
		required = append(required, mangopay.KYCDocumentTypeArticlesOfAssociation)
		informational = []string{mangopay.KYCDocumentTypeShareholderDeclaration}
	}
	return required, informational
}

// kycRequirements works out the requirements from a refreshed user and
// its documents (oldest first).
func kycRequirements(user *records.Record, docs []*records.Record) KYCRequirements {
	u := user.User
	if u == nil {
		u = &records.User{}
	}
	out := KYCRequirements{UserID: user.ID, ExternalUserID: user.OwnerRef, UserCategory: u.UserCategory,
		PersonType: "NATURAL", KYCLevel: u.KYCLevel, ToUpload: []string{}}
	if user.Kind == records.KindUserLegal {
		out.PersonType, out.LegalPersonType = "LEGAL", u.LegalPersonType
	}
	owner := u.UserCategory == mangopay.UserCategoryOwner
	out.CanPayOut = owner && u.KYCLevel == mangopay.KYCLevelRegular
	required, informational := requiredDocumentTypes(user)
	listed := map[string]bool{}
	out.Complete = true
	for _, typ := range required {
		req := documentRequirement(typ, true, docs)
		out.Documents = append(out.Documents, req)
		listed[typ] = true
		if req.State != KYCValidated {
			out.Complete = false
		}
		if req.State == KYCMissing || req.State == KYCReupload {
			out.ToUpload = append(out.ToUpload, typ)
		}
	}
	others := slices.Concat(informational, KYCDocumentTypes())
	for _, typ := range others {
		if listed[typ] {
			continue
		}
		listed[typ] = true
		req := documentRequirement(typ, false, docs)
		if req.State != KYCMissing || slices.Contains(informational, typ) {
			out.Documents = append(out.Documents, req)
		}
	}
	if !owner {
		out.Notes = append(out.Notes, "only an OWNER can be verified and pay out: update the user to user_category OWNER (with the terms accepted) first")
	}
	if len(informational) > 0 {
		out.Notes = append(out.Notes, "a "+u.LegalPersonType+" also needs a UBO declaration (ultimate beneficial owners) at Mangopay; it is not handled by these functions")
	}
	if out.Complete && !out.CanPayOut && owner {
		out.Notes = append(out.Notes, "every required document is validated but Mangopay has not made the user REGULAR yet: read the requirements again later")
	}
	return out
}

// documentRequirement decides the state of one type: a validated document
// wins, then one in review, then a draft newer than any refusal, then a
// refusal (re-upload); otherwise the type is missing. Documents Mangopay
// refused to create (FAILED records) do not count.
func documentRequirement(typ string, required bool, docs []*records.Record) KYCDocumentRequirement {
	var validated, pending, draft, refusedDoc *records.Record
	for _, d := range docs {
		if d.Document == nil || d.Document.Type != typ || d.SyncState == records.SyncFailed {
			continue
		}
		switch d.Status {
		case mangopay.KYCStatusValidated:
			validated = d
		case mangopay.KYCStatusValidationAsked:
			pending = d
		case mangopay.KYCStatusRefused, mangopay.KYCStatusOutOfDate:
			refusedDoc, draft = d, nil // a draft older than a refusal is abandoned
		default: // CREATED, or not yet at Mangopay
			draft = d
		}
	}
	req := KYCDocumentRequirement{Type: typ, Required: required, State: KYCMissing}
	pick := func(state string, d *records.Record) {
		req.State, req.DocumentID, req.Status = state, d.ID, d.Status
	}
	switch {
	case validated != nil:
		pick(KYCValidated, validated)
	case pending != nil:
		pick(KYCPending, pending)
	case draft != nil:
		pick(KYCNotSubmitted, draft)
	case refusedDoc != nil:
		pick(KYCReupload, refusedDoc)
		req.RefusedReasonType, req.RefusedReasonMessage = refusedDoc.Document.RefusedReasonType, refusedDoc.Document.RefusedReasonMessage
	}
	return req
}
