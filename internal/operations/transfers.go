package operations

import (
	"context"
	"fmt"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// TransferInput is the body of POST /transfers: move money from one
// wallet to another of the same currency, the platform keeping fees.
type TransferInput struct {
	DebitedWalletID  string `json:"debited_wallet_id"`
	CreditedWalletID string `json:"credited_wallet_id"`
	// DebitedFunds leave the debited wallet; the credited wallet receives
	// DebitedFunds - Fees, and Fees go to the platform's fees wallet.
	DebitedFunds *records.Money `json:"debited_funds"`
	Fees         *records.Money `json:"fees"`
	Tag          string         `json:"tag,omitempty"`
}

// Validate checks every field.
func (in *TransferInput) Validate(v *validate.Errors) {
	checkID(v, "debited_wallet_id", in.DebitedWalletID, records.KindWallet)
	checkID(v, "credited_wallet_id", in.CreditedWalletID, records.KindWallet)
	if in.DebitedWalletID != "" && in.DebitedWalletID == in.CreditedWalletID {
		v.Add("credited_wallet_id", "must differ from debited_wallet_id: a transfer moves money between two wallets")
	}
	checkFundsAndFees(v, in.DebitedFunds, in.Fees)
	checkTag(v, in.Tag)
}

// CreateTransfer moves money between two wallets at Mangopay, once (the
// create protocol), and keeps its record: kind TRANSFER, owned by the
// debited wallet's owner (external id), ParentID the debited wallet's
// record. The author is the debited wallet's owner and the credited user
// the credited wallet's owner, both taken from our records. Mangopay's
// business failures (too little money: FAILED 001001) are answers, stored
// and returned with 201 like a success: the transfer exists at Mangopay,
// with status FAILED and its result code.
func (s *Service) CreateTransfer(ctx context.Context, in *TransferInput, call api.Call) (api.Result, error) {
	return s.createTx(ctx, call, records.KindTransfer,
		func(ctx context.Context) (*records.Record, error) { return s.checkTransfer(ctx, in) },
		s.sendTransfer)
}

// checkTransfer checks the wallets against our records and builds the
// draft record.
func (s *Service) checkTransfer(ctx context.Context, in *TransferInput) (*records.Record, error) {
	// Both wallets in one read, checked in the order of the fields.
	got, err := s.Records.GetMany(ctx, in.DebitedWalletID, in.CreditedWalletID)
	if err != nil {
		return nil, err
	}
	rec, err := syncedOf(got[in.DebitedWalletID], in.DebitedWalletID, records.KindWallet)
	debited, err := bodyRefOf("debited_wallet_id", in.DebitedWalletID, records.KindWallet, rec, err)
	if err != nil {
		return nil, err
	}
	rec, err = syncedOf(got[in.CreditedWalletID], in.CreditedWalletID, records.KindWallet)
	credited, err := bodyRefOf("credited_wallet_id", in.CreditedWalletID, records.KindWallet, rec, err)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	dc, cc := walletCurrency(debited), walletCurrency(credited)
	v.Check(dc == cc, "credited_wallet_id", fmt.Sprintf("holds %s but the debited wallet holds %s: both wallets of a transfer must have the same currency", cc, dc))
	v.Check(in.DebitedFunds.Currency == dc, "debited_funds.currency", fmt.Sprintf("must be the debited wallet's currency, %s", dc))
	if errs := v.List(); errs != nil {
		return nil, api.Invalid(errs...)
	}
	owners, err := s.walletOwners(ctx, debited, credited) // one read
	if err != nil {
		return nil, err
	}
	author, beneficiary := owners[0], owners[1]
	d, f := *in.DebitedFunds, *in.Fees
	return &records.Record{Kind: records.KindTransfer, OwnerRef: debited.OwnerRef, ParentID: debited.ID, Tag: in.Tag,
		Transaction: &records.Transaction{Type: mangopay.TransactionTypeTransfer, Nature: mangopay.NatureRegular,
			AuthorID: author.MangopayID, CreditedUserID: beneficiary.MangopayID,
			DebitedWalletID: debited.MangopayID, CreditedWalletID: credited.MangopayID,
			DebitedFunds: d, Fees: f, CreditedFunds: records.Money{Amount: d.Amount - f.Amount, Currency: d.Currency}}}, nil
}

// sendTransfer creates at Mangopay the transfer the record describes.
func (s *Service) sendTransfer(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
	x := rec.Transaction
	t, err := s.MP.CreateTransfer(ctx, &mangopay.TransferCreate{AuthorID: x.AuthorID, CreditedUserID: x.CreditedUserID,
		DebitedWalletID: x.DebitedWalletID, CreditedWalletID: x.CreditedWalletID,
		DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees), Tag: rec.Tag}, opts...)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return func(r *records.Record) {
		applyTransaction(r, &t.Transaction)
		markRecheck(r, now, true)
	}, nil
}

// GetTransferInput is GET /transfers/{transfer_id}[?refresh=true].
type GetTransferInput struct {
	TransferID string `json:"transfer_id"`
	// Refresh re-reads the transfer from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetTransferInput) Validate(v *validate.Errors) {
	checkID(v, "transfer_id", in.TransferID, records.KindTransfer)
}

// GetTransfer answers from the record, or re-reads Mangopay first on
// refresh.
func (s *Service) GetTransfer(ctx context.Context, in *GetTransferInput, _ api.Call) (api.Result, error) {
	return s.getTx(ctx, in.TransferID, records.KindTransfer, in.Refresh, s.txFetcher(records.KindTransfer))
}
