package mangopay_test

import (
	"errors"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// preauth holds amount on a new frictionless card of a new payer.
func (f *fixture) preauth(amount int64) (*mangopay.NaturalUser, *mangopay.Wallet, *mangopay.PreAuthorization) {
	f.t.Helper()
	u := f.payer()
	w := f.wallet(u.ID, "EUR")
	cardID := f.card(u.ID, cardFrictionless)
	pa := must(f.c.CreatePreAuthorization(f.ctx, &mangopay.PreAuthorizationCreate{
		AuthorID: u.ID, DebitedFunds: eur(amount), CardID: cardID,
		SecureModeReturnURL: "https://example.com/return", BrowserInfo: browser(), IPAddress: "192.0.2.10",
	}))(f.t)
	return u, w, pa
}

func TestPreAuthorizationMultiCapture(t *testing.T) {
	f := newFixture(t)
	u, w, pa := f.preauth(10000)
	wantPrefix(t, "preauthorization", pa.ID, "preauth_m_")
	if pa.Status != mangopay.TransactionStatusSucceeded || pa.PaymentStatus != mangopay.PaymentStatusWaiting ||
		pa.AuthorizationDate == nil || pa.ExpirationDate == nil || pa.RemainingFunds != eur(10000) || pa.PayInID != nil || !pa.MultiCapture {
		t.Fatalf("preauthorization = %+v", pa)
	}
	if hold := *pa.ExpirationDate - *pa.AuthorizationDate; hold != 561600 {
		t.Fatalf("hold = %d s, want 561600", hold)
	}
	capture := func(amount int64, key string) *mangopay.PayIn {
		t.Helper()
		return must(f.c.CapturePreAuthorization(f.ctx, &mangopay.PreAuthorizationCapture{
			PreauthorizationID: pa.ID, CreditedWalletID: w.ID, AuthorID: u.ID, DebitedFunds: eur(amount), Fees: eur(0),
		}, mangopay.WithIdempotencyKey(key)))(t)
	}
	first := capture(3000, "capture-0000000001")
	if !first.Succeeded() || first.PaymentType != mangopay.PaymentTypePreauthorized || mangopay.StringValue(first.PreauthorizationID) != pa.ID {
		t.Fatalf("first capture = %+v", first)
	}
	// Same amount again: allowed because each carries its own key.
	if second := capture(3000, "capture-0000000002"); !second.Succeeded() {
		t.Fatalf("second capture = %s %s", second.Status, second.Code())
	}
	over := capture(5000, "capture-0000000003")
	if !over.Failed() || over.Code() != mangopay.ResultCodeCaptureAboveRemaining {
		t.Fatalf("capture above remaining = %s %s, want FAILED 001505", over.Status, over.Code())
	}
	got := must(f.c.GetPreAuthorization(f.ctx, pa.ID))(t)
	if got.RemainingFunds.Amount != 4000 || mangopay.StringValue(got.PayInID) != first.ID {
		t.Fatalf("after captures: remaining %d, PayInId %v", got.RemainingFunds.Amount, mangopay.StringValue(got.PayInID))
	}
	if w := must(f.c.GetWallet(f.ctx, w.ID))(t); w.Balance.Amount != 6000 {
		t.Fatalf("balance = %d, want 6000", w.Balance.Amount)
	}
	// Cancelling after a capture is refused; validating releases the rest.
	_, err := f.c.CancelPreAuthorization(f.ctx, pa.ID)
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Type != "preauthorization_payment_status_can_not_be_canceled" {
		t.Fatalf("cancel after capture: %v", err)
	}
	done := must(f.c.ValidatePreAuthorization(f.ctx, pa.ID))(t)
	if done.PaymentStatus != mangopay.PaymentStatusValidated {
		t.Fatalf("after validate: %s", done.PaymentStatus)
	}
}

func TestPreAuthorizationCancel(t *testing.T) {
	f := newFixture(t)
	_, w, pa := f.preauth(2000)
	_, err := f.c.ValidatePreAuthorization(f.ctx, pa.ID)
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("validate with no capture: want a 400, got %v", err)
	}
	done := must(f.c.CancelPreAuthorization(f.ctx, pa.ID))(t)
	if done.PaymentStatus != mangopay.PaymentStatusCanceled {
		t.Fatalf("after cancel: %s", done.PaymentStatus)
	}
	_, err = f.c.CapturePreAuthorization(f.ctx, &mangopay.PreAuthorizationCapture{PreauthorizationID: pa.ID, CreditedWalletID: w.ID, DebitedFunds: eur(100), Fees: eur(0)})
	if !errors.As(err, &apiErr) || apiErr.Fields["PaymentStatus"] == "" {
		t.Fatalf("capture of a canceled hold: want 400 on PaymentStatus, got %v", err)
	}
}
