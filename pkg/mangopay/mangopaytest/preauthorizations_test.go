package mangopaytest_test

import (
	"testing"
	"time"
)

func (a *api) preauth(user, card string, amount int64) obj {
	a.t.Helper()
	return a.must(200, "POST", "/preauthorizations/card/direct", obj{"AuthorId": user, "DebitedFunds": eur(amount),
		"CardId": card, "SecureModeReturnURL": "https://example.com/pa", "BrowserInfo": browser, "IpAddress": "192.0.2.1"})
}

func (a *api) capture(pa, wallet string, amount, fees int64, hdr ...string) obj {
	a.t.Helper()
	return a.must(200, "POST", "/payins/preauthorized/direct", obj{"PreauthorizationId": pa, "CreditedWalletId": wallet,
		"DebitedFunds": eur(amount), "Fees": eur(fees)}, hdr...)
}

func TestPreauthMultiCapture(t *testing.T) {
	a := newAPI(t)
	u := a.payer()
	w := a.wallet(u, "EUR")
	card := a.card(u, frictionlessPAN)
	pa := a.preauth(u, card, 10000)
	id := str(pa["Id"])
	if pa["Status"] != "SUCCEEDED" || pa["PaymentStatus"] != "WAITING" || num(sub(pa, "RemainingFunds")["Amount"]) != 10000 ||
		num(pa["ExpirationDate"])-num(pa["AuthorizationDate"]) != 561600 || pa["PayInId"] != nil || pa["MultiCapture"] != true ||
		pa["SecureModeReturnURL"] != "https://example.com/pa?preAuthorizationId="+id {
		t.Fatalf("preauthorization: %v", pa)
	}
	a.apiErr(400, "invalid_action", "PUT", "/preauthorizations/"+id, obj{"PaymentStatus": "VALIDATED"})

	c1 := a.capture(id, w, 3000, 100)
	if c1["Status"] != "SUCCEEDED" || c1["PaymentType"] != "PREAUTHORIZED" || c1["PreauthorizationId"] != id {
		t.Fatalf("capture 1: %v", c1)
	}
	over := a.capture(id, w, 8000, 0)
	if over["Status"] != "FAILED" || over["ResultCode"] != "001505" {
		t.Errorf("capture over the remaining funds: %v", over)
	}
	// The same amount twice within 24 h needs an Idempotency-Key on both.
	a.apiErr(400, "param_error", "POST", "/payins/preauthorized/direct", obj{"PreauthorizationId": id, "CreditedWalletId": w,
		"DebitedFunds": eur(3000), "Fees": eur(0)}, "IdempotencyKey")
	c2 := a.capture(id, w, 7000, 0)
	got := a.must(200, "GET", "/preauthorizations/"+id, nil)
	if c2["Status"] != "SUCCEEDED" || got["PaymentStatus"] != "VALIDATED" || num(sub(got, "RemainingFunds")["Amount"]) != 0 ||
		got["PayInId"] != c1["Id"] {
		t.Errorf("after the last capture: %v", got)
	}
	a.apiErr(400, "param_error", "POST", "/payins/preauthorized/direct", obj{"PreauthorizationId": id, "CreditedWalletId": w,
		"DebitedFunds": eur(1), "Fees": eur(0)}, "PaymentStatus")
	a.apiErr(400, "preauthorization_payment_status_can_not_be_canceled", "PUT", "/preauthorizations/"+id, obj{"PaymentStatus": "CANCELED"})
	if a.balance(w) != 9900 {
		t.Errorf("wallet %d, want 9900", a.balance(w))
	}
	if l, _ := a.list("/preauthorizations/" + id + "/transactions"); len(l) != 3 {
		t.Errorf("preauthorization transactions: %d", len(l))
	}

	// Cancel with nothing captured; expiry with and without a capture.
	pa2 := a.preauth(u, card, 500)
	can := a.must(200, "PUT", "/preauthorizations/"+str(pa2["Id"]), obj{"PaymentStatus": "CANCELED"})
	if can["PaymentStatus"] != "CANCELED" {
		t.Errorf("cancel: %v", can)
	}
	pa3, pa4 := a.preauth(u, card, 500), a.preauth(u, card, 500)
	a.capture(str(pa4["Id"]), w, 100, 0)
	a.advance(561600 * time.Second)
	if got := a.must(200, "GET", "/preauthorizations/"+str(pa3["Id"]), nil); got["PaymentStatus"] != "EXPIRED" {
		t.Errorf("expired hold: %v", got["PaymentStatus"])
	}
	if got := a.must(200, "GET", "/preauthorizations/"+str(pa4["Id"]), nil); got["PaymentStatus"] != "VALIDATED" {
		t.Errorf("expired hold after a capture: %v", got["PaymentStatus"])
	}
	if l, _ := a.list("/users/" + u + "/preauthorizations?PaymentStatus=EXPIRED"); len(l) != 1 {
		t.Errorf("user preauthorizations EXPIRED: %d", len(l))
	}
}

func TestPreauth3DSAndFailures(t *testing.T) {
	a := newAPI(t)
	u := a.payer()
	w := a.wallet(u, "EUR")
	pa := a.preauth(u, a.card(u, challengeCard), 1000)
	if pa["Status"] != "CREATED" || pa["PaymentStatus"] != "WAITING" || pa["ExpirationDate"] != nil || pa["SecureModeNeeded"] != true {
		t.Fatalf("3DS preauthorization: %v", pa)
	}
	a.apiErr(400, "param_error", "POST", "/payins/preauthorized/direct", obj{"PreauthorizationId": pa["Id"], "CreditedWalletId": w,
		"DebitedFunds": eur(1), "Fees": eur(0)}, "Status")
	if err := a.s.Complete3DS(str(pa["Id"]), true); err != nil {
		t.Fatal(err)
	}
	if got := a.must(200, "GET", "/preauthorizations/"+str(pa["Id"]), nil); got["Status"] != "SUCCEEDED" || got["ExpirationDate"] == nil {
		t.Errorf("after 3DS: %v", got)
	}
	failed := a.preauth(u, a.card(u, frictionlessPAN), 33305)
	if failed["Status"] != "FAILED" || failed["PaymentStatus"] != "CANCELED" || failed["ResultCode"] != "101101" || failed["ExpirationDate"] != nil {
		t.Errorf("refused preauthorization: %v", failed)
	}
}
