package mangopay

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestPendingUserActionHeaderParsing(t *testing.T) {
	const u = "https://sca.sandbox.mangopay.com/?token=abc123"
	tests := []struct {
		name    string
		values  []string
		want    string
		wantSCA bool
	}{
		{"documented form", []string{"PendingUserAction redirectUrl=" + u}, u, true},
		{"quoted", []string{`PendingUserAction redirectUrl="` + u + `"`}, u, true},
		{"quoted with escapes", []string{`PendingUserAction redirectUrl="https://x.test/?a=\"b\""`}, `https://x.test/?a="b"`, true},
		{"scheme and name in other cases", []string{"pendinguseraction REDIRECTURL=" + u}, u, true},
		{"spaces around =", []string{"PendingUserAction redirectUrl = " + u}, u, true},
		{"extra params before and after", []string{`PendingUserAction realm="mangopay", redirectUrl=` + u + `, expires_in=600`}, u, true},
		{"params without commas", []string{"PendingUserAction redirectUrl=" + u + " foo=bar"}, u, true},
		{"URL with several query params", []string{"PendingUserAction redirectUrl=https://sca.test/?token=t&lang=fr"}, "https://sca.test/?token=t&lang=fr", true},
		{"after another challenge", []string{`Bearer realm="api", error="invalid_token", PendingUserAction redirectUrl=` + u}, u, true},
		{"before another challenge", []string{"PendingUserAction redirectUrl=" + u + `, Bearer realm="x", redirectUrl=https://other.test/`}, u, true},
		{"on a second header line", []string{`Bearer realm="api"`, "PendingUserAction redirectUrl=" + u}, u, true},
		{"no redirectUrl", []string{"PendingUserAction"}, "", true},
		{"unterminated quote", []string{`PendingUserAction redirectUrl="` + u}, u, true},
		{"a Bearer challenge only", []string{`Bearer realm="api", error="invalid_token"`}, "", false},
		{"redirectUrl of another scheme", []string{"Other redirectUrl=" + u}, "", false},
		{"scheme as a parameter name", []string{"Bearer PendingUserAction=x"}, "", false},
		{"no header", nil, "", false},
		{"empty", []string{""}, "", false},
		{"garbage", []string{`==,,""\`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("WWW-Authenticate", v)
			}
			got, ok := pendingUserAction(h)
			if ok != tt.wantSCA || got != tt.want {
				t.Fatalf("pendingUserAction(%q) = %q, %v; want %q, %v", tt.values, got, ok, tt.want, tt.wantSCA)
			}
		})
	}
}

func TestSCARequiredErrorHidesTheToken(t *testing.T) {
	for _, redirect := range []string{"https://sca.sandbox.mangopay.com/?token=s3cr3t-t0ken", "", "::not a url s3cr3t-t0ken"} {
		msg := (&SCARequiredError{StatusCode: 401, RedirectURL: redirect}).Error()
		if strings.Contains(msg, "s3cr3t-t0ken") || !strings.Contains(msg, "PendingUserAction") {
			t.Errorf("Error() = %q for %q", msg, redirect)
		}
	}
}

func TestDebugRedactsUserRedirectURLs(t *testing.T) {
	for _, body := range []string{
		`{"Id":"tr_1","PendingUserAction":{"RedirectUrl":"https://sca.sandbox.mangopay.com/?token=s3cr3t"}}`,
		`{"Id":"payin_1","SecureModeRedirectURL":"https://acs.example.com/3ds?session=s3cr3t","SecureModeNeeded":true}`,
	} {
		got, _ := json.Marshal(redactJSON([]byte(body)))
		if strings.Contains(string(got), "s3cr3t") || !strings.Contains(string(got), "[REDACTED]") {
			t.Errorf("redacted body %s", got)
		}
	}
}
