package mangopaytest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

type responseWrapper struct {
	StatusCode    string          `json:"StatusCode"`
	ContentLength string          `json:"ContentLength"`
	ContentType   *string         `json:"ContentType"`
	Date          string          `json:"Date"`
	RequestURL    string          `json:"RequestURL"`
	Resource      json.RawMessage `json:"Resource"`
}

func TestIdempotency(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	body := obj{"Owners": []string{u}, "Description": "w", "Currency": "EUR"}
	key := "0b9f5c7e-idem-key-0001"
	first := a.must(200, "POST", "/wallets", body, "Idempotency-Key", key)
	resp, b := a.call("POST", "/wallets", body, "Idempotency-Key", key)
	if resp.StatusCode != 409 || !strings.Contains(string(b), `"Type":"idempotent_creation_conflict"`) {
		t.Errorf("replay: %d %s", resp.StatusCode, b)
	}
	resp, b = a.call("POST", "/wallets", obj{"Owners": []string{u}, "Description": "other", "Currency": "GBP"}, "Idempotency-Key", key)
	if resp.StatusCode != 409 || !strings.Contains(string(b), `"errors":null`) {
		t.Errorf("replay with another body: %d %s", resp.StatusCode, b)
	}
	if n := a.s.Count("wallets"); n != 1 {
		t.Errorf("wallets = %d after a replay", n)
	}
	var w responseWrapper
	mustJSON(t, mustBody(t, a, "GET", "/responses/"+key), &w)
	var res obj
	mustJSON(t, w.Resource, &res)
	if w.StatusCode != "200" || w.ContentLength == "" || w.ContentType == nil || res["Id"] != first["Id"] ||
		!strings.HasSuffix(w.RequestURL, "/v2.01/"+a.s.ClientID+"/wallets") {
		t.Errorf("wrapper: %+v", w)
	}
	if _, err := http.ParseTime(w.Date); err != nil {
		t.Errorf("Date %q is not an HTTP date", w.Date)
	}

	// A failed first call is stored too, and its key cannot be reused.
	bad := "bad-call-key-000000001"
	resp, _ = a.call("POST", "/wallets", obj{}, "Idempotency-Key", bad)
	if resp.StatusCode != 400 {
		t.Fatalf("bad wallet: %d", resp.StatusCode)
	}
	resp, _ = a.call("POST", "/wallets", body, "Idempotency-Key", bad)
	if resp.StatusCode != 409 {
		t.Errorf("reuse of a failed call's key: %d", resp.StatusCode)
	}
	mustJSON(t, mustBody(t, a, "GET", "/responses/"+bad), &w)
	if w.StatusCode != "400" {
		t.Errorf("stored failure: %+v", w)
	}

	for _, k := range []string{"short", "has_underscore_0123456", strings.Repeat("a", 37)} {
		resp, b := a.call("POST", "/wallets", body, "Idempotency-Key", k)
		if resp.StatusCode != 400 || !strings.Contains(string(b), "IdempotencyKey") {
			t.Errorf("key %q: %d %s", k, resp.StatusCode, b)
		}
	}
	a.apiErr(400, "correlationid_not_found", "GET", "/responses/unknown-key-00000000", nil)

	// Keys last 24 h on the fake clock.
	a.s.Advance(24 * time.Hour)
	a.token = a.newToken()
	a.apiErr(400, "correlationid_not_found", "GET", "/responses/"+key, nil)
	a.must(200, "POST", "/wallets", body, "Idempotency-Key", key)
}

func mustBody(t *testing.T, a *api, method, path string) []byte {
	t.Helper()
	resp, b := a.call(method, path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

func TestDropAfterCommit(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	a.s.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/wallets", DropAfterCommit: true, Times: 1})
	req, _ := http.NewRequest("POST", a.url("/wallets"), strings.NewReader(`{"Owners":["`+u+`"],"Description":"d","Currency":"EUR"}`))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Idempotency-Key", "drop-after-commit-0001")
	// A fresh connection: Go's transport silently retries a request carrying
	// an Idempotency-Key when a reused connection drops.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	if n := a.s.Count("wallets"); n != 1 {
		t.Errorf("the wallet was not created: %d", n)
	}
	// The retry with the same key is a 409, and the response is stored.
	resp, _ := a.call("POST", "/wallets", obj{"Owners": []string{u}, "Description": "d", "Currency": "EUR"}, "Idempotency-Key", "drop-after-commit-0001")
	if resp.StatusCode != 409 {
		t.Errorf("retry: %d", resp.StatusCode)
	}
	var w responseWrapper
	mustJSON(t, mustBody(t, a, "GET", "/responses/drop-after-commit-0001"), &w)
	if w.StatusCode != "200" || !strings.Contains(string(w.Resource), "wlt_m_") {
		t.Errorf("stored response: %+v", w)
	}
	reqs := a.s.Requests()
	var dropped *mangopaytest.RecordedRequest
	for i := range reqs {
		if reqs[i].IdempotencyKey == "drop-after-commit-0001" {
			dropped = &reqs[i]
			break
		}
	}
	if dropped == nil || dropped.Status != 0 || dropped.Method != "POST" {
		t.Errorf("recorded dropped request: %+v", dropped)
	}
}
