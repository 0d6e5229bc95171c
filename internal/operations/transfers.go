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
	// ScaContext, USER_PRESENT or USER_NOT_PRESENT, tells Mangopay whether
	// the debited wallet's owner is in front of you, for a transfer between
	// two OWNER users, which may need the owner's strong customer
	// authentication (SCA). Sent only when given.
	ScaContext string `json:"sca_context,omitempty"`
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
	if in.ScaContext != "" {
		v.OneOf("sca_context", in.ScaContext, mangopay.ScaContextUserPresent, mangopay.ScaContextUserNotPresent)
	}
}

// TransferAnswer is create-transfer's answer: the record, plus, while the
// transfer waits for the strong customer authentication of the debited
// wallet's owner, where to send that user.
type TransferAnswer struct {
	*records.Record
	// RedirectURL is Mangopay's PendingUserAction.RedirectUrl: send the
	// user there to complete SCA (within 10 minutes, or the transfer fails
	// with 007102). It carries the user's token: it is neither stored in
	// the record nor logged. Absent when the transfer does not wait.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// transferAnswer builds create-transfer's answer from the record and
// Mangopay's answer to the create (nil when there was none, e.g. the
// record of an earlier attempt).
func transferAnswer(rec *records.Record, live *mangopay.Transfer) *TransferAnswer {
	ans := &TransferAnswer{Record: rec}
	if live != nil && live.PendingUserAction != nil && rec.Status == mangopay.TransactionStatusCreated {
		ans.RedirectURL = live.PendingUserAction.RedirectURL
	}
	return ans
}

// CreateTransfer moves money between two wallets at Mangopay, once (the
// create protocol), and keeps its record: kind TRANSFER, owned by the
// debited wallet's owner (external id), ParentID the debited wallet's
// record. The author is the debited wallet's owner and the credited user
// the credited wallet's owner, both taken from our records. Mangopay's
// business failures (too little money: FAILED 001001) are answers, stored
// and returned with 201 like a success: the transfer exists at Mangopay,
// with status FAILED and its result code.
//
// A transfer between two OWNER users may wait for the strong customer
// authentication of the debited wallet's owner: Mangopay answers CREATED
// with a redirect URL, which the answer carries as redirect_url; the
// record stays CREATED, due for re-check, until the re-check, a refresh or
// a hook finds it SUCCEEDED or FAILED (007101, 007102 after 10 minutes).
func (s *Service) CreateTransfer(ctx context.Context, in *TransferInput, call api.Call) (api.Result, error) {
	var live *mangopay.Transfer
	res, err := s.createTx(ctx, call, records.KindTransfer,
		func(ctx context.Context) (*records.Record, error) { return s.checkTransfer(ctx, in) },
		func(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
			t, apply, err := s.sendTransfer(ctx, rec, in.ScaContext, opts...)
			live = t
			return apply, err
		})
	return withPaymentAnswer(res, err, func(rec *records.Record) any { return transferAnswer(rec, live) })
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

// sendTransfer creates at Mangopay the transfer the record describes,
// with scaContext ("" leaves it out), and returns Mangopay's answer too.
func (s *Service) sendTransfer(ctx context.Context, rec *records.Record, scaContext string,
	opts ...mangopay.CallOption) (*mangopay.Transfer, func(*records.Record), error) {
	x := rec.Transaction
	t, err := s.MP.CreateTransfer(ctx, &mangopay.TransferCreate{AuthorID: x.AuthorID, CreditedUserID: x.CreditedUserID,
		DebitedWalletID: x.DebitedWalletID, CreditedWalletID: x.CreditedWalletID,
		DebitedFunds: toMangopayMoney(x.DebitedFunds), Fees: toMangopayMoney(x.Fees), ScaContext: scaContext, Tag: rec.Tag}, opts...)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	return t, func(r *records.Record) {
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
// refresh: then, while the transfer waits for its owner's SCA, the answer
// carries redirect_url again (the record never keeps it), for a caller
// that lost the create's answer or queued the create.
func (s *Service) GetTransfer(ctx context.Context, in *GetTransferInput, _ api.Call) (api.Result, error) {
	var live *mangopay.Transfer
	res, err := s.getTx(ctx, in.TransferID, records.KindTransfer, in.Refresh, s.transferFetch(&live))
	if rec, ok := res.Body.(*records.Record); ok && err == nil && live != nil {
		res.Body = transferAnswer(rec, live)
	}
	return res, err
}
