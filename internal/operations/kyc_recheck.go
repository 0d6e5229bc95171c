package operations

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// What the re-check schedule calls for the KYC records it finds due
// (records.DueForRecheck: bucket DOCUMENT for documents, OTHER for pages).

// PageUploadDeadline is how long a page may wait for its bytes (a client
// may retry its request with the same Idempotency-Key, or ask for a new
// upload URL, for as long as the idempotency entry lives) before the
// re-check schedule fails it.
const PageUploadDeadline = 24 * time.Hour

// RecheckDocument brings a DOCUMENT record up to date: one whose create
// was cut short (PENDING) is created again with the Idempotency-Key
// derived from the record, so Mangopay answers with the first creation if
// there was one; one in review is re-read (and polled again in
// SubmittedRecheck while still in review).
func (s *Service) RecheckDocument(ctx context.Context, id string) (*records.Record, error) {
	doc, err := s.load(ctx, id, records.KindDocument)
	if err != nil {
		return nil, err
	}
	switch {
	case doc.SyncState == records.SyncPending:
		user, err := s.synced(ctx, doc.ParentID, records.KindUserNatural, records.KindUserLegal)
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		apply, err := s.sendDocument(user, docTypeOf(doc), doc.Tag)(ctx,
			mangopay.WithIdempotencyKey(records.IdempotencyKey(doc.ID)), mangopay.WithRawResponse(&raw))
		if err != nil {
			return nil, s.failCreate(ctx, doc, err)
		}
		return s.Records.UpdateFrom(ctx, doc, func(r *records.Record) error {
			apply(r)
			r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
			return nil
		})
	case doc.Status == mangopay.KYCStatusValidationAsked && doc.MangopayID != "":
		return s.refreshDocument(ctx, doc)
	}
	return doc, nil
}

// RecheckPage moves on a PAGE record left PENDING: a STORED page is sent
// from S3 with its own Idempotency-Key (never twice); a presigned upload
// whose notification was lost is received; a page whose bytes never
// arrived is failed after PageUploadDeadline, and otherwise looked at
// again later.
func (s *Service) RecheckPage(ctx context.Context, id string) (*records.Record, error) {
	page, err := s.load(ctx, id, records.KindPage)
	if err != nil || page.SyncState != records.SyncPending || page.Page == nil {
		return page, err
	}
	doc, err := s.synced(ctx, page.ParentID, records.KindDocument)
	if err != nil {
		return nil, err
	}
	if page.Page.State == records.PageAwaitingUpload {
		if err := s.receiveUpload(ctx, kycUploadKey(doc.ID, page.ID)); err != nil {
			return nil, err
		}
		if page, err = s.Records.Get(ctx, id); err != nil || page.Page.State != records.PageAwaitingUpload || page.SyncState != records.SyncPending {
			return page, err
		}
		if s.now().Sub(page.CreatedAt) >= PageUploadDeadline {
			return s.failRecheckedPage(ctx, page, api.InvalidField("upload", "the page's bytes never arrived within %s: add the page again", PageUploadDeadline))
		}
		return s.Records.UpdateFrom(ctx, page, func(r *records.Record) error {
			due := s.now().Add(s.pendingRecheck())
			r.RecheckAt = &due
			return nil
		})
	}
	if page.Page.State != records.PageStored {
		return page, nil
	}
	userMP, err := s.documentUser(ctx, doc)
	if err != nil {
		return nil, err
	}
	sent, err := s.sendPage(ctx, doc, page, nil, userMP)
	if errors.Is(err, pages.ErrNotFound) {
		return s.failRecheckedPage(ctx, page, err)
	}
	return sent, err
}

// failRecheckedPage fails a page that can never be sent and returns it.
func (s *Service) failRecheckedPage(ctx context.Context, page *records.Record, cause error) (*records.Record, error) {
	if err := s.failPage(ctx, page, cause); err != cause {
		return nil, err
	}
	return s.Records.Get(ctx, page.ID)
}
