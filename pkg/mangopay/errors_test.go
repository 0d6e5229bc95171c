package mangopay

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecodeErrorShapes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"param error lower-case errors", 400,
			`{"Message":"One or several required parameters are missing or incorrect.","Type":"param_error","Id":"5e83fbe8#1740580804","Date":1740581497.0,"errors":{"CreditedWalletId":"The CreditedWalletId field is required."}}`,
			Error{StatusCode: 400, Type: "param_error", Message: "One or several required parameters are missing or incorrect.", ID: "5e83fbe8#1740580804", Date: 1740581497, Fields: map[string]string{"CreditedWalletId": "The CreditedWalletId field is required."}}},
		{"capitalised Errors, empty", 400,
			`{"Message":"The original transaction must be succeeded","Type":"original_transaction_must_be_succeeded","Id":"x","Date":1,"Errors":{}}`,
			Error{StatusCode: 400, Type: "original_transaction_must_be_succeeded", Message: "The original transaction must be succeeded", ID: "x", Date: 1}},
		{"capitalised Errors with a field", 400,
			`{"Type":"param_error","Errors":{"currency":"The card's currency GBP and the debitedAmount's currency EUR must be the same"}}`,
			Error{StatusCode: 400, Type: "param_error", Fields: map[string]string{"currency": "The card's currency GBP and the debitedAmount's currency EUR must be the same"}}},
		{"401 invalid credentials", 401,
			`{"Message":"The authorization credentials are not valid","Type":"invalid_credentials","Date":1733404277}`,
			Error{StatusCode: 401, Type: "invalid_credentials", Message: "The authorization credentials are not valid", Date: 1733404277}},
		{"oauth shape", 400,
			`{"error":"invalid_client","error_description":"The authorization header was malformed or not recognized"}`,
			Error{StatusCode: 400, OAuthError: "invalid_client", OAuthDescription: "The authorization header was malformed or not recognized"}},
		{"429 errors null", 429,
			`{"Message":"Rate limit exceeded.","Type":"rate_limit","Id":"a","Date":2,"errors":null}`,
			Error{StatusCode: 429, Type: "rate_limit", Message: "Rate limit exceeded.", ID: "a", Date: 2}},
		{"date as string", 400, `{"Type":"other","Date":"1690290952.5"}`, Error{StatusCode: 400, Type: "other", Date: 1690290952.5}},
		{"non-string field value kept as text", 400, `{"Type":"param_error","errors":{"Amount":12}}`, Error{StatusCode: 400, Type: "param_error", Fields: map[string]string{"Amount": "12"}}},
		{"not json", 502, `<html>Bad Gateway</html>`, Error{StatusCode: 502, Message: "<html>Bad Gateway</html>"}},
		{"empty body", 500, ``, Error{StatusCode: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeError(tt.status, []byte(tt.body))
			if got.StatusCode != tt.want.StatusCode || got.Type != tt.want.Type || got.Message != tt.want.Message ||
				got.ID != tt.want.ID || got.Date != tt.want.Date || got.OAuthError != tt.want.OAuthError ||
				got.OAuthDescription != tt.want.OAuthDescription {
				t.Fatalf("got %+v\nwant %+v", *got, tt.want)
			}
			if len(got.Fields) != len(tt.want.Fields) {
				t.Fatalf("fields %v, want %v", got.Fields, tt.want.Fields)
			}
			for k, v := range tt.want.Fields {
				if got.Fields[k] != v {
					t.Fatalf("field %s = %q, want %q", k, got.Fields[k], v)
				}
			}
			if got.Error() == "" {
				t.Fatal("empty message")
			}
		})
	}
}

func TestErrorMessageNamesFields(t *testing.T) {
	e := DecodeError(400, []byte(`{"Type":"param_error","Message":"bad","errors":{"B":"b wrong","A":"a wrong"}}`))
	want := "mangopay: HTTP 400 param_error: bad; A: a wrong; B: b wrong"
	if e.Error() != want {
		t.Fatalf("got %q, want %q", e.Error(), want)
	}
}

func TestParseRateLimits(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit", "5, 6, 7, 8")
	h.Set("X-RateLimit-Remaining", "2295, 4494, 8793, 105592")
	h.Set("X-RateLimit-Reset", "1715241060, 1715241960, 1715243760, 1715326500")
	r := ParseRateLimits(h)
	if !r.Known {
		t.Fatal("not known")
	}
	want := [4]RateLimitWindow{
		{15 * time.Minute, 5, 2295, time.Unix(1715241060, 0).UTC()},
		{30 * time.Minute, 6, 4494, time.Unix(1715241960, 0).UTC()},
		{time.Hour, 7, 8793, time.Unix(1715243760, 0).UTC()},
		{24 * time.Hour, 8, 105592, time.Unix(1715326500, 0).UTC()},
	}
	if r.Windows != want {
		t.Fatalf("got %+v", r.Windows)
	}
	if w, ok := r.MinRemaining(); !ok || w.Remaining != 2295 {
		t.Fatalf("min remaining %+v %v", w, ok)
	}
	if ParseRateLimits(http.Header{}).Known {
		t.Fatal("no headers should be unknown")
	}
}

func TestResetWaitUsesExhaustedWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	r := RateLimits{Known: true}
	r.Windows[0] = RateLimitWindow{Remaining: 0, Reset: now.Add(3 * time.Second)}
	r.Windows[1] = RateLimitWindow{Remaining: 10, Reset: now.Add(time.Hour)}
	if d, ok := resetWait(r, now); !ok || d != 3*time.Second {
		t.Fatalf("got %v %v", d, ok)
	}
	r.Windows[0].Remaining = 1
	if _, ok := resetWait(r, now); ok {
		t.Fatal("no window exhausted, want no reset wait")
	}
}

func TestIdempotencyKeys(t *testing.T) {
	for key, ok := range map[string]bool{
		"0123456789abcdef":                      true,
		"123e4567-e89b-12d3-a456-426614174000":  true,
		"0123456789abcde":                       false, // 15
		"123e4567-e89b-12d3-a456-4266141740001": false, // 37
		"pay_01JABCDEFGHJKMNPQ":                 false, // underscore
		"":                                      false,
	} {
		if ValidIdempotencyKey(key) != ok {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", key, !ok, ok)
		}
	}
	k := DeriveIdempotencyKey("pay_01JABC", "create")
	if !ValidIdempotencyKey(k) || k != DeriveIdempotencyKey("pay_01JABC", "create") || k == DeriveIdempotencyKey("pay_01JABC", "capture") {
		t.Fatalf("derived key %q not valid, stable and distinct", k)
	}
}

func TestRedactJSON(t *testing.T) {
	body := `{"IBAN":"FR7630004000031234567890143","OwnerName":"Jo","Nested":{"file":"JVBERi0=","Items":[{"CardNumber":"4970107111111119"}]},"Email":null}`
	got := redactJSON([]byte(body))
	s := fmt.Sprintf("%v", got)
	for _, secret := range []string{"FR7630004000031234567890143", "JVBERi0=", "4970107111111119"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s leaked in %s", secret, s)
		}
	}
	if !strings.Contains(s, "Jo") {
		t.Fatalf("non-sensitive field lost: %s", s)
	}
}

// A hook's Url holds our secret hook token (…/hooks/{token}): register
// and list calls must not put it in the debug log. Other URLs (a pay-in's
// ReturnURL) stay visible.
func TestRedactJSONHidesHookURLs(t *testing.T) {
	const token = "7cc746cf824bfb0f21f7d9c231d9b04bafe1989adc2cd5601e94d2e904f516cd"
	body := `[{"EventType":"PAYOUT_NORMAL_SUCCEEDED","Url":"https://x.example/hooks/` + token + `","Status":"ENABLED"},{"ReturnURL":"https://shop.example/back"}]`
	s := fmt.Sprintf("%v", redactJSON([]byte(body)))
	if strings.Contains(s, token) {
		t.Fatalf("the hook token leaked in %s", s)
	}
	if !strings.Contains(s, "PAYOUT_NORMAL_SUCCEEDED") || !strings.Contains(s, "https://shop.example/back") {
		t.Fatalf("non-sensitive fields lost: %s", s)
	}
}
