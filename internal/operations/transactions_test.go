package operations_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Helpers for the transfer, refund and payout tests: users through the
// create-natural-user operation; wallets, bank accounts and money made at
// the fake Mangopay through the client, with the records the wallet, bank
// account and pay-in operations would write (those operations are
// written separately and are not needed here).

// txPerson is a user with one wallet.
type txPerson struct {
	user   *records.Record
	wallet *records.Record
}

// txUser creates a natural user (OWNER or PAYER) and its record.
func txUser(t *testing.T, e *testenv.Env, ext, category string) *records.Record {
	t.Helper()
	return record(t, call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody(ext, category), nil)), http.StatusCreated)
}

// txSetKYC sets the user's KYC level at Mangopay, and in our record too when
// inRecord (otherwise the record is left behind Mangopay).
func txSetKYC(t *testing.T, e *testenv.Env, user *records.Record, level string, inRecord bool) {
	t.Helper()
	if err := e.Fake.SetKYCLevel(user.MangopayID, level); err != nil {
		t.Fatal(err)
	}
	if !inRecord {
		return
	}
	if _, err := e.Deps.Service.Records.Update(e.Ctx, user.ID, func(r *records.Record) error {
		r.User.KYCLevel = level
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// txWallet creates a wallet of the user at Mangopay and its record.
func txWallet(t *testing.T, e *testenv.Env, user *records.Record, currency string) *records.Record {
	t.Helper()
	w, err := e.Deps.Service.MP.CreateWallet(e.Ctx, &mangopay.WalletCreate{Owners: []string{user.MangopayID}, Description: "test", Currency: currency})
	if err != nil {
		t.Fatal(err)
	}
	return txPut(t, e, &records.Record{Kind: records.KindWallet, OwnerRef: user.OwnerRef, ParentID: user.ID, MangopayID: w.ID,
		Wallet: &records.Wallet{Currency: currency, Description: "test", Balance: records.Money{Currency: currency}}})
}

// txNewPerson is a user with a wallet.
func txNewPerson(t *testing.T, e *testenv.Env, ext, category, currency string) txPerson {
	t.Helper()
	u := txUser(t, e, ext, category)
	return txPerson{user: u, wallet: txWallet(t, e, u, currency)}
}

// txBankAccount registers an IBAN account for the user and its record.
func txBankAccount(t *testing.T, e *testenv.Env, user *records.Record) *records.Record {
	t.Helper()
	b, err := e.Deps.Service.MP.CreateIBANBankAccount(e.Ctx, user.MangopayID, &mangopay.IBANBankAccountCreate{OwnerName: "Alex Smith",
		OwnerAddress: &mangopay.Address{AddressLine1: "1 rue de la Paix", City: "Paris", PostalCode: "75002", Country: "FR"},
		IBAN:         "FR7630004000031234567890143", BIC: "BNPAFRPP"})
	if err != nil {
		t.Fatal(err)
	}
	return txPut(t, e, &records.Record{Kind: records.KindBankAccount, OwnerRef: user.OwnerRef, ParentID: user.ID, MangopayID: b.ID,
		BankAccount: &records.BankAccount{Type: "IBAN", OwnerName: "Alex Smith", AccountMasked: records.MaskIBAN(b.IBAN), Active: b.Active}})
}

// txPut writes a SYNCED record.
func txPut(t *testing.T, e *testenv.Env, r *records.Record) *records.Record {
	t.Helper()
	r.ID, r.SyncState = e.Deps.Service.Records.NewID(r.Kind), records.SyncSynced
	if err := e.Deps.Service.Records.Create(e.Ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// txPayIn puts money on the person's wallet with a card pay-in of amount
// (fees kept by the platform) and writes the pay-in's record.
func txPayIn(t *testing.T, e *testenv.Env, p txPerson, amount, fees int64) *records.Record {
	t.Helper()
	mp := e.Deps.Service.MP
	cur := p.wallet.Wallet.Currency
	reg, err := mp.CreateCardRegistration(e.Ctx, &mangopay.CardRegistrationCreate{UserID: p.user.MangopayID, Currency: cur})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {"4970107111111119"}, "cardExpirationDate": {"1299"}, "cardCvx": {"123"}}
	resp, err := http.Post(reg.CardRegistrationURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	reg, err = mp.UpdateCardRegistration(e.Ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: string(data), CardHolderName: "Alex Smith"})
	if err != nil || reg.CardID == nil {
		t.Fatalf("card registration: %+v %v", reg, err)
	}
	pi, err := mp.CreateCardDirectPayIn(e.Ctx, &mangopay.CardDirectPayInCreate{AuthorID: p.user.MangopayID, CreditedWalletID: p.wallet.MangopayID,
		DebitedFunds: mangopay.Money{Amount: amount, Currency: cur}, Fees: mangopay.Money{Amount: fees, Currency: cur},
		CardID: *reg.CardID, SecureModeReturnURL: "https://example.com/back", IPAddress: "192.0.2.1",
		BrowserInfo: &mangopay.BrowserInfo{AcceptHeader: "text/html", Language: "fr-FR", ColorDepth: 24, ScreenHeight: 1080,
			ScreenWidth: 1920, TimeZoneOffset: -60, UserAgent: "test", JavascriptEnabled: true}})
	if err != nil || pi.Status != mangopay.TransactionStatusSucceeded {
		t.Fatalf("pay-in: %+v %v", pi, err)
	}
	money := func(m mangopay.Money) records.Money { return records.Money{Amount: m.Amount, Currency: m.Currency} }
	return txPut(t, e, &records.Record{Kind: records.KindPayIn, OwnerRef: p.user.OwnerRef, MangopayID: pi.ID, Status: pi.Status,
		ResultCode: pi.Code(), Transaction: &records.Transaction{Type: pi.Type, Nature: pi.Nature, PaymentType: pi.PaymentType,
			ExecutionType: pi.ExecutionType, AuthorID: pi.AuthorID, CreditedWalletID: p.wallet.MangopayID,
			DebitedFunds: money(pi.DebitedFunds), CreditedFunds: money(pi.CreditedFunds), Fees: money(pi.Fees)}})
}

// txBalance is a wallet's balance at Mangopay.
func txBalance(t *testing.T, e *testenv.Env, wallet *records.Record) int64 {
	t.Helper()
	n, _, err := e.Fake.Balance(wallet.MangopayID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// txWantBalance checks a wallet's balance at Mangopay to the cent.
func txWantBalance(t *testing.T, e *testenv.Env, wallet *records.Record, want int64) {
	t.Helper()
	if got := txBalance(t, e, wallet); got != want {
		t.Fatalf("wallet %s holds %d at Mangopay, want %d", wallet.ID, got, want)
	}
}

// txEUR is a money body.
func txEUR(amount int64) map[string]any { return map[string]any{"amount": amount, "currency": "EUR"} }

// txMoney builds a money body in any currency.
func txMoney(amount int64, currency string) map[string]any {
	return map[string]any{"amount": amount, "currency": currency}
}

// txCalls counts the API calls the fake received whose path
// contains part, with a method.
func txCalls(e *testenv.Env, method, part string) int {
	n := 0
	for _, r := range e.Fake.Requests() {
		if r.Method == method && strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

// txSQS delivers messages to an SQS handler and expects no batch item
// failure.
func txSQS(t *testing.T, h api.SQSHandler, e *testenv.Env, msgs ...events.SQSMessage) {
	t.Helper()
	out, err := h(e.Ctx, events.SQSEvent{Records: msgs})
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("SQS batch: %+v %v", out, err)
	}
}

// txRecords lists an owner's records of a kind.
func txRecords(t *testing.T, e *testenv.Env, owner string, kind records.Kind) []records.Record {
	t.Helper()
	recs, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, owner, kind, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// txGet calls a GET handler for one id, with ?refresh=true when refresh.
func txGet(t *testing.T, h api.HTTPHandler, path, param, id string, refresh bool) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := testenv.Request("GET", path+id, map[string]string{param: id}, nil, nil)
	if refresh {
		req.QueryStringParameters = map[string]string{"refresh": "true"}
	}
	return call(t, h, req)
}
