package mangopaytest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// obj is a decoded JSON object.
type obj = map[string]any

// api is a tiny Mangopay client over plain net/http, for the tests.
type api struct {
	t     testing.TB
	s     *mangopaytest.Server
	token string
	hc    *http.Client
}

func newAPI(t testing.TB, opts ...mangopaytest.Option) *api {
	t.Helper()
	s := mangopaytest.NewServer(t, opts...)
	a := &api{t: t, s: s, hc: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	a.token = a.newToken()
	return a
}

// advance moves the fake clock and takes a new token (the old one may have
// expired).
func (a *api) advance(d time.Duration) {
	a.t.Helper()
	a.s.Advance(d)
	a.token = a.newToken()
}

// newToken asks the token endpoint for a token.
func (a *api) newToken() string {
	a.t.Helper()
	resp, body := a.raw("POST", a.s.URL+"/v2.01/oauth/token", strings.NewReader("grant_type=client_credentials"),
		"Authorization", basic(a.s.ClientID, a.s.APIKey), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 {
		a.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustJSON(a.t, body, &tok)
	return tok.AccessToken
}

func basic(id, key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+key))
}

// raw sends a request; hdr are header name/value pairs.
func (a *api) raw(method, u string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		a.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp, b
}

// url is the API URL of a path under /v2.01/{ClientId}.
func (a *api) url(path string) string { return a.s.URL + "/v2.01/" + a.s.ClientID + path }

// call sends a JSON API call with the token; body may be nil, a string or a
// value to marshal.
func (a *api) call(method, path string, body any, hdr ...string) (*http.Response, []byte) {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	hdr = append([]string{"Authorization", "Bearer " + a.token, "Content-Type", "application/json"}, hdr...)
	return a.raw(method, a.url(path), r, hdr...)
}

// must sends a call, checks the status and decodes the object answered.
func (a *api) must(want int, method, path string, body any, hdr ...string) obj {
	a.t.Helper()
	resp, b := a.call(method, path, body, hdr...)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if len(b) == 0 || b[0] == '[' {
		return nil
	}
	var o obj
	mustJSON(a.t, b, &o)
	return o
}

// list sends a GET for a list and decodes the array.
func (a *api) list(path string) ([]obj, http.Header) {
	a.t.Helper()
	resp, b := a.call("GET", path, nil)
	if resp.StatusCode != 200 {
		a.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var out []obj
	mustJSON(a.t, b, &out)
	return out, resp.Header
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
}

// apiErr checks a Mangopay error body: status, Type and (if given) the
// fields of errors.
func (a *api) apiErr(wantStatus int, wantType string, method, path string, body any, fields ...string) obj {
	a.t.Helper()
	resp, b := a.call(method, path, body)
	if resp.StatusCode != wantStatus {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	var e obj
	mustJSON(a.t, b, &e)
	if e["Type"] != wantType {
		a.t.Fatalf("%s %s: Type %v, want %s: %s", method, path, e["Type"], wantType, b)
	}
	for _, k := range []string{"Message", "Id", "Date"} {
		if _, ok := e[k]; !ok {
			a.t.Errorf("error body has no %s: %s", k, b)
		}
	}
	errs, _ := e["errors"].(map[string]any)
	for _, f := range fields {
		if _, ok := errs[f]; !ok {
			a.t.Errorf("%s %s: errors has no %q: %s", method, path, f, b)
		}
	}
	return e
}

func str(v any) string { return fmt.Sprint(v) }

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// sub returns a nested object.
func sub(o obj, key string) obj {
	m, _ := o[key].(map[string]any)
	return m
}

func eur(amount int64) obj { return obj{"Currency": "EUR", "Amount": amount} }

var addr = obj{"AddressLine1": "1 rue de la Paix", "City": "Paris", "PostalCode": "75002", "Country": "FR"}

// owner creates a natural OWNER user.
func (a *api) owner() string {
	a.t.Helper()
	u := a.must(200, "POST", "/users/natural", obj{"UserCategory": "OWNER", "TermsAndConditionsAccepted": true,
		"FirstName": "Alex", "LastName": "Smith", "Email": "alex@example.com", "Birthday": 315532800,
		"Nationality": "FR", "CountryOfResidence": "FR", "Address": addr})
	return str(u["Id"])
}

// payer creates a natural PAYER user.
func (a *api) payer() string {
	a.t.Helper()
	u := a.must(200, "POST", "/users/natural", obj{"UserCategory": "PAYER", "FirstName": "Pat", "LastName": "Payer",
		"Email": "pat@example.com"})
	return str(u["Id"])
}

func (a *api) wallet(owner, cur string) string {
	a.t.Helper()
	w := a.must(200, "POST", "/wallets", obj{"Owners": []string{owner}, "Description": "w", "Currency": cur})
	return str(w["Id"])
}

// tokenize posts card data to the registration's vault URL.
func (a *api) tokenize(reg obj, pan, exp, cvx string) string {
	a.t.Helper()
	form := url.Values{"data": {str(reg["PreregistrationData"])}, "accessKeyRef": {str(reg["AccessKey"])},
		"cardNumber": {pan}, "cardExpirationDate": {exp}, "cardCvx": {cvx}}
	resp, b := a.raw("POST", str(reg["CardRegistrationURL"]), strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 {
		a.t.Fatalf("tokenize: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// card registers a card for a user and returns its Id.
func (a *api) card(user, pan string) string {
	a.t.Helper()
	reg := a.must(200, "POST", "/cardregistrations", obj{"UserId": user, "Currency": "EUR"})
	data := a.tokenize(reg, pan, "1299", "123")
	reg = a.must(200, "PUT", "/cardregistrations/"+str(reg["Id"]), obj{"RegistrationData": data, "CardHolderName": "Alex Smith"})
	if reg["Status"] != "VALIDATED" {
		a.t.Fatalf("card registration: %v", reg)
	}
	return str(reg["CardId"])
}

const (
	frictionlessPAN = "4970107111111119"
	challengeCard   = "4970105181818183"
)

var browser = obj{"AcceptHeader": "text/html", "JavaEnabled": false, "Language": "fr-FR", "ColorDepth": 24,
	"ScreenHeight": 1080, "ScreenWidth": 1920, "TimeZoneOffset": -60, "UserAgent": "test", "JavascriptEnabled": true}

// payIn makes a card direct pay-in.
func (a *api) payIn(author, walletID, cardID string, amount, fees int64) obj {
	a.t.Helper()
	return a.must(200, "POST", "/payins/card/direct", obj{"AuthorId": author, "CreditedWalletId": walletID,
		"DebitedFunds": eur(amount), "Fees": eur(fees), "CardId": cardID, "SecureModeReturnURL": "https://example.com/ret",
		"BrowserInfo": browser, "IpAddress": "192.0.2.1"})
}

func (a *api) balance(walletID string) int64 {
	a.t.Helper()
	n, _, err := a.s.Balance(walletID)
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// pdf returns a PDF-looking file of n bytes, base64-encoded.
func pdf(n int) string {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n")
	return base64.StdEncoding.EncodeToString(b)
}
