package mangopay_test

import (
	"errors"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestPayInRefundsPartialThenFull(t *testing.T) {
	f := newFixture(t)
	u, w, p := f.funded(10000, 1000)
	partial := must(f.c.RefundPayIn(f.ctx, p.ID, &mangopay.RefundCreate{
		AuthorID: u.ID, DebitedFunds: new(eur(2000)), Fees: new(eur(-200)),
	}))(t)
	wantPrefix(t, "refund", partial.ID, "refund_m_")
	if !partial.Succeeded() || partial.Type != mangopay.TransactionTypePayOut || partial.Nature != mangopay.NatureRefund ||
		partial.DebitedFunds != eur(2000) || partial.Fees != eur(-200) || partial.CreditedFunds != eur(2200) ||
		partial.InitialTransactionID != p.ID || partial.InitialTransactionType != mangopay.TransactionTypePayIn ||
		mangopay.StringValue(partial.DebitedWalletID) != w.ID || partial.CreditedWalletID != nil || partial.RefundReason == nil {
		t.Fatalf("partial refund = %+v", partial)
	}
	if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 7000 {
		t.Fatalf("balance after partial = %d, want 7000", w.Balance.Amount)
	}
	got := must(f.c.GetRefund(f.ctx, partial.ID))(t)
	if got.ID != partial.ID || got.InitialTransactionID != p.ID || got.RefundReason.RefundReasonType != mangopay.RefundReasonInitializedByClient {
		t.Fatalf("GetRefund = %+v", got)
	}

	// A second pay-in refunded fully: no amounts sent, fees refunded too.
	cardID := f.card(u.ID, cardFrictionless)
	p2 := must(f.c.CreateCardDirectPayIn(f.ctx, cardPayIn(u.ID, w.ID, cardID, 3000, 300)))(t)
	full := must(f.c.RefundPayIn(f.ctx, p2.ID, &mangopay.RefundCreate{AuthorID: u.ID}))(t)
	// The wallet gives back what it received, the fees come back from the
	// platform, and the card gets the whole original amount.
	if !full.Succeeded() || full.DebitedFunds != eur(2700) || full.Fees != eur(-300) || full.CreditedFunds != eur(3000) {
		t.Fatalf("full refund = %s debited %v fees %v", full.Status, full.DebitedFunds, full.Fees)
	}
	body := f.lastBody("POST", "/payins/"+p2.ID+"/refunds")
	if _, ok := body["DebitedFunds"]; ok {
		t.Fatalf("full refund sent amounts: %v", body)
	}
}

func TestRefundNeedsBothAmountsOrNone(t *testing.T) {
	f := newFixture(t)
	before := f.sent.count()
	_, err := f.c.RefundPayIn(f.ctx, "payin_m_x", &mangopay.RefundCreate{AuthorID: "u", DebitedFunds: new(eur(100))})
	if !errors.Is(err, mangopay.ErrRefundAmounts) {
		t.Fatalf("want ErrRefundAmounts, got %v", err)
	}
	if f.sent.count() != before {
		t.Fatal("a request was sent")
	}
}

func TestTransferRefund(t *testing.T) {
	f := newFixture(t)
	u, from, _ := f.funded(5000, 0)
	to := f.wallet(f.owner(false).ID, "EUR")
	tr := must(f.c.CreateTransfer(f.ctx, &mangopay.TransferCreate{AuthorID: u.ID, DebitedWalletID: from.ID, CreditedWalletID: to.ID, DebitedFunds: eur(4000), Fees: eur(0)}))(t)
	r := must(f.c.RefundTransfer(f.ctx, tr.ID, &mangopay.RefundCreate{AuthorID: u.ID, DebitedFunds: new(eur(1500)), Fees: new(eur(0))}))(t)
	if !r.Succeeded() || r.Type != mangopay.TransactionTypeTransfer || r.Nature != mangopay.NatureRefund ||
		r.InitialTransactionType != mangopay.TransactionTypeTransfer ||
		mangopay.StringValue(r.DebitedWalletID) != to.ID || mangopay.StringValue(r.CreditedWalletID) != from.ID {
		t.Fatalf("transfer refund = %+v", r)
	}
	if w := must(f.c.GetWallet(f.ctx, from.ID))(t); w.Balance.Amount != 2500 {
		t.Fatalf("debited wallet balance = %d, want 2500", w.Balance.Amount)
	}
	rest := must(f.c.RefundTransfer(f.ctx, tr.ID, &mangopay.RefundCreate{AuthorID: u.ID, DebitedFunds: new(eur(2500)), Fees: new(eur(0))}))(t)
	if !rest.Succeeded() {
		t.Fatalf("refund of the rest = %s %s", rest.Status, rest.Code())
	}
	if w := must(f.c.GetWallet(f.ctx, from.ID))(t); w.Balance.Amount != 5000 {
		t.Fatalf("debited wallet balance = %d, want 5000", w.Balance.Amount)
	}
	_, err := f.c.RefundTransfer(f.ctx, tr.ID, &mangopay.RefundCreate{AuthorID: u.ID})
	if !mangopay.IsValidation(err) {
		t.Fatalf("refund of a fully refunded transfer: want a 400, got %v", err)
	}
}
