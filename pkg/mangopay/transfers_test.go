package mangopay_test

import (
	"net/http"
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

// TestTransferWithSCA: between two OWNER users whose author needs SCA, the
// ScaContext is sent and the answer's PendingUserAction is read; the
// transfer is CREATED until the user visits the URL, then SUCCEEDED.
func TestTransferWithSCA(t *testing.T) {
	f := newFixture(t)
	author := f.owner(false)
	from, _ := f.fund(author.ID, 5000, 0)
	to := f.wallet(f.owner(false).ID, "EUR")
	f.check(f.srv.RequireTransferSCA(author.ID))
	tr := must(f.c.CreateTransfer(f.ctx, &mangopay.TransferCreate{
		AuthorID: author.ID, DebitedWalletID: from.ID, CreditedWalletID: to.ID, DebitedFunds: eur(3000), Fees: eur(300),
		ScaContext: mangopay.ScaContextUserPresent,
	}))(t)
	if got := f.lastBody("POST", "/transfers"); got["ScaContext"] != mangopay.ScaContextUserPresent {
		t.Fatalf("sent ScaContext %v", got["ScaContext"])
	}
	if tr.Status != mangopay.TransactionStatusCreated || tr.PendingUserAction == nil || tr.PendingUserAction.RedirectURL == "" ||
		mangopay.StringValue(tr.ScaContext) != mangopay.ScaContextUserPresent {
		t.Fatalf("transfer = %+v", tr)
	}
	resp, err := http.Get(tr.PendingUserAction.RedirectURL)
	f.check(err)
	resp.Body.Close()
	got := must(f.c.GetTransfer(f.ctx, tr.ID))(t)
	if !got.Succeeded() || got.PendingUserAction != nil {
		t.Fatalf("after SCA: %+v", got)
	}
	// Without the user, Mangopay refuses it: the user is pending SCA.
	tr = must(f.c.CreateTransfer(f.ctx, &mangopay.TransferCreate{
		AuthorID: author.ID, DebitedWalletID: from.ID, CreditedWalletID: to.ID, DebitedFunds: eur(100), Fees: eur(0),
		ScaContext: mangopay.ScaContextUserNotPresent,
	}))(t)
	if !tr.Failed() || tr.Code() != "002704" {
		t.Fatalf("user not present: %s %s", tr.Status, tr.Code())
	}
}
