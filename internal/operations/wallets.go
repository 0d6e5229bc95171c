package operations

import (
	"context"
	"encoding/json"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// WalletInput is the body of POST /users/{user_id}/wallets.
type WalletInput struct {
	UserID      string `json:"user_id"`
	Description string `json:"description"`
	// Currency is an ISO 4217 code Mangopay documents; it never changes.
	Currency string `json:"currency"`
	Tag      string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *WalletInput) Validate(v *validate.Errors) {
	checkID(v, "user_id", in.UserID, records.KindUserNatural, records.KindUserLegal)
	if v.Required("description", in.Description) {
		v.MaxLen("description", in.Description, 255)
	}
	v.Currency("currency", in.Currency)
	checkTag(v, in.Tag)
}

// CreateWallet creates a wallet for a user at Mangopay, once (the create
// protocol), and keeps its record: kind WALLET, owned by the user's
// external id, ParentID the user's record, with its description, currency
// and the balance Mangopay answered. The user must be known at Mangopay
// (404 unknown, 409 not yet synced).
func (s *Service) CreateWallet(ctx context.Context, in *WalletInput, call api.Call) (api.Result, error) {
	user, err := s.synced(ctx, in.UserID, records.KindUserNatural, records.KindUserLegal)
	if err != nil {
		return api.Result{}, err
	}
	draft := &records.Record{Kind: records.KindWallet, OwnerRef: user.OwnerRef, ParentID: user.ID, Tag: in.Tag,
		Wallet: &records.Wallet{Description: in.Description, Currency: in.Currency,
			Balance: records.Money{Currency: in.Currency}}}
	return s.create(ctx, call, draft, func(ctx context.Context, opts ...mangopay.CallOption) (func(*records.Record), error) {
		w, err := s.MP.CreateWallet(ctx, &mangopay.WalletCreate{Owners: []string{user.MangopayID},
			Description: in.Description, Currency: in.Currency, Tag: in.Tag}, opts...)
		if err != nil {
			return nil, err
		}
		readAt := s.now()
		return func(r *records.Record) { applyWallet(r, w, readAt) }, nil
	})
}

// applyWallet writes Mangopay's wallet into the record; readAt is when
// its balance was read.
func applyWallet(r *records.Record, m *mangopay.Wallet, readAt time.Time) {
	if r.Wallet == nil {
		r.Wallet = &records.Wallet{}
	}
	r.MangopayID, r.Tag = m.ID, m.Tag
	r.MangopayCreatedAt = mangopayTime(m.CreationDate)
	w := r.Wallet
	w.Description, w.Currency, w.FundsType = m.Description, m.Currency, m.FundsType
	w.Balance = records.Money{Amount: m.Balance.Amount, Currency: m.Balance.Currency}
	w.BalanceReadAt = &readAt
}

// GetWalletInput is GET /wallets/{wallet_id}.
type GetWalletInput struct {
	WalletID string `json:"wallet_id"`
	// ScaContext (query sca_context) is the ScaContext of the read at
	// Mangopay: USER_NOT_PRESENT by default (a backend read, without the
	// user), or USER_PRESENT when the caller's user is in front of it and
	// can be sent to strong customer authentication (SCA) if Mangopay
	// asks for it.
	ScaContext string `json:"sca_context,omitempty"`
}

// Validate checks the id and the SCA context.
func (in *GetWalletInput) Validate(v *validate.Errors) {
	checkID(v, "wallet_id", in.WalletID, records.KindWallet)
	if in.ScaContext != "" {
		v.OneOf("sca_context", in.ScaContext, mangopay.ScaContextUserPresent, mangopay.ScaContextUserNotPresent)
	}
}

// walletScaContext is the ScaContext of our wallet reads at Mangopay:
// USER_NOT_PRESENT unless the caller says its user is present. Since
// 2025-12-15 Mangopay's default is USER_PRESENT, under which an OWNER's
// wallet read may be refused until the user completes SCA; our functions
// run without the user, so they say so.
func walletScaContext(asked string) string {
	if asked == "" {
		return mangopay.ScaContextUserNotPresent
	}
	return asked
}

// GetWallet answers the wallet with its balance ALWAYS read from Mangopay
// at the time of the request: the balance is stored on the record with
// BalanceReadAt (when it was read) and returned. If Mangopay is
// unavailable the answer is 503, not the stored balance: a caller asking
// for a wallet asks for its current balance, and an old one shown as
// current could let it pay out money that is no longer there (the stored
// balance and its BalanceReadAt stay readable in the record, e.g. through
// the records table). A wallet not yet known at Mangopay is 409.
//
// The read is a backend read (ScaContext USER_NOT_PRESENT) unless the caller
// asks for sca_context=USER_PRESENT; if Mangopay then asks for the owner's
// strong customer authentication, the answer is 403 with the redirect_url
// to send the user to (see api's scaRequired), and nothing is stored.
func (s *Service) GetWallet(ctx context.Context, in *GetWalletInput, _ api.Call) (api.Result, error) {
	rec, err := s.synced(ctx, in.WalletID, records.KindWallet)
	if err != nil {
		return api.Result{}, err
	}
	var raw json.RawMessage
	w, err := s.MP.GetWallet(ctx, rec.MangopayID, mangopay.WithRawResponse(&raw),
		mangopay.WithScaContext(walletScaContext(in.ScaContext)))
	if err != nil {
		return api.Result{}, err
	}
	readAt := s.now()
	rec, err = s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		// A concurrent request that read the balance later has already
		// stored it: keep the fresher one.
		if r.Wallet != nil && r.Wallet.BalanceReadAt != nil && r.Wallet.BalanceReadAt.After(readAt) {
			return records.ErrNoChange
		}
		applyWallet(r, w, readAt)
		r.Raw, r.SyncState, r.SyncError = raw, records.SyncSynced, ""
		return nil
	})
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(rec), nil
}
