package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// CreateDocumentInput is POST /users/{user_id}/documents.
type CreateDocumentInput struct {
	UserID string `json:"user_id"`
	// Type is IDENTITY_PROOF, REGISTRATION_PROOF, ARTICLES_OF_ASSOCIATION,
	// SHAREHOLDER_DECLARATION or ADDRESS_PROOF, as the user's kind allows.
	Type string `json:"type"`
	// Tag is free text kept by Mangopay (in the sandbox it decides the
	// review's outcome: "accept", "refuse_unreadable"...).
	Tag string `json:"tag,omitempty"`
}

// Validate checks the fields.
func (in *CreateDocumentInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
	checkDocumentType(v, "type", in.Type)
	checkTag(v, in.Tag)
}

// CreateDocument creates an empty KYC document for a user (pages are
// added with add-page, then submit-document asks for validation).
func (s *Service) CreateDocument(ctx context.Context, in *CreateDocumentInput, call api.Call) (api.Result, error) {
	user, err := s.kycUser(ctx, in.UserID, in.Type)
	if err != nil {
		return api.Result{}, err
	}
	return s.create(ctx, call, documentDraft(user, in.Type, in.Tag, 0), s.sendDocument(user, in.Type, in.Tag))
}

// DocumentInput names a document: POST /documents/{document_id}/submit.
type DocumentInput struct {
	DocumentID string `json:"document_id"`
}

// Validate checks the id.
func (in *DocumentInput) Validate(v *validate.Errors) {
	checkID(v, "document_id", in.DocumentID, records.KindDocument)
}

// SubmitDocument asks Mangopay to review a document that has at least one
// page SENT and none still on its way (awaiting its upload, or stored and
// not yet sent: 409, so a document is never submitted without a page its
// client added; a page whose bytes never arrived is failed by the
// re-check after PageUploadDeadline and no longer holds it up). A document already in review is answered as it is; one that
// was decided cannot be submitted again (409: create a new one).
func (s *Service) SubmitDocument(ctx context.Context, in *DocumentInput, _ api.Call) (api.Result, error) {
	doc, err := s.synced(ctx, in.DocumentID, records.KindDocument)
	if err != nil {
		return api.Result{}, err
	}
	switch doc.Status {
	case mangopay.KYCStatusValidationAsked:
		return api.OK(doc), nil
	case mangopay.KYCStatusCreated:
	default:
		return api.Result{}, api.Conflict(fmt.Sprintf("document %s is %s: a document is submitted once; create a new document to send new pages", doc.ID, doc.Status))
	}
	sent, waiting, unseen, err := s.sentPages(ctx, doc)
	if err != nil {
		return api.Result{}, err
	}
	if len(waiting) > 0 {
		return api.Result{}, api.Conflict(fmt.Sprintf("document %s has pages not yet sent to Mangopay (number %v: awaiting their upload or being sent): wait until they are SENT, or FAILED (their bytes never arrived), before asking for validation", doc.ID, waiting))
	}
	if sent == 0 && !unseen {
		return api.Result{}, noPageSent(doc)
	}
	userMP, err := s.documentUser(ctx, doc)
	if err != nil {
		return api.Result{}, err
	}
	submitted, err := s.askValidation(ctx, doc, userMP)
	if err != nil {
		if sent == 0 && mangopay.IsValidation(err) {
			return api.Result{}, noPageSent(doc)
		}
		return api.Result{}, err
	}
	return api.OK(submitted), nil
}

func noPageSent(doc *records.Record) error {
	return api.Conflict(fmt.Sprintf("document %s has no page sent to Mangopay: add at least one page (POST /documents/%s/pages) and wait for it to be SENT before asking for validation", doc.ID, doc.ID))
}

// sentPages counts the pages of doc that Mangopay has and lists the
// numbers of those still on their way to it (pending, not failed). The
// pages are listed through the by_owner index, which may lag a page just
// written: each listed page is re-read consistently, and unseen is true
// when fewer pages are listed than were numbered (then Mangopay decides).
func (s *Service) sentPages(ctx context.Context, doc *records.Record) (sent int, waiting []int, unseen bool, err error) {
	listed := 0
	token := ""
	for {
		list, next, err := s.Records.ListByOwner(ctx, doc.ID, records.KindPage, records.MaxPageSize, token)
		if err != nil {
			return 0, nil, false, err
		}
		for _, p := range list {
			listed++
			cur, err := s.Records.Get(ctx, p.ID)
			if err != nil {
				return 0, nil, false, err
			}
			switch {
			case cur.Page == nil:
			case cur.Page.State == records.PageSent:
				sent++
			case cur.SyncState != records.SyncFailed:
				waiting = append(waiting, cur.Page.Number)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	slices.Sort(waiting)
	return sent, waiting, doc.Document != nil && listed < doc.Document.PageCount, nil
}

// submit asks Mangopay to review a CREATED document and stores its answer
// with a re-check time (now + SubmittedRecheck), so the re-check schedule
// polls the document until it is decided. When Mangopay refuses because an
// earlier attempt already submitted the document (its answer lost), the
// document's current state is stored instead.
func (s *Service) askValidation(ctx context.Context, doc *records.Record, userMP string) (*records.Record, error) {
	var raw json.RawMessage
	m, err := s.MP.SubmitKYCDocument(ctx, userMP, doc.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		if !mangopay.IsValidation(err) {
			return nil, err
		}
		var curRaw json.RawMessage
		cur, gerr := s.MP.GetKYCDocument(ctx, doc.MangopayID, mangopay.WithRawResponse(&curRaw))
		if gerr != nil || cur.Status == mangopay.KYCStatusCreated {
			return nil, err
		}
		m, raw = cur, curRaw
	}
	return s.Records.UpdateFrom(ctx, doc, func(r *records.Record) error {
		applyDocument(r, m)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		due := s.now().Add(SubmittedRecheck)
		r.RecheckAt = &due
		return nil
	})
}

// GetDocumentInput is GET /documents/{document_id}[?refresh=true].
type GetDocumentInput struct {
	DocumentID string `json:"document_id"`
	// Refresh re-reads the document from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetDocumentInput) Validate(v *validate.Errors) {
	checkID(v, "document_id", in.DocumentID, records.KindDocument)
}

// GetDocument answers from the record, or re-reads Mangopay first
// (Status, RefusedReasonType and Message, Flags, ProcessedDate).
func (s *Service) GetDocument(ctx context.Context, in *GetDocumentInput, _ api.Call) (api.Result, error) {
	if !in.Refresh {
		doc, err := s.load(ctx, in.DocumentID, records.KindDocument)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(doc), nil
	}
	doc, err := s.synced(ctx, in.DocumentID, records.KindDocument)
	if err != nil {
		return api.Result{}, err
	}
	if doc, err = s.refreshDocument(ctx, doc); err != nil {
		return api.Result{}, err
	}
	return api.OK(doc), nil
}
