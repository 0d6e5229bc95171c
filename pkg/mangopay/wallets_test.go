package mangopay_test

import (
	"errors"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestWalletRoundTrip(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	w := must(f.c.CreateWallet(f.ctx, &mangopay.WalletCreate{Owners: []string{u.ID}, Description: "Main", Currency: "EUR", Tag: "w1"}))(t)
	wantPrefix(t, "wallet", w.ID, "wlt_m_")
	if w.Balance != (mangopay.Money{Currency: "EUR", Amount: 0}) || w.Currency != "EUR" || w.FundsType != mangopay.FundsTypeDefault ||
		len(w.Owners) != 1 || w.Owners[0] != u.ID || w.Tag != "w1" || w.Description != "Main" {
		t.Fatalf("wallet = %+v", w)
	}
	got := must(f.c.GetWallet(f.ctx, w.ID))(t)
	if got.ID != w.ID || got.Balance.Currency != "EUR" {
		t.Fatalf("get = %+v", got)
	}
	f.wallet(u.ID, "GBP")
	page := must(f.c.ListWallets(f.ctx, u.ID, nil))(t)
	if page.TotalItems != 2 || len(page.Items) != 2 {
		t.Fatalf("wallets = %d (total %d)", len(page.Items), page.TotalItems)
	}
}

func TestWalletWithTwoOwnersIsRejected(t *testing.T) {
	f := newFixture(t)
	a, b := f.payer(), f.payer()
	_, err := f.c.CreateWallet(f.ctx, &mangopay.WalletCreate{Owners: []string{a.ID, b.ID}, Description: "Shared", Currency: "EUR"})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Fields["Owners"] == "" {
		t.Fatalf("want a field error on Owners, got %v", err)
	}
}
