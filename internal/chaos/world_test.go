package chaos_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Functions whose queues the scenarios feed, named as in functions/.
const (
	fnPayIn    = "create-card-payin"
	fnTransfer = "create-transfer"
	fnPayout   = "create-payout"
)

// handlers builds the three functions' handlers as their mains do.
func (s *stack) handlers() map[string]lambda.Handler {
	d := s.d
	return map[string]lambda.Handler{
		fnPayIn:    lambda.NewHandler(api.Handler(d.Service.CreateCardPayInOp(), d.API)),
		fnTransfer: lambda.NewHandler(api.Handler(d.Service.CreateTransferOp(), d.API)),
		fnPayout:   lambda.NewHandler(api.Handler(d.Service.CreatePayoutOp(), d.API)),
	}
}

// person is a user with a EUR wallet, and a card (payers) or a bank
// account (sellers).
type person struct {
	user, wallet, card, bank *records.Record
}

// world is the scenario's marketplace: payers who pay in by card and
// transfer to sellers, sellers who pay out to their bank accounts. Every
// wallet is funded beforehand with what the requests will take from it,
// so that no request depends on another's order.
type world struct {
	s       *stack
	payers  []person
	sellers []person
	// initial are the wallets' balances (Mangopay wallet id) before the
	// requests; fees0 the platform's fees wallet.
	initial map[string]int64
	fees0   int64
}

const frictionlessPAN = "4970107111111119" // the sandbox card that pays without 3-D Secure

func newWorld(t *testing.T, s *stack, payers, sellers int) *world {
	t.Helper()
	w := &world{s: s, initial: map[string]int64{}}
	for i := range payers {
		u := w.user(t, fmt.Sprintf("payer-%d", i), "PAYER")
		p := person{user: u, wallet: w.wallet(t, u)}
		p.card = w.card(t, u)
		w.payers = append(w.payers, p)
	}
	for i := range sellers {
		u := w.user(t, fmt.Sprintf("seller-%d", i), "OWNER")
		if err := s.e.Fake.SetKYCLevel(u.MangopayID, "REGULAR"); err != nil {
			t.Fatal(err)
		}
		u, err := s.d.Service.Records.Update(s.e.Ctx, u.ID, func(r *records.Record) error {
			r.User.KYCLevel = "REGULAR"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w.sellers = append(w.sellers, person{user: u, wallet: w.wallet(t, u), bank: w.bankAccount(t, u)})
	}
	return w
}

func (w *world) user(t *testing.T, ext, category string) *records.Record {
	t.Helper()
	body := map[string]any{"external_user_id": ext, "user_category": category, "terms_and_conditions_accepted": category == "OWNER",
		"first_name": "Alex", "last_name": "Smith", "email": "alex@example.com"}
	if category == "OWNER" {
		body["birthday"], body["nationality"], body["country_of_residence"] = "1990-04-21", "FR", "FR"
	}
	resp, err := api.HTTP(w.s.d.Service.CreateNaturalUserOp(), w.s.d.API)(w.s.e.Ctx, testenv.Request("POST", "/users/natural", nil, body, nil))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	var r records.Record
	testenv.Decode(t, resp.Body, &r)
	return &r
}

// wallet creates a EUR wallet at Mangopay and its record, as create-wallet
// keeps it.
func (w *world) wallet(t *testing.T, u *records.Record) *records.Record {
	t.Helper()
	mw, err := w.s.d.Service.MP.CreateWallet(w.s.e.Ctx, &mangopay.WalletCreate{Owners: []string{u.MangopayID}, Description: "chaos", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	return w.put(t, &records.Record{Kind: records.KindWallet, OwnerRef: u.OwnerRef, ParentID: u.ID, MangopayID: mw.ID,
		Wallet: &records.Wallet{Currency: "EUR", Description: "chaos", Balance: records.Money{Currency: "EUR"}}})
}

func (w *world) bankAccount(t *testing.T, u *records.Record) *records.Record {
	t.Helper()
	b, err := w.s.d.Service.MP.CreateIBANBankAccount(w.s.e.Ctx, u.MangopayID, &mangopay.IBANBankAccountCreate{OwnerName: "Alex Smith",
		OwnerAddress: &mangopay.Address{AddressLine1: "1 rue de la Paix", City: "Paris", PostalCode: "75002", Country: "FR"},
		IBAN:         "FR7630004000031234567890143", BIC: "BNPAFRPP"})
	if err != nil {
		t.Fatal(err)
	}
	return w.put(t, &records.Record{Kind: records.KindBankAccount, OwnerRef: u.OwnerRef, ParentID: u.ID, MangopayID: b.ID,
		BankAccount: &records.BankAccount{Type: "IBAN", OwnerName: "Alex Smith", AccountMasked: records.MaskIBAN(b.IBAN), Active: b.Active}})
}

func (w *world) put(t *testing.T, r *records.Record) *records.Record {
	t.Helper()
	r.ID, r.SyncState = w.s.d.Service.Records.NewID(r.Kind), records.SyncSynced
	if err := w.s.d.Service.Records.Create(w.s.e.Ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// card registers a card through the operations, as a checkout page does.
func (w *world) card(t *testing.T, u *records.Record) *records.Record {
	t.Helper()
	d, ctx := w.s.d, w.s.e.Ctx
	resp, err := api.HTTP(d.Service.CreateCardRegistrationOp(), d.API)(ctx, testenv.Request("POST", "/users/"+u.ID+"/card-registrations",
		map[string]string{"user_id": u.ID}, map[string]any{"currency": "EUR"}, nil))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("card registration: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	var reg operations.CardRegistrationAnswer
	testenv.Decode(t, resp.Body, &reg)
	res, err := http.PostForm(reg.CardRegistrationURL, url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {frictionlessPAN}, "cardExpirationDate": {time.Now().AddDate(2, 0, 0).Format("0106")}, "cardCvx": {"737"}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	resp, err = api.HTTP(d.Service.CompleteCardRegistrationOp(), d.API)(ctx, testenv.Request("PUT", "/card-registrations/"+reg.ID,
		map[string]string{"card_registration_id": reg.ID}, map[string]any{"registration_data": string(data)}, nil))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("complete card registration: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	var c records.Record
	testenv.Decode(t, resp.Body, &c)
	return &c
}

// fund credits a wallet with a card pay-in made at Mangopay directly (set
// up, not under test), from a card of the wallet's owner registered for
// the purpose.
func (w *world) fund(t *testing.T, p person, amount int64) {
	t.Helper()
	if amount == 0 {
		return
	}
	mp, ctx := w.s.d.Service.MP, w.s.e.Ctx
	reg, err := mp.CreateCardRegistration(ctx, &mangopay.CardRegistrationCreate{UserID: p.user.MangopayID, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {frictionlessPAN}, "cardExpirationDate": {"1299"}, "cardCvx": {"123"}}
	resp, err := http.Post(reg.CardRegistrationURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	reg, err = mp.UpdateCardRegistration(ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: string(data), CardHolderName: "Alex Smith"})
	if err != nil || reg.CardID == nil {
		t.Fatalf("card registration: %+v %v", reg, err)
	}
	pi, err := mp.CreateCardDirectPayIn(ctx, &mangopay.CardDirectPayInCreate{AuthorID: p.user.MangopayID, CreditedWalletID: p.wallet.MangopayID,
		DebitedFunds: mangopay.Money{Amount: amount, Currency: "EUR"}, Fees: mangopay.Money{Currency: "EUR"},
		CardID: *reg.CardID, SecureModeReturnURL: "https://example.com/back", IPAddress: "192.0.2.1", Tag: "funding",
		BrowserInfo: &mangopay.BrowserInfo{AcceptHeader: "text/html", Language: "fr-FR", ColorDepth: 24, ScreenHeight: 1080,
			ScreenWidth: 1920, TimeZoneOffset: -60, UserAgent: "test", JavascriptEnabled: true}})
	if err != nil || pi.Status != mangopay.TransactionStatusSucceeded {
		t.Fatalf("funding pay-in: %+v %v", pi, err)
	}
}

// request is one operation request of a scenario.
type request struct {
	fn  string
	tag string
	// body is the message body (the HTTP body's JSON).
	body map[string]any
	// debited and credited are Mangopay wallet ids ("" for a card or a
	// bank account); amount and fees in EUR cents.
	debited, credited string
	amount, fees      int64
	owner             string // the record's owner (external user id)
	kind              records.Kind
}

func eur(n int64) map[string]any { return map[string]any{"amount": n, "currency": "EUR"} }

// requests draws n requests, a third of each kind, and funds the wallets
// they debit.
func (w *world) requests(t *testing.T, rng *rand.Rand, n int, prefix string) []*request {
	t.Helper()
	need := map[string]int64{}
	out := make([]*request, 0, n)
	for i := range n {
		amount := 100 + rng.Int64N(4900)
		fees := rng.Int64N(amount / 10)
		payer, seller := w.payers[rng.IntN(len(w.payers))], w.sellers[rng.IntN(len(w.sellers))]
		tag := fmt.Sprintf("%s-%05d", prefix, i)
		var r *request
		switch i % 3 {
		case 0:
			r = &request{fn: fnPayIn, kind: records.KindPayIn, credited: payer.wallet.MangopayID, owner: payer.user.OwnerRef,
				body: map[string]any{"author_id": payer.user.ID, "credited_wallet_id": payer.wallet.ID, "card_id": payer.card.ID,
					"debited_funds": eur(amount), "fees": eur(fees), "secure_mode_return_url": "https://shop.example.com/paid",
					"browser_info": map[string]any{"accept_header": "text/html", "java_enabled": false, "language": "fr-FR", "color_depth": 24,
						"screen_height": 1080, "screen_width": 1920, "time_zone_offset": -60, "user_agent": "Mozilla/5.0", "javascript_enabled": true},
					"ip_address": "192.0.2.10"}}
		case 1:
			r = &request{fn: fnTransfer, kind: records.KindTransfer, debited: payer.wallet.MangopayID, credited: seller.wallet.MangopayID,
				owner: payer.user.OwnerRef, body: map[string]any{"debited_wallet_id": payer.wallet.ID, "credited_wallet_id": seller.wallet.ID,
					"debited_funds": eur(amount), "fees": eur(fees)}}
		default:
			r = &request{fn: fnPayout, kind: records.KindPayout, debited: seller.wallet.MangopayID, owner: seller.user.OwnerRef,
				body: map[string]any{"debited_wallet_id": seller.wallet.ID, "bank_account_id": seller.bank.ID,
					"debited_funds": eur(amount), "fees": eur(fees)}}
		}
		r.tag, r.amount, r.fees = tag, amount, fees
		r.body["tag"] = tag
		if r.debited != "" {
			need[r.debited] += amount
		}
		out = append(out, r)
	}
	for _, p := range append(append([]person(nil), w.payers...), w.sellers...) {
		w.fund(t, p, need[p.wallet.MangopayID])
	}
	for _, p := range append(append([]person(nil), w.payers...), w.sellers...) {
		b, _, err := w.s.e.Fake.Balance(p.wallet.MangopayID)
		if err != nil {
			t.Fatal(err)
		}
		w.initial[p.wallet.MangopayID] = b
	}
	w.fees0 = w.s.e.Fake.FeesBalance("EUR")
	return out
}

// acknowledged reports, by request tag, whether the message made of each
// request (msgs[i] from reqs[i], see messages) was acknowledged, and how
// many were.
func acknowledged(reqs []*request, msgs []*message) (done map[string]bool, acked int) {
	done = make(map[string]bool, len(msgs))
	for i, m := range msgs {
		done[reqs[i].tag] = m.acked
		if m.acked {
			acked++
		}
	}
	return done, acked
}

// messages turns requests into queue messages: a third carry their
// Idempotency-Key as a message attribute, a third in the body, the rest
// rely on the SQS message id.
func messages(reqs []*request) []*message {
	out := make([]*message, len(reqs))
	for i, r := range reqs {
		body := map[string]any{}
		for k, v := range r.body {
			body[k] = v
		}
		attrs := map[string]string{}
		switch i % 3 {
		case 0:
			attrs[api.AttrIdempotencyKey] = "key-" + r.tag
		case 1:
			body["idempotency_key"] = "key-" + r.tag
		}
		raw, _ := json.Marshal(body)
		out[i] = &message{id: fmt.Sprintf("msg-%s", r.tag), fn: r.fn, body: string(raw), attrs: attrs}
	}
	return out
}
