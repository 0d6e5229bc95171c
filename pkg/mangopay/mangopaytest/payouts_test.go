package mangopaytest_test

import (
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// funded returns a REGULAR owner with a funded EUR wallet and an IBAN
// account.
func (a *api) funded(amount int64) (user, wallet, bank string) {
	a.t.Helper()
	user = a.owner()
	if err := a.s.SetKYCLevel(user, "REGULAR"); err != nil {
		a.t.Fatal(err)
	}
	wallet = a.wallet(user, "EUR")
	if amount > 0 {
		a.payIn(user, wallet, a.card(user, frictionlessPAN), amount, 0)
	}
	b := a.must(200, "POST", "/users/"+user+"/bankaccounts/iban", obj{"OwnerName": "Alex Smith", "OwnerAddress": addr,
		"IBAN": "FR7630004000031234567890143", "BIC": "BNPAFRPP"})
	return user, wallet, str(b["Id"])
}

func (a *api) payout(user, wallet, bank string, amount, fees int64) obj {
	a.t.Helper()
	return a.must(200, "POST", "/payouts/bankwire", obj{"AuthorId": user, "DebitedWalletId": wallet,
		"DebitedFunds": eur(amount), "Fees": eur(fees), "BankAccountId": bank, "BankWireRef": "REF1"})
}

func TestPayoutLifecycle(t *testing.T) {
	a := newAPI(t)
	u, w, b := a.funded(10000)
	p := a.payout(u, w, b, 4000, 100)
	id := str(p["Id"])
	if p["Status"] != "CREATED" || p["ResultCode"] != nil || p["ExecutionDate"] != nil || p["ModeRequested"] != "STANDARD" ||
		p["ModeApplied"] != "STANDARD" || p["PaymentType"] != "BANK_WIRE" || p["BankWireRef"] != "REF1" || p["CreditedWalletId"] != nil {
		t.Fatalf("payout: %v", p)
	}
	if a.balance(w) != 6000 {
		t.Errorf("wallet not debited at creation: %d", a.balance(w))
	}
	generic := a.must(200, "GET", "/payouts/"+id, nil)
	if _, ok := generic["ModeApplied"]; ok || generic["BankAccountId"] != b {
		t.Errorf("generic GET: %v", generic)
	}
	if bw := a.must(200, "GET", "/payouts/bankwire/"+id, nil); bw["ModeApplied"] != "STANDARD" {
		t.Errorf("bankwire GET: %v", bw)
	}
	if err := a.s.SettlePayout(id, true, ""); err != nil {
		t.Fatal(err)
	}
	got := a.must(200, "GET", "/payouts/"+id, nil)
	if got["Status"] != "SUCCEEDED" || got["ResultCode"] != "000000" || got["ExecutionDate"] == nil || a.s.FeesBalance("EUR") != 100 {
		t.Errorf("settled payout: %v, fees %d", got, a.s.FeesBalance("EUR"))
	}
	if err := a.s.SettlePayout(id, false, ""); err == nil {
		t.Errorf("settling twice succeeded")
	}

	failing := a.payout(u, w, b, 1000, 0)
	if err := a.s.SettlePayout(str(failing["Id"]), false, "121006"); err != nil {
		t.Fatal(err)
	}
	if got := a.must(200, "GET", "/payouts/"+str(failing["Id"]), nil); got["ResultCode"] != "121006" || a.balance(w) != 6000 {
		t.Errorf("failed payout: %v, balance %d (want the money back)", got["ResultCode"], a.balance(w))
	}

	expiring := a.payout(u, w, b, 1000, 0)
	a.advance(7*24*time.Hour - time.Second)
	if got := a.must(200, "GET", "/payouts/"+str(expiring["Id"]), nil); got["Status"] != "CREATED" {
		t.Errorf("payout before 7 days: %v", got["Status"])
	}
	a.advance(time.Second)
	if got := a.must(200, "GET", "/payouts/"+str(expiring["Id"]), nil); got["ResultCode"] != "121009" || a.balance(w) != 6000 {
		t.Errorf("payout after 7 days: %v, balance %d", got["ResultCode"], a.balance(w))
	}
	if n := a.s.SettleAllPayouts(true); n != 0 {
		t.Errorf("SettleAllPayouts settled %d, want 0", n)
	}
}

func TestPayoutChecks(t *testing.T) {
	a := newAPI(t)
	u, w, b := a.funded(5000)
	other, _, otherBank := a.funded(0)
	a.apiErr(400, "param_error", "POST", "/payouts/bankwire", obj{"AuthorId": u, "DebitedWalletId": w, "DebitedFunds": eur(1),
		"Fees": eur(0), "BankAccountId": otherBank}, "BankAccountId")
	a.apiErr(400, "param_error", "POST", "/payouts/bankwire", obj{"AuthorId": other, "DebitedWalletId": w, "DebitedFunds": eur(1),
		"Fees": eur(0), "BankAccountId": otherBank}, "DebitedWalletId")
	a.apiErr(400, "param_error", "POST", "/payouts/bankwire", obj{"AuthorId": u, "DebitedWalletId": w, "DebitedFunds": eur(1),
		"Fees": eur(-1), "BankAccountId": b}, "Fees.Amount")
	for _, tc := range []struct {
		name   string
		setup  func()
		amount int64
		code   string
	}{
		{"insufficient balance", func() {}, 999999, "001001"},
		{"LIGHT author", func() { _ = a.s.SetKYCLevel(u, "LIGHT") }, 10, "002999"},
		{"inactive account", func() {
			_ = a.s.SetKYCLevel(u, "REGULAR")
			a.must(200, "PUT", "/users/"+u+"/bankaccounts/"+b, obj{"Active": false})
		}, 10, "121006"},
	} {
		tc.setup()
		p := a.payout(u, w, b, tc.amount, 0)
		if p["Status"] != "FAILED" || p["ResultCode"] != tc.code {
			t.Errorf("%s: %v %v, want FAILED %s", tc.name, p["Status"], p["ResultCode"], tc.code)
		}
	}
	if a.balance(w) != 5000 {
		t.Errorf("failed payouts moved money: %d", a.balance(w))
	}
	a.apiErr(400, "param_error", "PUT", "/users/"+u+"/bankaccounts/"+b, obj{"Active": true}, "Active")
}

func TestPayoutDelay(t *testing.T) {
	a := newAPI(t, mangopaytest.WithPayoutDelay(time.Hour))
	u, w, b := a.funded(1000)
	p := a.payout(u, w, b, 500, 0)
	a.advance(59 * time.Minute)
	if got := a.must(200, "GET", "/payouts/"+str(p["Id"]), nil); got["Status"] != "CREATED" {
		t.Errorf("before the delay: %v", got["Status"])
	}
	a.advance(time.Minute)
	got := a.must(200, "GET", "/payouts/"+str(p["Id"]), nil)
	if got["Status"] != "SUCCEEDED" || num(got["ExecutionDate"]) != num(p["CreationDate"])+3600 {
		t.Errorf("after the delay: %v", got)
	}
}

func TestBankAccounts(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	for _, tc := range []struct {
		typ    string
		body   obj
		status int
		fields []string
	}{
		{"iban", obj{"OwnerName": "A", "OwnerAddress": addr, "IBAN": "FR76 3000 4000 0312 3456 7890 143"}, 200, nil},
		{"iban", obj{"OwnerName": "A", "OwnerAddress": addr, "IBAN": "FR7630004000031234567890144", "BIC": "BNP"}, 400, []string{"IBAN", "BIC"}},
		{"iban", obj{"IBAN": "GB82WEST12345698765432"}, 400, []string{"OwnerName", "OwnerAddress"}},
		{"gb", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "55779911", "SortCode": "200000"}, 200, nil},
		{"gb", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "5577", "SortCode": "2"}, 400, []string{"AccountNumber", "SortCode"}},
		{"us", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "11696419", "ABA": "071000288", "DepositAccountType": "CHECKING"}, 200, nil},
		{"ca", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "11696419", "InstitutionNumber": "614", "BranchCode": "00152", "BankName": "B"}, 200, nil},
		{"other", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "11696419", "BIC": "BNPAFRPP", "Country": "FR"}, 200, nil},
		{"other", obj{"OwnerName": "A", "OwnerAddress": addr, "AccountNumber": "1", "Country": "MN"}, 400, []string{"AccountNumber", "BIC", "Country"}},
	} {
		resp, body := a.call("POST", "/users/"+u+"/bankaccounts/"+tc.typ, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %v: %d %s", tc.typ, tc.body, resp.StatusCode, body)
			continue
		}
		var o obj
		mustJSON(t, body, &o)
		for _, f := range tc.fields {
			if _, ok := sub(o, "errors")[f]; !ok {
				t.Errorf("%s: no error on %s: %s", tc.typ, f, body)
			}
		}
	}
	l, _ := a.list("/users/" + u + "/bankaccounts?Active=true")
	if len(l) != 5 {
		t.Errorf("bank accounts: %d", len(l))
	}
	var iban obj
	for _, b := range l {
		if b["Type"] == "IBAN" {
			iban = b
		}
	}
	if iban["IBAN"] != "FR7630004000031234567890143" || iban["BIC"] != nil || iban["Active"] != true {
		t.Errorf("IBAN account: %v", iban)
	}
	if _, ok := iban["SortCode"]; ok {
		t.Errorf("IBAN account carries GB fields: %v", iban)
	}
}
