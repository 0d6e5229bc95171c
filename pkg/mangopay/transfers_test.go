package mangopay_test

import (
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestTransfer(t *testing.T) {
	f := newFixture(t)
	u, from, _ := f.funded(5000, 0)
	seller := f.owner(false)
	to := f.wallet(seller.ID, "EUR")
	tr := must(f.c.CreateTransfer(f.ctx, &mangopay.TransferCreate{
		AuthorID: u.ID, DebitedWalletID: from.ID, CreditedWalletID: to.ID, DebitedFunds: eur(3000), Fees: eur(300), Tag: "order-1",
	}))(t)
	wantPrefix(t, "transfer", tr.ID, "xfer_m_", "xfer_c_")
	if !tr.Succeeded() || tr.Code() != mangopay.ResultCodeSuccess || tr.Type != mangopay.TransactionTypeTransfer ||
		tr.CreditedFunds != eur(2700) || mangopay.StringValue(tr.CreditedUserID) != seller.ID || tr.Tag != "order-1" ||
		tr.ExecutionDate == nil || tr.PendingUserAction != nil {
		t.Fatalf("transfer = %+v", tr)
	}
	got := must(f.c.GetTransfer(f.ctx, tr.ID))(t)
	if got.ID != tr.ID || got.DebitedFunds != eur(3000) {
		t.Fatalf("GetTransfer = %+v", got)
	}
	if w := must(f.c.GetWallet(f.ctx, to.ID))(t); w.Balance.Amount != 2700 {
		t.Fatalf("credited balance = %d", w.Balance.Amount)
	}
}

func TestTransferWithInsufficientFunds(t *testing.T) {
	f := newFixture(t)
	u, from, _ := f.funded(1000, 0)
	to := f.wallet(f.owner(false).ID, "EUR")
	tr, err := f.c.CreateTransfer(f.ctx, &mangopay.TransferCreate{
		AuthorID: u.ID, DebitedWalletID: from.ID, CreditedWalletID: to.ID, DebitedFunds: eur(5000), Fees: eur(0),
	})
	if err != nil {
		t.Fatalf("insufficient funds is a FAILED value, not an error: %v", err)
	}
	if !tr.Failed() || tr.Code() != mangopay.ResultCodeInsufficientBalance || tr.ExecutionDate != nil {
		t.Fatalf("transfer = %s %s", tr.Status, tr.Code())
	}
	if w := must(f.c.GetWallet(f.ctx, from.ID))(t); w.Balance.Amount != 1000 {
		t.Fatalf("balance = %d, want 1000 untouched", w.Balance.Amount)
	}
}
