package mangopay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// Sandbox test cards and bank details (reference §21.3).
const (
	cardFrictionless = "4970107111111119"
	cardChallenge    = "4970105181818183"
	testIBAN         = "FR7630004000031234567890143"
	testBIC          = "BNPAFRPP"
)

// fixture is a fake server and a client on it.
type fixture struct {
	t    *testing.T
	srv  *mangopaytest.Server
	c    *mangopay.Client
	ctx  context.Context
	sent *recorder
}

// newFixture starts a fake and builds a client for it.
func newFixture(t *testing.T, opts ...mangopaytest.Option) *fixture {
	t.Helper()
	srv := mangopaytest.NewServer(t, opts...)
	rec := &recorder{next: http.DefaultTransport}
	c, err := mangopay.New(mangopay.Config{
		BaseURL:     srv.URL,
		Credentials: mangopay.StaticCredentials{ClientID: srv.ClientID, APIKey: srv.APIKey},
		RetryBase:   time.Millisecond,
		HTTPClient:  &http.Client{Transport: rec, Timeout: 30 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, c: c, ctx: context.Background(), sent: rec}
}

// recorder is an http.RoundTripper that keeps a copy of each request body
// the client sends (the fake records requests but not their bodies) and
// passes the request on unchanged over real HTTP.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []sentRequest
}

// sentRequest is one request as the client put it on the wire.
type sentRequest struct {
	method, path string
	body         []byte
}

// RoundTrip records r's body and sends r.
func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, sentRequest{method: r.Method, path: r.URL.Path, body: body})
	rec.mu.Unlock()
	return rec.next.RoundTrip(r)
}

// count is how many requests were sent.
func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// must turns a (value, error) pair into a function that returns the value
// or fails the test: must(c.GetWallet(ctx, id))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// check fails the test when a fake control call failed.
func (f *fixture) check(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

var emailSeq atomic.Int64

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, emailSeq.Add(1))
}

func parisAddress() *mangopay.Address {
	return &mangopay.Address{AddressLine1: "3 rue de la Cité", City: "Paris", Region: "Île-de-France", PostalCode: "75004", Country: "FR"}
}

// payer creates a natural PAYER user.
func (f *fixture) payer() *mangopay.NaturalUser {
	f.t.Helper()
	return must(f.c.CreateNaturalUser(f.ctx, &mangopay.NaturalUserCreate{
		UserCategory: mangopay.UserCategoryPayer, FirstName: "Alex", LastName: "Smith",
		Email: uniqueEmail("payer"), Address: parisAddress(),
	}))(f.t)
}

// owner creates a natural OWNER user, optionally made REGULAR in the fake.
func (f *fixture) owner(regular bool) *mangopay.NaturalUser {
	f.t.Helper()
	u := must(f.c.CreateNaturalUser(f.ctx, &mangopay.NaturalUserCreate{
		UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: true,
		FirstName: "Jane", LastName: "Doe", Email: uniqueEmail("owner"),
		Birthday: mangopay.Int64(mangopay.Date(1990, time.May, 17)), Nationality: "FR", CountryOfResidence: "FR",
		Address: parisAddress(),
	}))(f.t)
	if regular {
		f.check(f.srv.SetKYCLevel(u.ID, mangopay.KYCLevelRegular))
	}
	return u
}

// wallet creates a wallet for userID.
func (f *fixture) wallet(userID, currency string) *mangopay.Wallet {
	f.t.Helper()
	return must(f.c.CreateWallet(f.ctx, &mangopay.WalletCreate{
		Owners: []string{userID}, Description: "test wallet", Currency: currency,
	}))(f.t)
}

// card registers a card for userID through the whole browser flow and
// returns the card id.
func (f *fixture) card(userID, number string) string {
	f.t.Helper()
	reg := must(f.c.CreateCardRegistration(f.ctx, &mangopay.CardRegistrationCreate{UserID: userID, Currency: "EUR"}))(f.t)
	data := tokenize(f.t, reg, number, expiry(), "123")
	done := must(f.c.UpdateCardRegistration(f.ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: data, CardHolderName: "Alex Smith"}))(f.t)
	if done.Status != mangopay.CardRegistrationStatusValidated || done.CardID == nil {
		f.t.Fatalf("card registration = %s %s, want VALIDATED with a CardId", done.Status, mangopay.StringValue(done.ResultCode))
	}
	return *done.CardID
}

// expiry is a card expiry date (MMYY) three years from now.
func expiry() string { return time.Now().AddDate(3, 0, 0).Format("0106") }

// tokenize posts the card to the registration's vault URL as a browser
// form would, and returns the vault's plain-text answer.
func tokenize(t *testing.T, reg *mangopay.CardRegistration, number, exp, cvx string) string {
	t.Helper()
	form := url.Values{
		"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {number}, "cardExpirationDate": {exp}, "cardCvx": {cvx},
	}
	resp, err := http.PostForm(reg.CardRegistrationURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(body))
}

// browser is the 3DS2 browser description used by the tests.
func browser() *mangopay.BrowserInfo {
	return &mangopay.BrowserInfo{
		AcceptHeader: "text/html, application/xhtml+xml", JavaEnabled: false, Language: "FR-FR",
		ColorDepth: 24, ScreenHeight: 1080, ScreenWidth: 1920, TimeZoneOffset: -60,
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", JavascriptEnabled: true,
	}
}

func eur(amount int64) mangopay.Money { return mangopay.Money{Currency: "EUR", Amount: amount} }

// cardPayIn builds a card direct pay-in body.
func cardPayIn(authorID, walletID, cardID string, amount, fees int64) *mangopay.CardDirectPayInCreate {
	return &mangopay.CardDirectPayInCreate{
		AuthorID: authorID, CreditedWalletID: walletID, CardID: cardID,
		DebitedFunds: eur(amount), Fees: eur(fees),
		SecureModeReturnURL: "https://example.com/return", SecureMode: mangopay.SecureModeDefault,
		StatementDescriptor: "Shop", BrowserInfo: browser(), IPAddress: "2001:db8::1",
	}
}

// funded creates a payer with a EUR wallet holding amount-fees, paid in by
// card. It returns the payer, the wallet and the pay-in.
func (f *fixture) funded(amount, fees int64) (*mangopay.NaturalUser, *mangopay.Wallet, *mangopay.PayIn) {
	f.t.Helper()
	u := f.payer()
	w, p := f.fund(u.ID, amount, fees)
	return u, w, p
}

// fund creates a EUR wallet for userID and pays amount into it with a new
// frictionless card of that user.
func (f *fixture) fund(userID string, amount, fees int64) (*mangopay.Wallet, *mangopay.PayIn) {
	f.t.Helper()
	w := f.wallet(userID, "EUR")
	cardID := f.card(userID, cardFrictionless)
	p := must(f.c.CreateCardDirectPayIn(f.ctx, cardPayIn(userID, w.ID, cardID, amount, fees)))(f.t)
	if p.Status != mangopay.TransactionStatusSucceeded {
		f.t.Fatalf("funding pay-in = %s %s", p.Status, p.Code())
	}
	return w, p
}

// lastBody returns the decoded JSON body of the latest request the client
// sent with method to a path ending in suffix.
func (f *fixture) lastBody(method, suffix string) map[string]any {
	f.t.Helper()
	f.sent.mu.Lock()
	defer f.sent.mu.Unlock()
	for i := len(f.sent.reqs) - 1; i >= 0; i-- {
		r := f.sent.reqs[i]
		if r.method != method || !strings.HasSuffix(strings.ToLower(strings.TrimRight(r.path, "/")), strings.ToLower(suffix)) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			f.t.Fatalf("%s %s body %q: %v", method, r.path, r.body, err)
		}
		return m
	}
	f.t.Fatalf("no %s request to …%s", method, suffix)
	return nil
}

// wantPrefix fails unless id starts with one of the prefixes.
func wantPrefix(t *testing.T, what, id string, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		if strings.HasPrefix(id, p) {
			return
		}
	}
	t.Fatalf("%s id %q, want a prefix among %v", what, id, prefixes)
}
