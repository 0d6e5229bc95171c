package coldstart_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// mustLoad is how every main starts: its prefetch decision spelled out.
var mustLoad = regexp.MustCompile(`coldstart\.MustLoad\(context\.Background\(\), coldstart\.WithPrefetch\((true|false)\)\)`)

// mainPrefetch reads functions/<fn>/main.go's prefetch decision.
func mainPrefetch(t *testing.T, fn string) bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "functions", fn, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := mustLoad.FindAllStringSubmatch(string(src), -1)
	if len(m) != 1 {
		t.Fatalf("functions/%s/main.go: %d calls of coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true|false)), want 1", fn, len(m))
	}
	return m[0][1] == "true"
}

// TestEveryMainDecidesItsPrefetch: each main says whether it prefetches;
// those that do not are the functions whose invocations usually make no
// Mangopay call. Every other function calls Mangopay on every invocation
// (creates, updates, the reads that always re-read at Mangopay, hook
// processing, the hook jobs) and prefetches.
func TestEveryMainDecidesItsPrefetch(t *testing.T) {
	noPrefetch := []string{
		// Serve the stored record; Mangopay only on ?refresh=true.
		"get-bank-account", "get-document", "get-payin", "get-payout", "get-preauthorization", "get-refund", "get-transfer", "get-user",
		// Never calls Mangopay.
		"receive-hook",
		// Scheduled: most runs find nothing due; no caller waits on them.
		"recheck-documents", "recheck-transactions",
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var off []string
	for _, e := range entries {
		if e.IsDir() && !mainPrefetch(t, e.Name()) {
			off = append(off, e.Name())
		}
	}
	sort.Strings(noPrefetch)
	if len(entries) < 40 || !equal(off, noPrefetch) {
		t.Errorf("functions without prefetch: %v, want %v (of %d functions)", off, noPrefetch, len(entries))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestColdStartCallsFollowTheMains builds each function's dependencies as
// its main does and counts the Secrets Manager reads and token requests of
// its cold start and first two invocations (cold, then warm): none for a
// read-only function (no prefetch, and its GETs never call Mangopay), one
// each for a create, already done by the prefetch before its first
// invocation.
func TestColdStartCallsFollowTheMains(t *testing.T) {
	e := testenv.New(t)
	env, err := config.FromEnv(func(k string) string { return e.Vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	// A user to read, made through another function's dependencies (no
	// prefetch there: nothing of theirs is still under way below).
	create := api.HTTP(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	resp, err := create(e.Ctx, newUser("ext-reader"))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	var user struct {
		ID string `json:"id"`
	}
	testenv.Decode(t, resp.Body, &user)

	counts := func() (secrets, tokens int) {
		return e.Calls.Calls("Secrets Manager", "GetSecretValue"), tokenRequests(e.Fake)
	}
	coldStart := func(t *testing.T, fn string) *coldstart.Deps {
		d, err := coldstart.New(e.Ctx, env, e.AWS, slog.New(slog.DiscardHandler), coldstart.WithPrefetch(mainPrefetch(t, fn)))
		if err != nil {
			t.Fatalf("%s cold start: %v", fn, err)
		}
		return d
	}
	check := func(t *testing.T, what string, s0, t0, wantSecrets, wantTokens int) {
		t.Helper()
		s1, t1 := counts()
		if s1-s0 != wantSecrets || t1-t0 != wantTokens {
			t.Errorf("%s: %d Secrets Manager reads and %d token requests, want %d and %d", what, s1-s0, t1-t0, wantSecrets, wantTokens)
		}
	}

	t.Run("get-user: nothing on a cold start and a warm GET", func(t *testing.T) {
		s0, t0 := counts()
		d := coldStart(t, "get-user")
		if d.Prefetched != nil {
			t.Fatal("get-user started a prefetch")
		}
		get := api.HTTP(d.Service.GetUserOp(), d.API)
		for _, inv := range []string{"cold", "warm"} {
			resp, err := get(e.Ctx, testenv.Request(http.MethodGet, "/users/"+user.ID, map[string]string{"user_id": user.ID}, nil, nil))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s GET: %d %s %v", inv, resp.StatusCode, resp.Body, err)
			}
		}
		check(t, "get-user cold start, cold and warm GET", s0, t0, 0, 0)
	})

	t.Run("recheck-transactions: nothing when nothing is due", func(t *testing.T) {
		s0, t0 := counts()
		d := coldStart(t, "recheck-transactions")
		if d.Prefetched != nil {
			t.Fatal("recheck-transactions started a prefetch")
		}
		h, err := operations.NewRecheckHandler(d.Service, records.BucketTransaction, d.API.Queue, d.Log, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range []string{"cold", "warm"} {
			if _, err := h.Handle(e.Ctx, json.RawMessage(`{"bucket":"TRANSACTION","force":true}`)); err != nil {
				t.Fatalf("%s run: %v", inv, err)
			}
		}
		check(t, "recheck-transactions cold start, cold and warm run", s0, t0, 0, 0)
	})

	t.Run("create-natural-user: prefetched at cold start", func(t *testing.T) {
		s0, t0 := counts()
		d := coldStart(t, "create-natural-user")
		if d.Prefetched == nil {
			t.Fatal("create-natural-user started no prefetch")
		}
		<-d.Prefetched
		check(t, "create-natural-user prefetch", s0, t0, 1, 1)
		create := api.HTTP(d.Service.CreateNaturalUserOp(), d.API)
		for _, inv := range []string{"cold", "warm"} {
			resp, err := create(e.Ctx, newUser("ext-"+inv))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s create: %d %s %v", inv, resp.StatusCode, resp.Body, err)
			}
		}
		check(t, "create-natural-user cold start, cold and warm create", s0, t0, 1, 1)
	})
}

func newUser(ext string) events.APIGatewayV2HTTPRequest {
	return testenv.Request(http.MethodPost, "/users/natural", nil, map[string]any{
		"external_user_id": ext, "user_category": "PAYER", "first_name": "Alex", "last_name": "Smith", "email": "alex@example.com",
	}, nil)
}
