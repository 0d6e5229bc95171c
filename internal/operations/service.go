// Package operations holds the logic of every Lambda function: one method
// of Service per operation, each a plain function of its typed input, so it
// runs in-process in tests and behind API Gateway or SQS in Lambda (see
// package api for the faces, functions/ for the mains).
package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Service performs operations against Mangopay and keeps our records.
type Service struct {
	MP      *mangopay.Client
	Records *records.Store
	Pages   *pages.Store
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PendingRecheck is how long a record may stay PENDING (its create cut
	// short) before the re-check schedule looks at it. Default 10 min.
	PendingRecheck time.Duration
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) pendingRecheck() time.Duration {
	if s.PendingRecheck <= 0 {
		return 10 * time.Minute
	}
	return s.PendingRecheck
}

// sendFunc calls Mangopay to create the object of a PENDING record, with
// the Idempotency-Key derived from the record, and returns how to write
// Mangopay's answer into the record.
type sendFunc func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error)

// create is the exactly-once protocol every create follows:
//  1. write the record PENDING under call.RecordID (the same id on every
//     retry of the request), or find it if a previous attempt wrote it;
//  2. if Mangopay already answered, return that;
//  3. call Mangopay with an Idempotency-Key derived from the record, so a
//     retry after a lost answer or a crash gets the first object back;
//  4. store Mangopay's answer (SYNCED), or its refusal (FAILED).
//
// An async call stops after step 1 with 202: the queue does the rest.
func (s *Service) create(ctx context.Context, call api.Call, draft *records.Record, send sendFunc) (api.Result, error) {
	rec, err := s.writePending(ctx, call, draft)
	if err != nil {
		return api.Result{}, err
	}
	switch {
	case rec.SyncState == records.SyncSynced:
		return api.Created(rec), nil
	case rec.SyncState == records.SyncFailed:
		return api.Result{}, refused(rec)
	case rec.Kind.IsTransaction() && s.now().Sub(rec.CreatedAt) >= PendingGiveUp:
		return s.settleStale(ctx, rec)
	case call.Async:
		return api.Accepted(rec), nil
	}
	var raw json.RawMessage
	apply, err := send(ctx, mangopay.WithIdempotencyKey(records.IdempotencyKey(rec.ID)), mangopay.WithRawResponse(&raw))
	if err != nil {
		return api.Result{}, s.failCreate(ctx, rec, err)
	}
	rec, err = s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		apply(r)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
	if err != nil {
		return api.Result{}, fmt.Errorf("storing Mangopay's answer for %s: %w", draft.ID, err)
	}
	return api.Created(rec), nil
}

// settleStale answers a retry of a transaction's create whose record has
// been PENDING for PendingGiveUp or more: sending it again could pay twice
// once Mangopay forgets the key, so its outcome is read from GET
// /responses/{key} instead (see recoverPendingTx), and the record answers
// as it then stands: created, refused, or 409 while nothing can be proved.
func (s *Service) settleStale(ctx context.Context, rec *records.Record) (api.Result, error) {
	after, _, err := s.recoverPendingTx(ctx, rec, s.now(), nil)
	if err != nil {
		return api.Result{}, fmt.Errorf("settling %s, PENDING since %s: %w", rec.ID, rec.CreatedAt.Format(time.RFC3339), err)
	}
	switch after.SyncState {
	case records.SyncSynced:
		return api.Created(after), nil
	case records.SyncFailed:
		return api.Result{}, refused(after)
	}
	if after.SyncError != "" { // nothing more will be learnt: for a person to reconcile
		return api.Result{}, &api.Error{Status: http.StatusConflict, Title: "Outcome not known", Detail: fmt.Sprintf("record %s: %s", after.ID, after.SyncError)}
	}
	return api.Result{}, stateConflict("record %s: Mangopay's answer to its create is not known yet; retry later", after.ID)
}

// writePending creates the PENDING record, or returns the one a previous
// attempt of the same request wrote.
func (s *Service) writePending(ctx context.Context, call api.Call, draft *records.Record) (*records.Record, error) {
	draft.ID, draft.SyncState = call.RecordID, records.SyncPending
	due := s.now().Add(s.pendingRecheck())
	draft.RecheckAt = &due
	err := s.Records.Create(ctx, draft)
	if errors.Is(err, records.ErrExists) {
		rec, err := s.Records.Get(ctx, draft.ID)
		if err == nil && (rec.Kind != draft.Kind || rec.OwnerRef != draft.OwnerRef) {
			// Only a forged Record-Id attribute can get here.
			return nil, api.Conflict(fmt.Sprintf("record %s belongs to another request (a %s of %s); send this one without that Record-Id", rec.ID, rec.Kind, rec.OwnerRef))
		}
		return rec, err
	}
	if err != nil {
		return nil, fmt.Errorf("writing the pending record: %w", err)
	}
	return draft, nil
}

// failCreate records Mangopay's refusal of a create (a validation error
// will never pass) and returns the error; other failures leave the record
// PENDING for a retry or the re-check schedule.
func (s *Service) failCreate(ctx context.Context, rec *records.Record, cause error) error {
	if !mangopay.IsValidation(cause) {
		return cause
	}
	if _, err := s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		r.SyncState, r.SyncError = records.SyncFailed, cause.Error()
		return nil
	}); err != nil {
		return fmt.Errorf("%w (and recording the refusal failed: %w)", cause, err)
	}
	return cause
}

// refused is the answer for a record Mangopay refused earlier.
func refused(rec *records.Record) error {
	return &api.Error{Status: http.StatusUnprocessableEntity, Title: "Refused by Mangopay",
		Detail: fmt.Sprintf("record %s: %s", rec.ID, rec.SyncError)}
}

// load reads a record and checks its kind; a missing record or another
// kind is a 404 naming what was expected.
func (s *Service) load(ctx context.Context, id string, kinds ...records.Kind) (*records.Record, error) {
	rec, err := s.Records.Get(ctx, id)
	if errors.Is(err, records.ErrNotFound) {
		rec, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ofKind(rec, id, kinds...)
}

// ofKind checks the kind of a record read under id (nil: none was found);
// a missing record or another kind is a 404 naming what was expected.
func ofKind(rec *records.Record, id string, kinds ...records.Kind) (*records.Record, error) {
	what := "record"
	if len(kinds) > 0 {
		what = string(kinds[0])
	}
	if rec == nil {
		return nil, api.NotFound(what, id)
	}
	for _, k := range kinds {
		if rec.Kind == k {
			return rec, nil
		}
	}
	if len(kinds) == 0 {
		return rec, nil
	}
	return nil, api.NotFound(what, id)
}

// synced loads a record that Mangopay must already know; a PENDING or
// FAILED one cannot be used yet (409).
func (s *Service) synced(ctx context.Context, id string, kinds ...records.Kind) (*records.Record, error) {
	rec, err := s.load(ctx, id, kinds...)
	if err != nil {
		return nil, err
	}
	if err := usable(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// syncedOf is synced for a record already read under id (nil: none).
func syncedOf(rec *records.Record, id string, kinds ...records.Kind) (*records.Record, error) {
	rec, err := ofKind(rec, id, kinds...)
	if err != nil {
		return nil, err
	}
	if err := usable(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// usable is nil for a record Mangopay knows, a 409 for a PENDING or
// FAILED one.
func usable(rec *records.Record) error {
	if rec.SyncState == records.SyncFailed {
		return api.Conflict(fmt.Sprintf("%s %s was refused by Mangopay (%s); create a new one", rec.Kind, rec.ID, rec.SyncError))
	}
	if rec.MangopayID == "" {
		// Still PENDING: the same request will pass once it is synced, so a
		// queue retries it rather than dead-lettering it.
		e := api.Conflict(fmt.Sprintf("%s %s is not at Mangopay yet; retry when it is SYNCED", rec.Kind, rec.ID)).(*api.Error)
		e.Transient = true
		return e
	}
	return nil
}

// mangopayTime turns Mangopay's Unix seconds into a UTC time.
func mangopayTime(sec int64) *time.Time {
	if sec == 0 {
		return nil
	}
	t := time.Unix(sec, 0).UTC()
	return &t
}

// mangopayTimePtr is mangopayTime for a nullable field.
func mangopayTimePtr(sec *int64) *time.Time {
	if sec == nil {
		return nil
	}
	return mangopayTime(*sec)
}
