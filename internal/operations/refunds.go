package operations

import (
	"context"
	"fmt"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// RefundAmounts are the optional amounts of a refund. Leave both out to
// refund everything not refunded yet (the whole transaction, fees given
// back, when nothing was refunded before); give both for a partial refund.
type RefundAmounts struct {
	// DebitedFunds is taken back from the wallet the original transaction
	// credited; at most what it credited, less earlier refunds.
	DebitedFunds *records.Money `json:"debited_funds,omitempty"`
	// Fees: a negative amount gives the platform's fees back (at most the
	// original fees, less fees already given back), 0 keeps them, a
	// positive amount charges a fee for the refund (below DebitedFunds).
	Fees *records.Money `json:"fees,omitempty"`
	Tag  string         `json:"tag,omitempty"`
}

// check validates the amounts on their own; checkRefund checks them
// against the original transaction.
func (in *RefundAmounts) check(v *validate.Errors) {
	switch {
	case in.DebitedFunds == nil && in.Fees == nil:
	case in.Fees == nil:
		v.Add("fees", "is required with debited_funds: give both for a partial refund (fees 0 keeps the platform's fees, a negative amount gives them back), or neither for a full refund")
	case in.DebitedFunds == nil:
		v.Add("debited_funds", "is required with fees: give both for a partial refund, or neither for a full refund")
	default:
		okD := checkFunds(v, "debited_funds", in.DebitedFunds)
		okFC := v.Currency("fees.currency", in.Fees.Currency)
		okFA := v.Check(in.Fees.Amount >= -validate.MaxAmount && in.Fees.Amount <= validate.MaxAmount, "fees.amount",
			fmt.Sprintf("must be between -%d and %d minor units", validate.MaxAmount, validate.MaxAmount))
		if !okD || !okFC || !okFA {
			break
		}
		if in.Fees.Currency != in.DebitedFunds.Currency {
			v.Add("fees.currency", "must be the currency of debited_funds (%s)", in.DebitedFunds.Currency)
			break
		}
		v.Check(in.Fees.Amount < in.DebitedFunds.Amount, "fees.amount",
			fmt.Sprintf("must be less than debited_funds.amount (%d); a negative amount gives fees back", in.DebitedFunds.Amount))
	}
	checkTag(v, in.Tag)
}

// RefundPayInInput is POST /payins/{payin_id}/refunds.
type RefundPayInInput struct {
	PayInID string `json:"payin_id"`
	RefundAmounts
}

// Validate checks every field.
func (in *RefundPayInInput) Validate(v *validate.Errors) {
	checkID(v, "payin_id", in.PayInID, records.KindPayIn)
	in.RefundAmounts.check(v)
}

// RefundTransferInput is POST /transfers/{transfer_id}/refunds.
type RefundTransferInput struct {
	TransferID string `json:"transfer_id"`
	RefundAmounts
}

// Validate checks every field.
func (in *RefundTransferInput) Validate(v *validate.Errors) {
	checkID(v, "transfer_id", in.TransferID, records.KindTransfer)
	in.RefundAmounts.check(v)
}

// RefundPayIn gives a pay-in back to the card, fully or partly, once (the
// create protocol), and keeps the refund's record: kind REFUND, ParentID
// the pay-in's record, InitialTransactionID its Mangopay id, owned like
// the pay-in. Amounts are checked against the pay-in and the refunds our
// records know before calling Mangopay; Mangopay's own refusals are stored
// (a 4xx: record FAILED, answer 422; a FAILED refund such as 005403: 201
// with status FAILED).
func (s *Service) RefundPayIn(ctx context.Context, in *RefundPayInInput, call api.Call) (api.Result, error) {
	return s.createTx(ctx, call, records.KindRefund, func(ctx context.Context) (*records.Record, error) {
		orig, err := s.synced(ctx, in.PayInID, records.KindPayIn)
		if err != nil {
			return nil, err
		}
		return s.checkRefund(ctx, call, orig, &in.RefundAmounts, mangopay.TransactionTypePayIn)
	}, s.sendRefund)
}

// RefundTransfer gives a transfer back to its debited wallet, fully or
// partly, like RefundPayIn.
func (s *Service) RefundTransfer(ctx context.Context, in *RefundTransferInput, call api.Call) (api.Result, error) {
	return s.createTx(ctx, call, records.KindRefund, func(ctx context.Context) (*records.Record, error) {
		orig, err := s.synced(ctx, in.TransferID, records.KindTransfer)
		if err != nil {
			return nil, err
		}
		return s.checkRefund(ctx, call, orig, &in.RefundAmounts, mangopay.TransactionTypeTransfer)
	}, s.sendRefund)
}

// refundBasis is what a refund is checked against: the original
// transaction's author, what it credited and its fees.
type refundBasis struct {
	author   string
	credited records.Money
	fees     records.Money
}

// basisOf reads the original transaction from its record or, when the
// record does not show it SUCCEEDED with its author and amounts (a record
// behind Mangopay, or written without them), from Mangopay once, so that
// a stale record never blocks a valid refund. Only a SUCCEEDED transaction
// can be refunded (409 otherwise).
func (s *Service) basisOf(ctx context.Context, orig *records.Record, initialType string) (refundBasis, error) {
	what := "pay-in"
	if initialType == mangopay.TransactionTypeTransfer {
		what = "transfer"
	}
	if orig.Status == mangopay.TransactionStatusFailed {
		return refundBasis{}, api.Conflict(fmt.Sprintf("%s %s FAILED at Mangopay (%s): only a SUCCEEDED %s can be refunded", what, orig.ID, orig.ResultCode, what))
	}
	if x := orig.Transaction; x != nil && x.PaymentType == mangopay.PaymentTypeBankWire {
		return refundBasis{}, bankWireRefund(orig.ID)
	}
	if x := orig.Transaction; orig.Status == mangopay.TransactionStatusSucceeded && x != nil && x.AuthorID != "" &&
		x.CreditedFunds.Currency != "" && x.CreditedFunds.Amount > 0 {
		return refundBasis{author: x.AuthorID, credited: x.CreditedFunds, fees: x.Fees}, nil
	}
	var t *mangopay.Transaction
	if initialType == mangopay.TransactionTypeTransfer {
		m, err := s.MP.GetTransfer(ctx, orig.MangopayID)
		if err != nil {
			return refundBasis{}, err
		}
		t = &m.Transaction
	} else {
		m, err := s.MP.GetPayIn(ctx, orig.MangopayID)
		if err != nil {
			return refundBasis{}, err
		}
		if m.PaymentType == mangopay.PaymentTypeBankWire {
			return refundBasis{}, bankWireRefund(orig.ID)
		}
		t = &m.Transaction
	}
	if !t.Succeeded() {
		return refundBasis{}, api.Conflict(fmt.Sprintf("%s %s is %s at Mangopay: only a SUCCEEDED %s can be refunded", what, orig.ID, t.Status, what))
	}
	return refundBasis{author: t.AuthorID, credited: fromMangopayMoney(t.CreditedFunds), fees: fromMangopayMoney(t.Fees)}, nil
}

func bankWireRefund(id string) error {
	return api.Conflict(fmt.Sprintf("pay-in %s is a bank wire: Mangopay cannot refund it; send the money back with a payout instead", id))
}

// refundTotals is what earlier refunds of a transaction took back.
type refundTotals struct {
	debited  int64 // sum of their DebitedFunds
	feesBack int64 // fees given back (minus their Fees)
}

// refundedSoFar adds up the refunds of orig our records know, except
// self: SUCCEEDED ones and those still CREATED at Mangopay (which may yet
// succeed); FAILED ones took nothing. A refund whose outcome we do not
// know (PENDING) makes the totals unknown: 409, to retry once it is
// settled. It reads orig's refunds only (by_parent), not every refund of
// its owner.
func (s *Service) refundedSoFar(ctx context.Context, orig *records.Record, self string) (refundTotals, error) {
	var t refundTotals
	token := ""
	for {
		recs, next, err := s.Records.ListByParent(ctx, orig.ID, records.KindRefund, records.MaxPageSize, token)
		if err != nil {
			return t, fmt.Errorf("listing the refunds of %s: %w", orig.ID, err)
		}
		for _, r := range recs {
			if r.ID == self {
				continue
			}
			switch {
			case r.SyncState == records.SyncPending:
				return t, stateConflict("refund %s of %s is still PENDING (Mangopay's answer is not known yet): retry it with its Idempotency-Key, or send this request again once it is settled", r.ID, orig.ID)
			case r.SyncState == records.SyncFailed, r.Status == mangopay.TransactionStatusFailed, r.Transaction == nil:
				continue
			}
			t.debited += r.Transaction.DebitedFunds.Amount
			t.feesBack -= r.Transaction.Fees.Amount
		}
		if next == "" {
			return t, nil
		}
		token = next
	}
}

// checkRefund checks a refund against the original transaction and the
// refunds our records know, and builds the draft record. A refund without
// amounts takes back everything not refunded yet, fees included; the
// amounts are always sent explicitly, as the record shows them.
func (s *Service) checkRefund(ctx context.Context, call api.Call, orig *records.Record, in *RefundAmounts, initialType string) (*records.Record, error) {
	basis, err := s.basisOf(ctx, orig, initialType)
	if err != nil {
		return nil, err
	}
	done, err := s.refundedSoFar(ctx, orig, call.RecordID)
	if err != nil {
		return nil, err
	}
	cur := basis.credited.Currency
	remaining := basis.credited.Amount - done.debited
	feesLeft := max(basis.fees.Amount-done.feesBack, 0)
	if remaining <= 0 {
		return nil, api.Conflict(fmt.Sprintf("%s is already fully refunded (%d %s of %d %s)", orig.ID, done.debited, cur, basis.credited.Amount, cur))
	}
	d, f := records.Money{Amount: remaining, Currency: cur}, records.Money{Amount: -feesLeft, Currency: cur}
	if in.DebitedFunds != nil {
		d, f = *in.DebitedFunds, *in.Fees
		var v validate.Errors
		if v.Check(d.Currency == cur, "debited_funds.currency", fmt.Sprintf("must be the currency of %s, %s", orig.ID, cur)) {
			v.Check(d.Amount <= remaining, "debited_funds.amount", fmt.Sprintf(
				"must be at most %d: %s credited %d %s and %d were already refunded", remaining, orig.ID, basis.credited.Amount, cur, done.debited))
			v.Check(-f.Amount <= feesLeft, "fees.amount", fmt.Sprintf(
				"must be at least -%d: %s had %d %s of fees and %d were already given back", feesLeft, orig.ID, basis.fees.Amount, cur, done.feesBack))
		}
		if errs := v.List(); errs != nil {
			return nil, api.Invalid(errs...)
		}
	}
	typ := mangopay.TransactionTypePayOut // a pay-in refund sends money out to the card
	if initialType == mangopay.TransactionTypeTransfer {
		typ = mangopay.TransactionTypeTransfer
	}
	return &records.Record{Kind: records.KindRefund, OwnerRef: orig.OwnerRef, ParentID: orig.ID, Tag: in.Tag,
		Transaction: &records.Transaction{Type: typ, Nature: mangopay.NatureRefund, AuthorID: basis.author,
			DebitedFunds: d, Fees: f, CreditedFunds: records.Money{Amount: d.Amount - f.Amount, Currency: cur},
			InitialTransactionID: orig.MangopayID, InitialTransactionType: initialType}}, nil
}

// sendRefund creates at Mangopay the refund the record describes.
func (s *Service) sendRefund(ctx context.Context, rec *records.Record, opts ...mangopay.CallOption) (func(*records.Record), error) {
	x := rec.Transaction
	d, f := toMangopayMoney(x.DebitedFunds), toMangopayMoney(x.Fees)
	params := &mangopay.RefundCreate{AuthorID: x.AuthorID, DebitedFunds: &d, Fees: &f, Tag: rec.Tag}
	var (
		m   *mangopay.Refund
		err error
	)
	switch x.InitialTransactionType {
	case mangopay.TransactionTypePayIn:
		m, err = s.MP.RefundPayIn(ctx, x.InitialTransactionID, params, opts...)
	case mangopay.TransactionTypeTransfer:
		m, err = s.MP.RefundTransfer(ctx, x.InitialTransactionID, params, opts...)
	default:
		return nil, fmt.Errorf("refund record %s: unknown initial transaction type %q", rec.ID, x.InitialTransactionType)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	return func(r *records.Record) {
		applyRefund(r, m)
		markRecheck(r, now, true)
	}, nil
}

// applyRefund writes Mangopay's refund into the record.
func applyRefund(r *records.Record, m *mangopay.Refund) {
	applyTransaction(r, &m.Transaction)
	x := r.Transaction
	x.InitialTransactionID, x.InitialTransactionType = m.InitialTransactionID, m.InitialTransactionType
	if m.RefundReason != nil {
		x.RefundReasonType, x.RefundReasonMessage = m.RefundReason.RefundReasonType, mangopay.StringValue(m.RefundReason.RefundReasonMessage)
	}
	x.StatementDescriptor = mangopay.StringValue(m.StatementDescriptor)
}

// GetRefundInput is GET /refunds/{refund_id}[?refresh=true].
type GetRefundInput struct {
	RefundID string `json:"refund_id"`
	// Refresh re-reads the refund from Mangopay and stores it first.
	Refresh bool `json:"refresh,omitempty"`
}

// Validate checks the id.
func (in *GetRefundInput) Validate(v *validate.Errors) {
	checkID(v, "refund_id", in.RefundID, records.KindRefund)
}

// GetRefund answers from the record, or re-reads Mangopay first on
// refresh. The execution date is Mangopay's ExecutionDate.
func (s *Service) GetRefund(ctx context.Context, in *GetRefundInput, _ api.Call) (api.Result, error) {
	return s.getTx(ctx, in.RefundID, records.KindRefund, in.Refresh, s.txFetcher(records.KindRefund))
}
