package mangopay_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// TestSCARequiredIsNotACredentialsProblem: a PendingUserAction 401 is one
// request, no token call (the token is kept), no retry, a typed error with
// the redirect URL; the backend read without the user passes.
func TestSCARequiredIsNotACredentialsProblem(t *testing.T) {
	f := newFixture(t)
	owner := f.owner(false)
	w := f.wallet(owner.ID, "EUR")
	f.check(f.srv.RequireWalletSCA(owner.ID))
	reads := []struct {
		name string
		path string
		read func(opts ...mangopay.CallOption) error
	}{
		{"GetWallet", "/wallets/" + w.ID, func(opts ...mangopay.CallOption) error {
			_, err := f.c.GetWallet(f.ctx, w.ID, opts...)
			return err
		}},
		{"ListWallets", "/users/" + owner.ID + "/wallets", func(opts ...mangopay.CallOption) error {
			_, err := f.c.ListWallets(f.ctx, owner.ID, &mangopay.ListOptions{PerPage: 5}, opts...)
			return err
		}},
		{"ListWalletTransactions", "/wallets/" + w.ID + "/transactions", func(opts ...mangopay.CallOption) error {
			_, err := f.c.ListWalletTransactions(f.ctx, w.ID, nil, opts...)
			return err
		}},
	}
	for _, r := range reads {
		for _, sca := range []string{"", mangopay.ScaContextUserPresent, mangopay.ScaContextUserNotPresent} {
			t.Run(r.name+"/"+sca, func(t *testing.T) {
				reqs, toks := len(f.srv.Requests()), f.srv.TokenRequests()
				err := r.read(mangopay.WithScaContext(sca))
				got := f.srv.Requests()[reqs:]
				if len(got) != 1 || f.srv.TokenRequests() != toks {
					t.Fatalf("%d requests, %d token requests; want exactly 1 and 0", len(got), f.srv.TokenRequests()-toks)
				}
				if !strings.HasSuffix(got[0].Path, r.path) || got[0].Query.Get("ScaContext") != sca {
					t.Fatalf("sent %s ScaContext=%q, want %s %q", got[0].Path, got[0].Query.Get("ScaContext"), r.path, sca)
				}
				if sca == mangopay.ScaContextUserNotPresent {
					if err != nil {
						t.Fatalf("backend read: %v", err)
					}
					return
				}
				var scaErr *mangopay.SCARequiredError
				var apiErr *mangopay.Error
				if !errors.As(err, &scaErr) || !mangopay.IsSCARequired(err) || errors.As(err, &apiErr) {
					t.Fatalf("error %T %v, want *mangopay.SCARequiredError only", err, err)
				}
				u, perr := url.Parse(scaErr.RedirectURL)
				if perr != nil || u.Hostname() != "127.0.0.1" || u.Query().Get("token") == "" || scaErr.StatusCode != http.StatusUnauthorized {
					t.Fatalf("redirect %q (%v), status %d", scaErr.RedirectURL, perr, scaErr.StatusCode)
				}
				if strings.Contains(err.Error(), u.Query().Get("token")) {
					t.Fatalf("Error() shows the token: %s", err)
				}
				if mangopay.IsValidation(err) || mangopay.IsNotFound(err) {
					t.Fatal("SCA error classified as validation or not-found")
				}
			})
		}
	}

	// The user completes SCA at the URL; the user-present read passes.
	var scaErr *mangopay.SCARequiredError
	if _, err := f.c.GetWallet(f.ctx, w.ID, mangopay.WithScaContext(mangopay.ScaContextUserPresent)); !errors.As(err, &scaErr) {
		t.Fatalf("got %v", err)
	}
	resp, err := http.Get(scaErr.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SCA page %d", resp.StatusCode)
	}
	if _, err := f.c.GetWallet(f.ctx, w.ID, mangopay.WithScaContext(mangopay.ScaContextUserPresent)); err != nil {
		t.Fatalf("after SCA: %v", err)
	}
	if n := f.srv.TokenRequests(); n != 1 {
		t.Errorf("%d token requests in all, want 1: no SCA answer cost a token", n)
	}
}

// TestSCARequiredDebugLogHidesTheToken: with debug logging, the exchange
// of a PendingUserAction 401 is logged without the redirect URL.
func TestSCARequiredDebugLogHidesTheToken(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.Debug = true; cfg.Logger = logger })
	f := &fixture{t: t, srv: srv, c: c, ctx: t.Context()}
	owner := f.owner(false)
	w := f.wallet(owner.ID, "EUR")
	f.check(srv.RequireWalletSCA(owner.ID))
	_, err := c.GetWallet(f.ctx, w.ID)
	var scaErr *mangopay.SCARequiredError
	if !errors.As(err, &scaErr) {
		t.Fatalf("got %v", err)
	}
	logger.Error("wallet read failed", "error", err)
	tok, _ := url.Parse(scaErr.RedirectURL)
	logs := buf.String()
	if !strings.Contains(logs, `"status":401`) || strings.Contains(logs, tok.Query().Get("token")) {
		t.Fatalf("want the 401 logged without the token %q:\n%s", tok.Query().Get("token"), logs)
	}
}
