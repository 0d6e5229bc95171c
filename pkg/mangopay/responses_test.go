package mangopay_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestGetIdempotencyResponse(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	key := mangopay.DeriveIdempotencyKey("wallet", u.ID)
	w := must(f.c.CreateWallet(f.ctx, &mangopay.WalletCreate{Owners: []string{u.ID}, Description: "keyed", Currency: "EUR"}, mangopay.WithIdempotencyKey(key)))(t)
	r := must(f.c.GetIdempotencyResponse(f.ctx, key))(t)
	if r.StatusCode != "200" || r.Status() != 200 || r.ContentLength == "" || !strings.HasPrefix(r.ContentType, "application/json") ||
		!strings.Contains(strings.ToLower(r.RequestURL), "/wallets") {
		t.Fatalf("idempotency response = %+v", r)
	}
	when, err := r.Time()
	if err != nil || when.IsZero() || time.Since(when) > 24*time.Hour {
		t.Fatalf("Date %q: %v %v", r.Date, when, err)
	}
	var original mangopay.Wallet
	if err := r.Decode(&original); err != nil || original.ID != w.ID || original.Description != "keyed" {
		t.Fatalf("Resource = %+v (%v)", original, err)
	}

	_, err = f.c.GetIdempotencyResponse(f.ctx, "unknown-key-000000000001")
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != mangopay.TypeCorrelationIDNotFound {
		t.Fatalf("unknown key: want 400 correlationid_not_found, got %v", err)
	}
}

func TestIdempotentCreateThroughResourceMethod(t *testing.T) {
	f := newFixture(t)
	u := f.payer()
	key := mangopay.DeriveIdempotencyKey("wallet-twice", u.ID)
	params := &mangopay.WalletCreate{Owners: []string{u.ID}, Description: "once", Currency: "EUR"}
	first := must(f.c.CreateWallet(f.ctx, params, mangopay.WithIdempotencyKey(key)))(t)
	again := must(f.c.CreateWallet(f.ctx, params, mangopay.WithIdempotencyKey(key)))(t)
	if again.ID != first.ID || f.srv.Count("wallets") != 1 {
		t.Fatalf("replay created a second wallet: %s vs %s (%d wallets)", again.ID, first.ID, f.srv.Count("wallets"))
	}
}
