package mangopaytest_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestCardTokenization(t *testing.T) {
	a := newAPI(t)
	u := a.payer()
	newReg := func() obj { return a.must(200, "POST", "/cardregistrations", obj{"UserId": u, "Currency": "EUR"}) }
	reg := newReg()
	if reg["Status"] != "CREATED" || reg["CardType"] != "CB_VISA_MASTERCARD" || reg["RegistrationData"] != nil ||
		!strings.HasPrefix(str(reg["CardRegistrationURL"]), a.s.URL+"/__pci/tokenize/") || reg["AccessKey"] == "" {
		t.Fatalf("registration: %v", reg)
	}
	for _, tc := range []struct{ name, pan, exp, cvx, want string }{
		{"bad Luhn", "4970107111111118", "1299", "123", "errorCode=02625"},
		{"too short", "49701071111", "1299", "123", "errorCode=02625"},
		{"letters", "497010711111111a", "1299", "123", "errorCode=02625"},
		{"expired", frictionlessPAN, "0120", "123", "errorCode=02626"},
		{"bad month", frictionlessPAN, "1399", "123", "errorCode=02626"},
		{"YYMM", frictionlessPAN, "9912", "123", "errorCode=02626"},
		{"short CVV", frictionlessPAN, "1299", "12", "errorCode=02627"},
		{"AMEX needs 4", "375989111111119", "1299", "123", "errorCode=02627"},
		{"AMEX ok", "375989111111119", "1299", "1234", "data="},
		{"ok", frictionlessPAN, "1299", "123", "data="},
	} {
		if got := a.tokenize(reg, tc.pan, tc.exp, tc.cvx); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %s", tc.name, got, tc.want)
		}
	}
	// Wrong access key -> vault credentials error.
	bad := obj{"PreregistrationData": reg["PreregistrationData"], "AccessKey": "nope", "CardRegistrationURL": reg["CardRegistrationURL"]}
	if got := a.tokenize(bad, frictionlessPAN, "1299", "123"); got != "errorCode=09101" {
		t.Errorf("wrong access key: %q", got)
	}

	data := a.tokenize(reg, frictionlessPAN, "1229", "123")
	done := a.must(200, "PUT", "/cardregistrations/"+str(reg["Id"]), obj{"RegistrationData": data, "CardHolderName": "Alex Smith"})
	if done["Status"] != "VALIDATED" || done["ResultCode"] != "000000" || done["CardId"] == nil {
		t.Fatalf("validated registration: %v", done)
	}
	c := a.must(200, "GET", "/cards/"+str(done["CardId"]), nil)
	if c["Alias"] != "497010XXXXXX1119" || c["ExpirationDate"] != "1229" || c["CardProvider"] != "VISA" ||
		c["Country"] != "FRA" || c["Validity"] != "UNKNOWN" || c["Active"] != true || c["CardHolderName"] != "Alex Smith" ||
		c["UserId"] != u || c["Currency"] != "EUR" || len(str(c["Fingerprint"])) < 16 {
		t.Errorf("card: %v", c)
	}
	a.apiErr(400, "param_error", "PUT", "/cards/"+str(c["Id"]), obj{"CardHolderName": "Other Name"}, "cardHolderName")
	// The PAN and CVV never show up anywhere.
	for _, kind := range []string{"cards", "cardregistrations"} {
		raw, _ := a.s.Object(kind, str(map[string]any{"cards": c["Id"], "cardregistrations": reg["Id"]}[kind]))
		if strings.Contains(string(raw), frictionlessPAN) || strings.Contains(string(raw), `"123"`) {
			t.Errorf("%s JSON leaks card data: %s", kind, raw)
		}
	}
	// Same PAN -> same fingerprint.
	c2 := a.must(200, "GET", "/cards/"+a.card(u, frictionlessPAN), nil)
	if c2["Fingerprint"] != c["Fingerprint"] {
		t.Errorf("fingerprints differ for the same PAN")
	}
	if l, _ := a.list("/cards/fingerprints/" + str(c["Fingerprint"])); len(l) != 2 {
		t.Errorf("cards by fingerprint: %d", len(l))
	}
	if l, _ := a.list("/users/" + u + "/cards"); len(l) != 2 {
		t.Errorf("cards of user: %d", len(l))
	}

	for _, tc := range []struct{ data, code string }{
		{"errorCode=02625", "105202"}, {"errorCode=02626", "105203"}, {"errorCode=02627", "105204"},
		{"garbage", "105206"}, {"data=unknown-token", "105299"},
	} {
		r := newReg()
		got := a.must(200, "PUT", "/cardregistrations/"+str(r["Id"]), obj{"RegistrationData": tc.data})
		if got["Status"] != "ERROR" || got["ResultCode"] != tc.code || got["CardId"] != nil {
			t.Errorf("%s: %v, want ERROR %s", tc.data, got, tc.code)
		}
	}
	a.apiErr(400, "param_error", "PUT", "/cardregistrations/"+str(reg["Id"]), obj{"RegistrationData": data}, "RegistrationData")
}

func TestThreeDSPage(t *testing.T) {
	a := newAPI(t)
	u := a.payer()
	w := a.wallet(u, "EUR")
	challenge := a.card(u, challengeCard)
	p := a.payIn(u, w, challenge, 2000, 100)
	if p["Status"] != "CREATED" || p["SecureModeNeeded"] != true || p["ResultCode"] != nil || p["ExecutionDate"] != nil ||
		str(p["SecureModeRedirectURL"]) != a.s.URL+"/__3ds/"+str(p["Id"]) {
		t.Fatalf("challenge pay-in: %v", p)
	}
	page, body := a.raw("GET", str(p["SecureModeRedirectURL"]), nil)
	if page.StatusCode != 200 || !strings.Contains(string(body), "<form") {
		t.Fatalf("3DS page: %d %s", page.StatusCode, body)
	}
	resp, _ := a.raw("POST", str(p["SecureModeRedirectURL"]), strings.NewReader(url.Values{"result": {"success"}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://example.com/ret?transactionId="+str(p["Id"]) {
		t.Fatalf("3DS completion: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := a.must(200, "GET", "/payins/"+str(p["Id"]), nil)
	if got["Status"] != "SUCCEEDED" || a.balance(w) != 1900 {
		t.Errorf("after 3DS: %v, balance %d", got["Status"], a.balance(w))
	}

	// FORCE on a frictionless card, failed through GET ?result=failure.
	card := a.card(u, frictionlessPAN)
	forced := a.must(200, "POST", "/payins/card/direct", obj{"AuthorId": u, "CreditedWalletId": w, "DebitedFunds": eur(500),
		"Fees": eur(0), "CardId": card, "SecureModeReturnURL": "https://example.com/r?x=1", "SecureMode": "FORCE",
		"BrowserInfo": browser, "IpAddress": "192.0.2.1"})
	resp, _ = a.raw("GET", str(forced["SecureModeRedirectURL"])+"?result=failure", nil)
	if resp.StatusCode != 302 || !strings.HasSuffix(resp.Header.Get("Location"), "?x=1&transactionId="+str(forced["Id"])) {
		t.Fatalf("FORCE 3DS failure: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got = a.must(200, "GET", "/payins/"+str(forced["Id"]), nil)
	cd := a.must(200, "GET", "/cards/"+card, nil)
	if got["Status"] != "FAILED" || got["ResultCode"] != "101301" || cd["Validity"] != "INVALID" {
		t.Errorf("after failed 3DS: %v %v, card %v", got["Status"], got["ResultCode"], cd["Validity"])
	}
	if err := a.s.Complete3DS(str(forced["Id"]), true); err == nil {
		t.Errorf("Complete3DS on a finished pay-in succeeded")
	}
}

func TestCardWebPayIn(t *testing.T) {
	a := newAPI(t)
	u := a.payer()
	w := a.wallet(u, "EUR")
	web := func() obj {
		return a.must(200, "POST", "/payins/card/web", obj{"AuthorId": u, "CreditedWalletId": w, "DebitedFunds": eur(1000),
			"Fees": eur(10), "ReturnURL": "https://example.com/back", "CardType": "CB_VISA_MASTERCARD", "Culture": "FR"})
	}
	p := web()
	if p["Status"] != "CREATED" || p["ExecutionType"] != "WEB" || str(p["RedirectURL"]) != a.s.URL+"/__web/"+str(p["Id"]) ||
		p["TemplateURL"] != nil || !strings.HasSuffix(str(p["ReturnURL"]), "?transactionId="+str(p["Id"])) {
		t.Fatalf("web pay-in: %v", p)
	}
	resp, _ := a.raw("GET", str(p["RedirectURL"])+"?result=success", nil)
	if resp.StatusCode != 302 || a.balance(w) != 990 {
		t.Errorf("web completion: %d, balance %d", resp.StatusCode, a.balance(w))
	}
	late := web()
	a.advance(15 * 60e9)
	got := a.must(200, "GET", "/payins/"+str(late["Id"]), nil)
	if got["Status"] != "FAILED" || got["ResultCode"] != "101109" {
		t.Errorf("expired web pay-in: %v", got)
	}
	var raw json.RawMessage
	raw, ok := a.s.Object("payins", str(late["Id"]))
	if !ok || !strings.Contains(string(raw), `"101109"`) {
		t.Errorf("Object: %s", raw)
	}
}
