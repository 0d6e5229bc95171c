package operations

// Helpers shared by the money-moving operations (pay-ins, transfers,
// refunds, payouts): the exactly-once create of a transaction, writing
// Mangopay's answer into the record, marking it for re-check, and reading
// a transaction back from Mangopay. The money checks are in money.go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// txSend sends the Mangopay request a transaction record describes, with
// the create protocol's options (its Idempotency-Key), and returns how to
// write Mangopay's answer into the record.
type txSend func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error)

// createTx is the create protocol (Service.create) for a transaction.
//
// On the first attempt of a request, check verifies it against our
// records and builds the draft record, which holds everything Mangopay
// needs (Mangopay ids, amounts); nothing is written or sent when a check
// fails. A retry of the same request (same Idempotency-Key or SQS
// message: its record already exists under call.RecordID) skips the
// checks and goes on from the stored record: the request was accepted
// then and may already have moved money, so the state the checks read may
// have changed because of it, and only Mangopay, asked again with the same
// Idempotency-Key, can tell what happened. Mangopay is always sent what
// the record holds, so every attempt sends the same request under the
// same key.
func (s *Service) createTx(ctx context.Context, call api.Call, kind records.Kind,
	check func(context.Context) (*records.Record, error), send txSend) (api.Result, error) {
	draft, err := s.earlierAttempt(ctx, call, kind)
	if err != nil {
		return api.Result{}, err
	}
	if draft == nil {
		if draft, err = check(ctx); err != nil {
			return api.Result{}, err
		}
	}
	if draft.Transaction == nil {
		return api.Result{}, fmt.Errorf("%s record %s has no transaction part", kind, call.RecordID)
	}
	req := *draft
	tx := *draft.Transaction
	req.Transaction = &tx
	return s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		return send(ctx, &req, opts...)
	})
}

// earlierAttempt returns the record a previous attempt of this request
// wrote under call.RecordID, or nil on the first attempt.
func (s *Service) earlierAttempt(ctx context.Context, call api.Call, kind records.Kind) (*records.Record, error) {
	if call.RecordID == "" || call.Fresh {
		return nil, nil
	}
	rec, err := s.Records.Get(ctx, call.RecordID)
	if errors.Is(err, records.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.Kind != kind {
		return nil, fmt.Errorf("record %s is a %s, not a %s", rec.ID, rec.Kind, kind)
	}
	return rec, nil
}

// applyTransaction writes the fields every Mangopay transaction has into
// the record. ExecutionDate is Mangopay's, never computed here.
func applyTransaction(r *records.Record, t *mangopay.Transaction) {
	if r.Transaction == nil {
		r.Transaction = &records.Transaction{}
	}
	r.MangopayID, r.Tag, r.Status = t.ID, t.Tag, t.Status
	r.ResultCode, r.ResultMessage = t.Code(), mangopay.StringValue(t.ResultMessage)
	r.MangopayCreatedAt = mangopayTime(t.CreationDate)
	x := r.Transaction
	x.Type, x.Nature = t.Type, t.Nature
	x.AuthorID, x.CreditedUserID = t.AuthorID, mangopay.StringValue(t.CreditedUserID)
	x.DebitedWalletID, x.CreditedWalletID = mangopay.StringValue(t.DebitedWalletID), mangopay.StringValue(t.CreditedWalletID)
	x.DebitedFunds, x.CreditedFunds, x.Fees = fromMangopayMoney(t.DebitedFunds), fromMangopayMoney(t.CreditedFunds), fromMangopayMoney(t.Fees)
	x.ExecutionDate = mangopayTimePtr(t.ExecutionDate)
}

// markRecheck puts a transaction Mangopay left CREATED (a payout being
// processed, a transfer awaiting SCA) in the re-check index, due at now.
// A fresh answer (fresh) always makes it due now; a refresh keeps the
// schedule the re-check set, if any. The Store drops the record from the
// index once its status is final.
func markRecheck(r *records.Record, now time.Time, fresh bool) {
	if r.Status != mangopay.TransactionStatusCreated {
		return
	}
	if fresh || r.RecheckAt == nil {
		due := now
		r.RecheckAt = &due
	}
}

// txFetch reads a transaction from Mangopay and returns how to write it
// into its record.
type txFetch func(ctx context.Context, mangopayID string, opts ...mangopay.CallOption) (func(*records.Record), error)

// getTx answers a transaction record, re-reading it from Mangopay first on
// refresh (409 while Mangopay does not know it yet).
func (s *Service) getTx(ctx context.Context, id string, kind records.Kind, refresh bool, fetch txFetch) (api.Result, error) {
	if !refresh {
		rec, err := s.load(ctx, id, kind)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(rec), nil
	}
	rec, err := s.synced(ctx, id, kind)
	if err != nil {
		return api.Result{}, err
	}
	rec, err = s.refreshTx(ctx, rec, s.now(), fetch, nil)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}

// refreshTx re-reads a synced transaction from Mangopay and stores it;
// then, when not nil, adjusts the record before it is written (the
// re-check schedule sets the next check there).
func (s *Service) refreshTx(ctx context.Context, rec *records.Record, now time.Time, fetch txFetch, then func(*records.Record)) (*records.Record, error) {
	var raw json.RawMessage
	apply, err := fetch(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw))
	if err != nil {
		return nil, err
	}
	return s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		apply(r)
		markRecheck(r, now, false)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		if then != nil {
			then(r)
		}
		return nil
	})
}

// bodyRef loads a SYNCED record named by a body field: an unknown id (or
// one of another kind) is a 400 naming the field, a record Mangopay does
// not know yet a 409. (Ids in paths stay 404 when unknown.)
func (s *Service) bodyRef(ctx context.Context, field, id string, kind records.Kind) (*records.Record, error) {
	rec, err := s.synced(ctx, id, kind)
	return bodyRefOf(field, id, kind, rec, err)
}

// bodyRefOf turns synced's 404 for a record the body names into a 400 on
// field.
func bodyRefOf(field, id string, kind records.Kind, rec *records.Record, err error) (*records.Record, error) {
	var e *api.Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		return nil, api.InvalidField(field, "no %s record has the id %q", kind, id)
	}
	return rec, err
}

// walletOwners returns the synced records of the users who own these
// wallets (each wallet record's ParentID), read together, in order.
func (s *Service) walletOwners(ctx context.Context, wallets ...*records.Record) ([]*records.Record, error) {
	ids := make([]string, len(wallets))
	for i, w := range wallets {
		if w.ParentID == "" {
			return nil, fmt.Errorf("wallet record %s does not name its user (ParentID)", w.ID)
		}
		ids[i] = w.ParentID
	}
	got, err := s.Records.GetMany(ctx, ids...)
	if err != nil {
		return nil, err
	}
	owners := make([]*records.Record, len(ids))
	for i, id := range ids {
		if owners[i], err = syncedOf(got[id], id, records.KindUserNatural, records.KindUserLegal); err != nil {
			return nil, err
		}
	}
	return owners, nil
}

// walletOwner returns the synced record of the user who owns a wallet
// (the wallet record's ParentID).
func (s *Service) walletOwner(ctx context.Context, wallet *records.Record) (*records.Record, error) {
	if wallet.ParentID == "" {
		return nil, fmt.Errorf("wallet record %s does not name its user (ParentID)", wallet.ID)
	}
	return s.synced(ctx, wallet.ParentID, records.KindUserNatural, records.KindUserLegal)
}

// walletCurrency is a wallet record's currency ("" if unknown).
func walletCurrency(w *records.Record) string {
	if w.Wallet == nil {
		return ""
	}
	return w.Wallet.Currency
}

// stateConflict is a 409 that a later retry may pass (SQS retries it
// rather than dead-lettering it).
func stateConflict(format string, args ...any) error {
	return &api.Error{Status: http.StatusConflict, Title: "Conflict", Detail: fmt.Sprintf(format, args...), Transient: true}
}
