package operations

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// DocumentSubmissionInput is POST /users/{user_id}/kyc-submissions: a
// whole KYC document in one request (django-mangopay's
// create_mangopay_document_and_pages_and_ask_for_validation).
type DocumentSubmissionInput struct {
	UserID string `json:"user_id"`
	Type   string `json:"type"`
	Tag    string `json:"tag,omitempty"`
	// Pages are 1 to 5 files in standard base64, each a PDF, JPEG or PNG
	// within the size limits of the document type; the whole request
	// must fit a Lambda payload (about 6 MB) or an SQS message.
	Pages []string `json:"pages"`

	data [][]byte // Pages decoded
}

// Validate checks the fields and every page, before anything is written.
func (in *DocumentSubmissionInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
	checkDocumentType(v, "type", in.Type)
	checkTag(v, in.Tag)
	if !v.Check(len(in.Pages) >= 1 && len(in.Pages) <= pages.MaxPages, "pages",
		fmt.Sprintf("must hold 1 to %d files, each a PDF, JPEG or PNG file in base64", pages.MaxPages)) {
		return
	}
	_, _, typeKnown := pages.Limits(in.Type)
	in.data = make([][]byte, len(in.Pages))
	for i, p := range in.Pages {
		field := fmt.Sprintf("pages[%d]", i)
		data, err := base64.StdEncoding.DecodeString(p)
		if !v.Check(err == nil && len(data) > 0, field, "must be a file's bytes in standard base64 (RFC 4648, with padding)") {
			continue
		}
		if typeKnown {
			if _, err := pages.Check(in.Type, i+1, data); err != nil {
				v.Add(field, "%s", strings.TrimPrefix(err.Error(), "pages: "))
			}
		}
		in.data[i] = data
	}
}

// CreateAndSubmitDocument creates a document, stores every page in S3,
// sends each page to Mangopay, then asks for validation, and answers the
// document (VALIDATION_ASKED). It resumes after any failed step: the
// request's record id is the document's, and page n's record id is
// derived from it (kycPageID), so a retry of the same request (same
// Idempotency-Key, or the same SQS message) finds what was done and
// never sends a page twice (each page also carries its own
// Idempotency-Key to Mangopay).
//
// Prefer: respond-async is not honoured: the pages could not ride on the
// queue, so the answer comes once the document is submitted.
func (s *Service) CreateAndSubmitDocument(ctx context.Context, in *DocumentSubmissionInput, call api.Call) (api.Result, error) {
	user, err := s.kycUser(ctx, in.UserID, in.Type)
	if err != nil {
		return api.Result{}, err
	}
	sync := call
	sync.Async = false
	res, err := s.create(ctx, sync, documentDraft(user, in.Type, in.Tag, len(in.data)), s.sendDocument(user, in.Type, in.Tag))
	if err != nil {
		return api.Result{}, err
	}
	doc := res.Body.(*records.Record)
	if doc.Status != mangopay.KYCStatusCreated {
		return api.Created(doc), nil // submitted by an earlier attempt
	}
	// Every page to S3 first, so a failure at Mangopay loses nothing.
	recs := make([]*records.Record, len(in.data))
	for i, data := range in.data {
		draft, err := pageDraft(doc, kycPageID(doc.ID, i+1), i+1, int64(len(data)))
		if err != nil {
			return api.Result{}, err
		}
		page, err := s.createPageRecord(ctx, draft)
		if err != nil {
			return api.Result{}, err
		}
		if page.SyncState == records.SyncFailed {
			return api.Result{}, refused(page)
		}
		if page.Page.State == records.PageAwaitingUpload {
			if page, err = s.storePage(ctx, doc, page, data, fmt.Sprintf("pages[%d]", i)); err != nil {
				return api.Result{}, err
			}
		}
		recs[i] = page
	}
	for i, page := range recs {
		if _, err := s.storeAndSendPage(ctx, doc, page, in.data[i], user.MangopayID, fmt.Sprintf("pages[%d]", i)); err != nil {
			return api.Result{}, err
		}
	}
	if doc, err = s.askValidation(ctx, doc, user.MangopayID); err != nil {
		return api.Result{}, err
	}
	return api.Created(doc), nil
}
