package mangopaytest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func TestTokenEndpoint(t *testing.T) {
	a := newAPI(t, mangopaytest.WithCredentials("cid", "secret-key"), mangopaytest.WithTokenLifetime(600*time.Second))
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, path, auth, body string
		want                   int
		wantBody               string
	}{
		{"good", "/v2.01/oauth/token", basic("cid", "secret-key"), "grant_type=client_credentials", 200, `"token_type":"bearer","expires_in":600`},
		{"trailing slash, upper V", "/V2.01/oauth/token/", basic("cid", "secret-key"), "grant_type=client_credentials", 200, `"access_token"`},
		{"bad key", "/v2.01/oauth/token", basic("cid", "wrong"), "grant_type=client_credentials", 401, `{"error":"invalid_client","error_description":`},
		{"no auth", "/v2.01/oauth/token", "", "grant_type=client_credentials", 401, `"invalid_client"`},
		{"not base64", "/v2.01/oauth/token", "Basic !!!", "grant_type=client_credentials", 401, `"invalid_client"`},
		{"missing grant", "/v2.01/oauth/token", basic("cid", "secret-key"), "", 400, `{"error":"unsupported_grant_type"}`},
		{"other grant", "/v2.01/oauth/token", basic("cid", "secret-key"), "grant_type=password", 400, `"unsupported_grant_type"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := a.raw("POST", a.s.URL+tc.path, strings.NewReader(tc.body), "Authorization", tc.auth, "Content-Type", form)
			if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.wantBody) {
				t.Fatalf("got %d %s, want %d containing %s", resp.StatusCode, b, tc.want, tc.wantBody)
			}
			if resp.Header.Get("X-RateLimit") == "" {
				t.Errorf("no X-RateLimit header on the token endpoint")
			}
		})
	}
	if n := a.s.TokenRequests(); n != 8 { // newAPI's + 7
		t.Errorf("TokenRequests = %d, want 8", n)
	}
}

func TestBearerChecks(t *testing.T) {
	a := newAPI(t, mangopaytest.WithTokenLifetime(60*time.Second))
	invalid := `{"Message":"The authorization credentials are not valid","Type":"invalid_credentials","Date":`
	check := func(name string, want int, contains string, hdr ...string) {
		t.Helper()
		resp, b := a.raw("GET", a.url("/users"), nil, hdr...)
		if resp.StatusCode != want || !strings.Contains(string(b), contains) {
			t.Errorf("%s: %d %s, want %d with %s", name, resp.StatusCode, b, want, contains)
		}
	}
	check("lower-case bearer", 200, "[", "Authorization", "bearer "+a.token)
	check("no header", 401, invalid)
	check("unknown token", 401, invalid, "Authorization", "Bearer nope")
	check("basic on an API call", 401, invalid, "Authorization", basic(a.s.ClientID, a.s.APIKey))
	resp, b := a.raw("GET", a.s.URL+"/v2.01/otherclient/users", nil, "Authorization", "Bearer "+a.token)
	if resp.StatusCode != 403 || !strings.Contains(string(b), `"forbidden_ressource"`) {
		t.Errorf("other client id: %d %s, want 403 forbidden_ressource", resp.StatusCode, b)
	}
	// The 401 body has no Id and no errors.
	_, b = a.raw("GET", a.url("/users"), nil)
	var e obj
	mustJSON(t, b, &e)
	if _, ok := e["Id"]; ok || len(e) != 3 {
		t.Errorf("401 body %s: want exactly Message, Type, Date", b)
	}

	a.s.Advance(59 * time.Second)
	check("still valid at 59 s", 200, "[", "Authorization", "Bearer "+a.token)
	a.s.Advance(time.Second)
	check("expired at 60 s", 401, invalid, "Authorization", "Bearer "+a.token)

	a.token = a.newToken()
	check("new token", 200, "[", "Authorization", "Bearer "+a.token)
	a.s.ExpireTokens()
	check("after ExpireTokens", 401, invalid, "Authorization", "Bearer "+a.token)
}
