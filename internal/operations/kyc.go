package operations

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// KYC: documents and their pages (functions create-document, add-page,
// submit-document, get-document, create-and-submit-document and
// get-kyc-requirements).
//
// A DOCUMENT record mirrors one Mangopay KYC document: OwnerRef is its
// user's OwnerRef, ParentID its user's record id, Document.PageCount the
// page numbers handed out so far (1 to pages.MaxPages). A PAGE record
// mirrors one file sent to Mangopay: ParentID is its document's record id
// and it is listed under that id. A page goes
//
//	AWAITING_UPLOAD (record written, bytes not yet in S3)
//	  -> STORED (bytes in S3, encrypted, SHA-256 and size recorded)
//	  -> SENT   (accepted by Mangopay; SyncState SYNCED)
//
// and is sent with an Idempotency-Key derived from its record id, so a
// page is never sent twice. A page Mangopay refused, or an upload that
// failed the checks, is SyncState FAILED with the reason in SyncError.

// SubmittedRecheck is how long after asking for validation the re-check
// schedule first polls a document (Mangopay reviews in about 24 h on
// working days; hooks usually tell us sooner).
const SubmittedRecheck = time.Hour

// kycUploadPrefix is where presigned uploads land: uploads/<document
// id>/<page id>. The bucket notifies add-page of objects created under
// this prefix only, so the function's own writes (documents/...) never
// trigger it.
const kycUploadPrefix = "uploads/"

// DocumentTypes are Mangopay's KYC document types.
func KYCDocumentTypes() []string {
	return []string{mangopay.KYCDocumentTypeIdentityProof, mangopay.KYCDocumentTypeRegistrationProof,
		mangopay.KYCDocumentTypeArticlesOfAssociation, mangopay.KYCDocumentTypeShareholderDeclaration,
		mangopay.KYCDocumentTypeAddressProof}
}

// checkDocumentType validates a document type field.
func checkDocumentType(v *validate.Errors, field, typ string) {
	if v.Required(field, typ) {
		v.OneOf(field, typ, KYCDocumentTypes()...)
	}
}

// documentTypeRefusal says why a user cannot have a document of type typ
// (Mangopay's rules, §5.2), or "" when it can.
func documentTypeRefusal(user *records.Record, typ string) string {
	if user.Kind == records.KindUserNatural {
		switch typ {
		case mangopay.KYCDocumentTypeRegistrationProof, mangopay.KYCDocumentTypeArticlesOfAssociation,
			mangopay.KYCDocumentTypeShareholderDeclaration:
			return typ + " is for legal users; a natural user can submit IDENTITY_PROOF or ADDRESS_PROOF"
		}
		return ""
	}
	lpt := ""
	if user.User != nil {
		lpt = user.User.LegalPersonType
	}
	switch {
	case typ == mangopay.KYCDocumentTypeAddressProof:
		return "ADDRESS_PROOF is for natural users; a legal user proves its address with REGISTRATION_PROOF"
	case typ == mangopay.KYCDocumentTypeArticlesOfAssociation && lpt == mangopay.LegalPersonTypeSoletrader:
		return "ARTICLES_OF_ASSOCIATION cannot be submitted for a SOLETRADER"
	}
	return ""
}

// kycUser loads a user that Mangopay knows and checks that it may have a
// document of type typ (400 naming field "type" otherwise).
func (s *Service) kycUser(ctx context.Context, userID, typ string) (*records.Record, error) {
	user, err := s.synced(ctx, userID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return nil, err
	}
	if reason := documentTypeRefusal(user, typ); reason != "" {
		return nil, api.InvalidField("type", "%s", reason)
	}
	return user, nil
}

// documentDraft is the DOCUMENT record of a new document of user.
func documentDraft(user *records.Record, typ, tag string, pageCount int) *records.Record {
	return &records.Record{Kind: records.KindDocument, OwnerRef: user.OwnerRef, ParentID: user.ID, Tag: tag,
		Document: &records.Document{Type: typ, PageCount: pageCount}}
}

// sendDocument creates the document at Mangopay for create.
func (s *Service) sendDocument(user *records.Record, typ, tag string) sendFunc {
	return func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		d, err := s.MP.CreateKYCDocument(ctx, user.MangopayID, &mangopay.KYCDocumentCreate{Type: typ, Tag: tag}, opts...)
		if err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyDocument(r, d) }, nil
	}
}

// applyDocument writes Mangopay's document into the record.
func applyDocument(r *records.Record, m *mangopay.KYCDocument) {
	if r.Document == nil {
		r.Document = &records.Document{}
	}
	r.MangopayID, r.Status, r.Tag = m.ID, m.Status, m.Tag
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	d := r.Document
	d.Type = m.Type
	d.Flags = nil
	if len(m.Flags) > 0 {
		d.Flags = slices.Clone(m.Flags)
	}
	d.ProcessedAt = mangopayTimePtr(m.ProcessedDate)
	d.RefusedReasonType = mangopay.StringValue(m.RefusedReasonType)
	d.RefusedReasonMessage = mangopay.StringValue(m.RefusedReasonMessage)
}

// storeDocument writes Mangopay's latest view of a document into its
// record. A document still in review keeps its re-check time, or gets
// now + SubmittedRecheck when it has none or it has passed; the store
// drops it once the status is final.
func (s *Service) storeDocument(ctx context.Context, rec *records.Record, m *mangopay.KYCDocument, raw json.RawMessage) (*records.Record, error) {
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		applyDocument(r, m)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		if now := s.now(); r.Status == mangopay.KYCStatusValidationAsked && (r.RecheckAt == nil || !r.RecheckAt.After(now)) {
			due := now.Add(SubmittedRecheck)
			r.RecheckAt = &due
		}
		return nil
	})
}

// refreshDocument re-reads a document from Mangopay into its record.
func (s *Service) refreshDocument(ctx context.Context, rec *records.Record) (*records.Record, error) {
	var raw json.RawMessage
	m, err := s.MP.GetKYCDocument(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return nil, err
	}
	return s.storeDocument(ctx, rec, m, raw)
}

// documentUser returns the Mangopay id of a document's user.
func (s *Service) documentUser(ctx context.Context, doc *records.Record) (string, error) {
	user, err := s.synced(ctx, doc.ParentID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return "", fmt.Errorf("the user of document %s: %w", doc.ID, err)
	}
	return user.MangopayID, nil
}

// kycPageID is the record id of page n of a document made by
// create-and-submit-document: derived from the document's id, so every
// retry of the request reads the same page records consistently (the
// by_owner index that lists a document's pages is only eventually
// consistent). It has the shape of a page id: "pag_" and 26 characters.
func kycPageID(docID string, n int) string {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	sum := sha256.Sum256([]byte(docID + "#page#" + strconv.Itoa(n)))
	var b [26]byte
	for i := range b {
		b[i] = crockford[sum[i]&31]
	}
	b[0] = crockford[sum[0]&7] // a ULID's first character carries 3 bits
	return kycPagePrefix + "_" + string(b[:])
}

// kycPagePrefix is the prefix of page record ids ("pag").
var kycPagePrefix, _, _ = strings.Cut(records.NewIDGenerator(nil).New(records.KindPage), "_")

// pageRefusal turns a refusal from package pages into a 400 naming field;
// other errors pass through.
func pageRefusal(field string, err error) error {
	for _, e := range []error{pages.ErrUnsupportedType, pages.ErrTooSmall, pages.ErrTooLarge,
		pages.ErrTooManyPages, pages.ErrUnknownDocType, pages.ErrInvalid} {
		if errors.Is(err, e) {
			return api.InvalidField(field, "%s", strings.TrimPrefix(err.Error(), "pages: "))
		}
	}
	return err
}

// checkPageBytes applies the checks of package pages to a page before
// anything is written: type sniffed from the bytes, size limits of the
// document type, and the page number.
func checkPageBytes(field, docType string, number int, data []byte) error {
	if _, err := pages.Check(docType, number, data); err != nil {
		return pageRefusal(field, err)
	}
	return nil
}
