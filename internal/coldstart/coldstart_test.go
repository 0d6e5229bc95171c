package coldstart_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

// tokenRequests counts the OAuth token requests the fake answered 200.
func tokenRequests(srv *mangopaytest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "/oauth/token") && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// The prefetch started at cold start reads the secret and gets a token
// once: the first invocation uses them (or joins the fetches under way)
// rather than fetching again. A prefetch that fails (Secrets Manager or
// the token endpoint down) neither fails the cold start nor the first
// invocation once the fault is gone.
func TestPrefetchFetchesCredentialsAndTokenOnce(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault func(e *testenv.Env)
		wait  bool // wait for the prefetch to end before the first call
		fails bool // the prefetch fails
	}{
		{name: "first call right away", fault: func(*testenv.Env) {}},
		{name: "first call after the prefetch", fault: func(*testenv.Env) {}, wait: true},
		{name: "secret unreadable", fault: func(e *testenv.Env) { e.Faults.FailNext("Secrets Manager", "GetSecretValue", 1) }, wait: true, fails: true},
		{name: "token refused", fault: func(e *testenv.Env) {
			e.Fake.InjectFault(mangopaytest.Fault{Path: "/oauth/token", Status: http.StatusServiceUnavailable, Times: 1})
		}, wait: true, fails: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := testenv.New(t)
			env, err := config.FromEnv(func(k string) string { return e.Vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			secrets, tokens := e.Calls.Calls("Secrets Manager", "GetSecretValue"), tokenRequests(e.Fake)
			c.fault(e)
			var logs bytes.Buffer
			d, err := coldstart.New(e.Ctx, env, e.AWS, slog.New(slog.NewJSONHandler(&logs, nil)), coldstart.WithPrefetch(true))
			if err != nil {
				t.Fatalf("cold start: %v", err)
			}
			if c.wait {
				<-d.Prefetched
			}
			h := api.HTTP(d.Service.CreateNaturalUserOp(), d.API)
			resp, err := h(e.Ctx, testenv.Request(http.MethodPost, "/users/natural", nil, map[string]any{
				"external_user_id": "ext-1", "user_category": "PAYER", "first_name": "Alex", "last_name": "Smith", "email": "alex@example.com",
			}, nil))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("first invocation: %d %s %v\nlogs: %s", resp.StatusCode, resp.Body, err, logs.String())
			}
			<-d.Prefetched
			// Successful reads and tokens (an injected failure is not counted).
			gotSecrets, gotTokens := e.Calls.Calls("Secrets Manager", "GetSecretValue")-secrets, tokenRequests(e.Fake)-tokens
			if gotSecrets != 1 || gotTokens != 1 {
				t.Errorf("%d secret reads and %d tokens across cold start and first invocation, want 1 each", gotSecrets, gotTokens)
			}
			if failed := strings.Contains(logs.String(), "prefetching the Mangopay credentials and token failed"); failed != c.fails {
				t.Errorf("prefetch failure logged: %v, want %v: %s", failed, c.fails, logs.String())
			}
		})
	}
}
