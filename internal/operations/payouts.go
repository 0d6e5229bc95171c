package operations

import (
	"context"
	"fmt"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// PayoutInput is the body of POST /payouts: send money from a wallet to
// its owner's bank account.
type PayoutInput struct {
	DebitedWalletID string `json:"debited_wallet_id"`
	BankAccountID   string `json:"bank_account_id"`
	// DebitedFunds leave the wallet; the bank account receives
	// DebitedFunds - Fees, and Fees go to the platform's fees wallet.
	DebitedFunds *records.Money `json:"debited_funds"`
	Fees         *records.Money `json:"fees"`
	// BankWireRef is shown on the bank statement (12 characters or fewer
	// recommended by Mangopay).
	BankWireRef string `json:"bank_wire_ref,omitempty"`
	Tag         string `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *PayoutInput) Validate(v *validate.Errors) {
	checkID(v, "debited_wallet_id", in.DebitedWalletID, records.KindWallet)
	checkID(v, "bank_account_id", in.BankAccountID, records.KindBankAccount)
	checkFundsAndFees(v, in.DebitedFunds, in.Fees)
	v.MaxLen("bank_wire_ref", in.BankWireRef, 255)
	checkTag(v, in.Tag)
}

// CreatePayout asks Mangopay for a bank-wire payout, once (the create
// protocol), and keeps its record: kind PAYOUT, owned by the wallet's
// owner (external id), ParentID the wallet's record. What Mangopay would
// refuse or fail is checked first, with clear answers: the wallet and the
// bank account must belong to the same user (400 bank_account_id), the
// amounts be in the wallet's currency (400 debited_funds.currency), the
// bank account be active (409), and the user an OWNER with KYC level
// REGULAR (409; a record saying otherwise is refreshed from Mangopay once
// before refusing). A payout Mangopay leaves CREATED is due for the
// re-check at once (RecheckAt now); the Store keeps it in the re-check
// index while it is CREATED.
func (s *Service) CreatePayout(ctx context.Context, in *PayoutInput, call api.Call) (api.Result, error) {
	return s.createTx(ctx, call, records.KindPayout,
		func(ctx context.Context) (*records.Record, error) { return s.checkPayout(ctx, in) },
		s.sendPayout)
}

// checkPayout checks the request against our records and builds the draft
// record.
func (s *Service) checkPayout(ctx context.Context, in *PayoutInput) (*records.Record, error) {
	wallet, err := s.bodyRef(ctx, "debited_wallet_id", in.DebitedWalletID, records.KindWallet)
	if err != nil {
		return nil, err
	}
	bank, err := s.bodyRef(ctx, "bank_account_id", in.BankAccountID, records.KindBankAccount)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	v.Check(bank.ParentID != "" && bank.ParentID == wallet.ParentID, "bank_account_id",
		fmt.Sprintf("belongs to another user than the debited wallet (%s): a payout goes to the wallet owner's own bank account", in.DebitedWalletID))
	cur := walletCurrency(wallet)
	v.Check(in.DebitedFunds.Currency == cur, "debited_funds.currency", fmt.Sprintf("must be the debited wallet's currency, %s", cur))
	if errs := v.List(); errs != nil {
		return nil, api.Invalid(errs...)
	}
	if bank.BankAccount == nil || !bank.BankAccount.Active {
		return nil, api.Conflict(fmt.Sprintf("bank account %s is deactivated: Mangopay cannot pay out to it; register a new one", bank.ID))
	}
	user, err := s.payoutUser(ctx, wallet)
	if err != nil {
		return nil, err
	}
	d, f := *in.DebitedFunds, *in.Fees
	return &records.Record{Kind: records.KindPayout, OwnerRef: wallet.OwnerRef, ParentID: wallet.ID, Tag: in.Tag,
		Transaction: &records.Transaction{Type: mangopay.TransactionTypePayOut, Nature: mangopay.NatureRegular,
			PaymentType: mangopay.PaymentTypeBankWire, AuthorID: user.MangopayID, DebitedWalletID: wallet.MangopayID,
			DebitedFunds: d, Fees: f, CreditedFunds: records.Money{Amount: d.Amount - f.Amount, Currency: d.Currency},
			BankAccountID: bank.MangopayID, BankWireRef: in.BankWireRef}}, nil
}

// mayPayOut reports whether a user record shows an OWNER with KYC level
// REGULAR, the users Mangopay lets pay out.
func mayPayOut(u *records.Record) bool {
	return u.User != nil && u.User.UserCategory == mangopay.UserCategoryOwner && u.User.KYCLevel == mangopay.KYCLevelRegular
}

// payoutUser returns the wallet owner's record if the user may pay out.
// When our record says no, the user is read from Mangopay once (and the
// record updated) before refusing, so a record behind Mangopay (KYC
// validated since) never blocks a valid payout.
func (s *Service) payoutUser(ctx context.Context, wallet *records.Record) (*records.Record, error) {
	user, err := s.walletOwner(ctx, wallet)
	if err != nil {
		return nil, err
	}
	if mayPayOut(user) {
		return user, nil
	}
	if user, err = s.refreshUser(ctx, user); err != nil {
		return nil, err
	}
	if mayPayOut(user) {
		return user, nil
	}
	category, level := "", ""
	if user.User != nil {
		category, level = user.User.UserCategory, user.User.KYCLevel
	}
	return nil, api.Conflict(fmt.Sprintf("user %s is a %s with KYC level %s at Mangopay: payouts need an OWNER whose KYC level is REGULAR (validated identity documents)",
		user.ID, category, level))
}

// sendPayout creates at Mangopay the payout the record describes.
func (s *Service) sendPayout(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
	x := rec.Transaction
	p, err := s.MP.CreatePayout(ctx, &mangopay.PayoutCreate{AuthorID: x.AuthorID, DebitedWalletID: x.DebitedWalletID,
		DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees), BankAccountID: x.BankAccountID,
		BankWireRef: x.BankWireRef, Tag: rec.Tag}, opts...)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return func(r *records.Record) {
		applyPayout(r, p)
		markRecheck(r, now, true)
	}, nil
}

// applyPayout writes Mangopay's payout into the record. The generic GET
// /payouts/{id} omits the modes: those already stored are then kept.
func applyPayout(r *records.Record, p *mangopay.PayOut) {
	applyTransaction(r, &p.Transaction)
	x := r.Transaction
	x.PaymentType, x.BankAccountID = p.PaymentType, p.BankAccountID
	x.BankWireRef = mangopay.StringValue(p.BankWireRef)
	if p.ModeRequested != nil {
		x.ModeRequested = *p.ModeRequested
	}
	if p.ModeApplied != nil {
		x.ModeApplied = *p.ModeApplied
	}
}

// GetPayoutInput is GET /payouts/{payout_id}[?refresh=true].
type GetPayoutInput struct {
	PayoutID string `json:"payout_id"`
	// Refresh re-reads the payout from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetPayoutInput) Validate(v *validate.Errors) {
	checkID(v, "payout_id", in.PayoutID, records.KindPayout)
}

// GetPayout answers from the record, or re-reads Mangopay first on
// refresh (GET /payouts/bankwire/{id}, with the payout modes). A payout
// found SUCCEEDED or FAILED leaves the re-check index.
func (s *Service) GetPayout(ctx context.Context, in *GetPayoutInput, _ api.Call) (api.Result, error) {
	return s.getTx(ctx, in.PayoutID, records.KindPayout, in.Refresh, s.txFetcher(records.KindPayout))
}
