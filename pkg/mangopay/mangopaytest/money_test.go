package mangopaytest_test

import (
	"strings"
	"testing"
)

func TestMoneyStory(t *testing.T) {
	a := newAPI(t)
	payer, owner := a.payer(), a.owner()
	wp, wo := a.wallet(payer, "EUR"), a.wallet(owner, "EUR")
	cardID := a.card(payer, frictionlessPAN)

	p := a.payIn(payer, wp, cardID, 10000, 500)
	if p["Status"] != "SUCCEEDED" || p["ResultCode"] != "000000" || p["ResultMessage"] != "Success" ||
		p["ExecutionDate"] == nil || num(sub(p, "CreditedFunds")["Amount"]) != 9500 || p["SecureModeNeeded"] != false ||
		p["SecureModeRedirectURL"] != nil || p["PaymentType"] != "CARD" || p["ExecutionType"] != "DIRECT" ||
		p["Type"] != "PAYIN" || p["Nature"] != "REGULAR" || p["CreditedUserId"] != payer ||
		!strings.HasSuffix(str(p["SecureModeReturnURL"]), "?transactionId="+str(p["Id"])) {
		t.Fatalf("pay-in: %v", p)
	}
	if c := a.must(200, "GET", "/cards/"+cardID, nil); c["Validity"] != "VALID" {
		t.Errorf("card Validity after a success: %v", c["Validity"])
	}

	tr := a.must(200, "POST", "/transfers", obj{"AuthorId": payer, "DebitedWalletId": wp, "CreditedWalletId": wo,
		"DebitedFunds": eur(6000), "Fees": eur(600)})
	if tr["Status"] != "SUCCEEDED" || num(sub(tr, "CreditedFunds")["Amount"]) != 5400 || tr["CreditedUserId"] != owner {
		t.Fatalf("transfer: %v", tr)
	}
	poor := a.must(200, "POST", "/transfers", obj{"AuthorId": payer, "DebitedWalletId": wp, "CreditedWalletId": wo,
		"DebitedFunds": eur(99999), "Fees": eur(0)})
	if poor["Status"] != "FAILED" || poor["ResultCode"] != "001001" || poor["ExecutionDate"] != nil {
		t.Fatalf("insufficient transfer: %v", poor)
	}
	same := a.must(200, "POST", "/transfers", obj{"AuthorId": payer, "DebitedWalletId": wp, "CreditedWalletId": wp,
		"DebitedFunds": eur(1), "Fees": eur(0)})
	if same["ResultCode"] != "101108" {
		t.Errorf("same-wallet transfer: %v", same)
	}
	a.apiErr(400, "param_error", "POST", "/transfers", obj{"AuthorId": owner, "DebitedWalletId": wp, "CreditedWalletId": wo,
		"DebitedFunds": eur(1), "Fees": eur(0)})
	wg := a.wallet(owner, "GBP")
	a.apiErr(400, "currency_incompatibility", "POST", "/transfers", obj{"AuthorId": payer, "DebitedWalletId": wp,
		"CreditedWalletId": wg, "DebitedFunds": eur(1), "Fees": eur(0)}, "currency")

	// Partial refund of the pay-in, fees given back in part.
	rf := a.must(200, "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": payer,
		"DebitedFunds": eur(2000), "Fees": eur(-100)})
	if rf["Status"] != "SUCCEEDED" || rf["Type"] != "PAYOUT" || rf["Nature"] != "REFUND" ||
		num(sub(rf, "CreditedFunds")["Amount"]) != 2100 || rf["DebitedWalletId"] != wp || rf["CreditedWalletId"] != nil ||
		rf["InitialTransactionId"] != p["Id"] || rf["InitialTransactionType"] != "PAYIN" {
		t.Fatalf("refund: %v", rf)
	}
	a.apiErr(400, "param_error", "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": payer, "DebitedFunds": eur(1)}, "Fees")
	a.apiErr(400, "param_error", "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": owner}, "AuthorId")
	// Cumulative cap: 2000 already refunded out of 9500.
	over := a.must(200, "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": payer, "DebitedFunds": eur(7600), "Fees": eur(0)})
	if over["Status"] != "FAILED" || over["ResultCode"] != "005403" {
		t.Errorf("over-refund: %v", over)
	}

	// Transfer refund, full by default: the owner's wallet gives the 5400 back,
	// the fees come back from the FEES wallet.
	tf := a.must(200, "POST", "/transfers/"+str(tr["Id"])+"/refunds", obj{"AuthorId": payer})
	if tf["Status"] != "SUCCEEDED" || tf["Type"] != "TRANSFER" || num(sub(tf, "DebitedFunds")["Amount"]) != 5400 ||
		num(sub(tf, "Fees")["Amount"]) != -600 || tf["DebitedWalletId"] != wo || tf["CreditedWalletId"] != wp {
		t.Fatalf("transfer refund: %v", tf)
	}
	a.apiErr(400, "param_error", "POST", "/transfers/"+str(tr["Id"])+"/refunds", obj{"AuthorId": payer}, "TransferId")

	// Balances add up: 10000 in, 2100 back to the card.
	wantP, wantO, wantFees := int64(10000-500-6000-2000+6000), int64(0), int64(500+600-100-600)
	if got := a.balance(wp); got != wantP {
		t.Errorf("payer wallet %d, want %d", got, wantP)
	}
	if got := a.balance(wo); got != wantO {
		t.Errorf("owner wallet %d, want %d", got, wantO)
	}
	if got := a.s.FeesBalance("EUR"); got != wantFees {
		t.Errorf("fees %d, want %d", got, wantFees)
	}
	if wantP+wantO+wantFees != 10000-2100 {
		t.Errorf("money created or lost")
	}
	if w := a.must(200, "GET", "/wallets/"+wp, nil); num(sub(w, "Balance")["Amount"]) != wantP {
		t.Errorf("GET wallet balance: %v", w["Balance"])
	}
	txs, h := a.list("/wallets/" + wp + "/transactions?Status=SUCCEEDED&Type=PAYIN,PAYOUT")
	if len(txs) != 2 || h.Get("X-Number-Of-Items") != "2" {
		t.Errorf("filtered wallet transactions: %d %v", len(txs), txs)
	}
	if refunds, _ := a.list("/payins/" + str(p["Id"]) + "/refunds"); len(refunds) != 2 {
		t.Errorf("pay-in refunds listed: %d", len(refunds))
	}
	got := a.must(200, "GET", "/refunds/"+str(rf["Id"]), nil)
	if got["Id"] != rf["Id"] {
		t.Errorf("GET refund: %v", got)
	}
}

func TestCardPayInOutcomes(t *testing.T) {
	a := newAPI(t)
	payer, other := a.payer(), a.payer()
	wp := a.wallet(payer, "EUR")
	cardID := a.card(payer, frictionlessPAN)
	for _, tc := range []struct {
		name          string
		author        string
		amount, fees  int64
		status, code  string
		validityAfter string
	}{
		{"not the card owner", other, 1000, 0, "FAILED", "001023", "UNKNOWN"},
		{"fees equal amount", payer, 1000, 1000, "FAILED", "001014", "UNKNOWN"},
		{"sandbox refusal", payer, 33305, 0, "FAILED", "101101", "INVALID"},
		{"later success keeps INVALID", payer, 1000, 0, "SUCCEEDED", "000000", "INVALID"},
	} {
		p := a.payIn(tc.author, wp, cardID, tc.amount, tc.fees)
		if p["Status"] != tc.status || p["ResultCode"] != tc.code {
			t.Errorf("%s: %s %s, want %s %s", tc.name, p["Status"], p["ResultCode"], tc.status, tc.code)
		}
		if c := a.must(200, "GET", "/cards/"+cardID, nil); c["Validity"] != tc.validityAfter {
			t.Errorf("%s: card Validity %v, want %s", tc.name, c["Validity"], tc.validityAfter)
		}
		if tc.status == "FAILED" {
			e := a.apiErr(400, "original_transaction_must_be_succeeded", "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": tc.author})
			if errs, ok := e["Errors"].(map[string]any); !ok || len(errs) != 0 {
				t.Errorf("refund of a FAILED pay-in: %v, want \"Errors\":{}", e)
			}
		}
	}
	a.apiErr(400, "param_error", "POST", "/payins/card/direct", obj{"AuthorId": payer, "CreditedWalletId": wp,
		"DebitedFunds": eur(100), "Fees": eur(200), "CardId": cardID, "SecureModeReturnURL": "https://example.com",
		"BrowserInfo": browser, "IpAddress": "192.0.2.1"}, "Fees")
	bi := obj{}
	for k, v := range browser {
		bi[k] = v
	}
	bi["TimeZoneOffset"] = "+60" // numeric string accepted
	delete(bi, "JavascriptEnabled")
	a.apiErr(400, "param_error", "POST", "/payins/card/direct", obj{"AuthorId": payer, "CreditedWalletId": wp,
		"DebitedFunds": eur(100), "Fees": eur(0), "CardId": cardID, "BrowserInfo": bi}, "SecureModeReturnURL", "IpAddress", "BrowserInfo.JavascriptEnabled")
	wg := a.wallet(payer, "GBP")
	a.apiErr(400, "currency_incompatibility", "POST", "/payins/card/direct", obj{"AuthorId": payer, "CreditedWalletId": wg,
		"DebitedFunds": obj{"Currency": "GBP", "Amount": 100}, "Fees": obj{"Currency": "GBP", "Amount": 0}, "CardId": cardID,
		"SecureModeReturnURL": "https://example.com", "BrowserInfo": browser, "IpAddress": "::1"}, "currency")

	// A deactivated card fails with 101410, and cannot be deactivated twice.
	a.must(200, "PUT", "/cards/"+cardID, obj{"Active": false})
	a.apiErr(400, "card_already_not_active", "PUT", "/cards/"+cardID, obj{"Active": false})
	if p := a.payIn(payer, wp, cardID, 1000, 0); p["ResultCode"] != "101410" {
		t.Errorf("inactive card pay-in: %v", p["ResultCode"])
	}
}

func TestBankWirePayIn(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	w := a.wallet(u, "EUR")
	p := a.must(200, "POST", "/payins/bankwire/direct", obj{"AuthorId": u, "CreditedWalletId": w,
		"DeclaredDebitedFunds": eur(5000), "DeclaredFees": eur(100)})
	ba := sub(p, "BankAccount")
	if p["Status"] != "CREATED" || p["PaymentType"] != "BANK_WIRE" || p["ResultCode"] != nil || p["WireReference"] == "" ||
		ba["Type"] != "IBAN" || ba["IBAN"] == nil || ba["BIC"] == nil || ba["OwnerName"] == nil {
		t.Fatalf("bank wire pay-in: %v", p)
	}
	if err := a.s.ReceiveBankWire(str(p["Id"]), 4000); err != nil {
		t.Fatal(err)
	}
	got := a.must(200, "GET", "/payins/"+str(p["Id"]), nil)
	if got["Status"] != "SUCCEEDED" || num(sub(got, "CreditedFunds")["Amount"]) != 3900 || a.balance(w) != 3900 {
		t.Errorf("after the wire: %v, balance %d", got, a.balance(w))
	}
	if err := a.s.ReceiveBankWire(str(p["Id"]), 1); err == nil {
		t.Errorf("a second wire on a SUCCEEDED pay-in was accepted")
	}
	a.apiErr(400, "param_error", "POST", "/payins/"+str(p["Id"])+"/refunds", obj{"AuthorId": u}, "PayInId")
}
