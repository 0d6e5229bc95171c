package mangopaytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// nodeSDKInstallHint is the failure message when the pinned SDK is not
// installed: the check must not silently pass on a machine without it.
const nodeSDKInstallHint = "run: npm ci --prefix tools/nodesdk (make test does this)"

// nodeSDKVersion is the mangopay2-nodejs-sdk version pinned in
// tools/nodesdk/package.json.
const nodeSDKVersion = "1.62.2"

// smokeSteps is the number of steps smoke.js runs with --fake-controls.
const smokeSteps = 21

// The story's amounts, as tools/nodesdk/smoke.js sends them (EUR cents).
const (
	sdkPayIn        = 10000
	sdkPayInFees    = 500
	sdkTransfer     = 6000
	sdkTransferFees = 600
	sdkRefund       = 2000
	sdkPayout       = 5000

	sdkPayerFinal = sdkPayIn - sdkPayInFees - sdkTransfer - sdkRefund // 1500
	sdkOwnerFinal = sdkTransfer - sdkTransferFees - sdkPayout         // 400
	sdkFees       = sdkPayInFees + sdkTransferFees                    // 1100: the refund gives no fees back
)

// smokeReport is the JSON object smoke.js prints.
type smokeReport struct {
	OK  bool `json:"ok"`
	SDK *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"sdk"`
	Steps []struct {
		Name        string          `json:"name"`
		OK          bool            `json:"ok"`
		Error       json.RawMessage `json:"error"`
		LastRequest string          `json:"lastRequest"`
		MS          int64           `json:"ms"`
	} `json:"steps"`
	IDs      map[string]string `json:"ids"`
	Statuses map[string]string `json:"statuses"`
	Balances map[string]int64  `json:"balances"`
	Amounts  map[string]int64  `json:"amounts"`
	Observed struct {
		PayInHookDelivered       bool           `json:"payInHookDelivered"`
		UserAgent                string         `json:"userAgent"`
		EveryAPICallBearer       bool           `json:"everyApiCallBearer"`
		EveryAPICallTenantHeader bool           `json:"everyApiCallTenantHeader"`
		EventTypes               map[string]int `json:"eventTypes"`
		KYCPageBytes             int            `json:"kycPageBytes"`
	} `json:"observed"`
	Idempotency struct {
		Key    string `json:"key"`
		Second struct {
			Resolved bool `json:"resolved"`
			Status   int  `json:"status"`
			Body     struct {
				Type    string `json:"Type"`
				Message string `json:"Message"`
			} `json:"body"`
		} `json:"second"`
		Response struct {
			StatusCode any    `json:"StatusCode"`
			ResourceID string `json:"ResourceId"`
		} `json:"response"`
	} `json:"idempotency"`
	TokenCalls int `json:"tokenCalls"`
	Requests   []struct {
		Method   string   `json:"method"`
		Path     string   `json:"path"`
		Token    bool     `json:"token"`
		ViaFetch bool     `json:"viaFetch"`
		Status   any      `json:"status"`
		Tenant   string   `json:"tenant"`
		BodyKeys []string `json:"bodyKeys"`
	} `json:"requests"`
	SDKErrors  []json.RawMessage `json:"sdkErrors"`
	Errors     []string          `json:"errors"`
	DurationMS int64             `json:"durationMs"`
}

// TestOfficialNodeSDK runs Mangopay's official Node SDK, unchanged, against
// the fake through tools/nodesdk/smoke.js, and checks both what the SDK saw
// and what the fake recorded.
func TestOfficialNodeSDK(t *testing.T) {
	if os.Getenv("SKIP_NODE_SDK") == "1" {
		t.Skip("SKIP_NODE_SDK=1: the official Node SDK check is skipped")
	}
	root := repoRoot(t)
	dir := filepath.Join(root, "tools", "nodesdk")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mangopay2-nodejs-sdk", "package.json")); err != nil {
		t.Fatal(nodeSDKInstallHint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: the official Node SDK check needs Node.js 18 or later (%v); "+
			"install it, or set SKIP_NODE_SDK=1 to skip this check", err)
	}

	srv := mangopaytest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "smoke.js"), srv.URL, srv.ClientID, srv.APIKey, "--fake-controls")
	cmd.Dir = root
	// The script has its own watchdog, shorter than ours, so that it still
	// prints what it saw when something hangs.
	cmd.Env = append(os.Environ(), "SMOKE_TIMEOUT_MS=50000", "NO_PROXY=*", "no_proxy=*")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)
	t.Logf("node smoke.js ran in %v", elapsed.Round(time.Millisecond))

	var rep smokeReport
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &rep); err != nil {
		t.Fatalf("smoke.js printed no JSON report (%v; exit: %v)\nstdout:\n%s\nstderr:\n%s", err, runErr, stdout.String(), stderr.String())
	}
	dump := func() {
		var pretty bytes.Buffer
		if json.Indent(&pretty, bytes.TrimSpace(stdout.Bytes()), "", "  ") == nil {
			t.Logf("smoke.js report:\n%s", pretty.String())
		}
		if stderr.Len() > 0 {
			t.Logf("smoke.js stderr:\n%s", stderr.String())
		}
	}

	// 1. Every step of the story succeeded.
	failed := false
	for _, s := range rep.Steps {
		if !s.OK {
			failed = true
			t.Errorf("step %q failed: %s (last request: %s)", s.Name, s.Error, s.LastRequest)
		}
	}
	for _, e := range rep.Errors {
		failed = true
		t.Errorf("smoke.js: %s", e)
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("smoke.js was killed after %v", elapsed)
	case errors.As(runErr, &exitErr):
		t.Errorf("smoke.js exited with status %d", exitErr.ExitCode())
	case runErr != nil:
		t.Errorf("smoke.js: %v", runErr)
	}
	if !rep.OK || failed || runErr != nil {
		dump()
		t.FailNow()
	}
	if len(rep.Steps) != smokeSteps {
		dump()
		t.Fatalf("smoke.js ran %d steps, want the whole story (%d, with --fake-controls)", len(rep.Steps), smokeSteps)
	}
	if rep.SDK == nil || rep.SDK.Name != "mangopay2-nodejs-sdk" || rep.SDK.Version != nodeSDKVersion {
		t.Errorf("SDK = %+v, want mangopay2-nodejs-sdk %s (is node_modules stale? %s)", rep.SDK, nodeSDKVersion, nodeSDKInstallHint)
	}

	// 2. The fake counted exactly the objects the story created.
	for kind, want := range map[string]int{
		"users":             2,
		"wallets":           3, // payer, owner, and one for the idempotent create (made once, replayed once)
		"cardregistrations": 1,
		"cards":             1,
		"payins":            1,
		"preauthorizations": 0,
		"transfers":         1,
		"refunds":           1,
		"documents":         1,
		"bankaccounts":      1,
		"payouts":           1,
		"hooks":             1,
	} {
		if got := srv.Count(kind); got != want {
			t.Errorf("fake Count(%q) = %d, want %d", kind, got, want)
		}
	}

	// 3. The SDK asked for one token and reused it for the whole story.
	if n := srv.TokenRequests(); n != 1 {
		t.Errorf("fake saw %d token requests, want 1 (the SDK caches its token)", n)
	}
	if rep.TokenCalls != 1 {
		t.Errorf("smoke.js saw %d token calls, want 1", rep.TokenCalls)
	}

	// 4. Balances are what the amounts imply, for the SDK and in the fake.
	for name, want := range map[string]int64{
		"payIn": sdkPayIn, "payInFees": sdkPayInFees, "transfer": sdkTransfer,
		"transferFees": sdkTransferFees, "refund": sdkRefund, "payout": sdkPayout,
	} {
		if got := rep.Amounts[name]; got != want {
			t.Errorf("smoke.js amount %s = %d, want %d (keep smoke.js and this test in step)", name, got, want)
		}
	}
	if got := rep.Balances["payerFinal"]; got != sdkPayerFinal {
		t.Errorf("payer wallet seen by the SDK = %d, want %d", got, sdkPayerFinal)
	}
	if got := rep.Balances["ownerFinal"]; got != sdkOwnerFinal {
		t.Errorf("owner wallet seen by the SDK = %d, want %d", got, sdkOwnerFinal)
	}
	for wallet, want := range map[string]int64{
		"payerWallet":      sdkPayerFinal,
		"ownerWallet":      sdkOwnerFinal,
		"idempotentWallet": 0,
	} {
		id := rep.IDs[wallet]
		if id == "" {
			t.Errorf("report has no %s id", wallet)
			continue
		}
		got, cur, err := srv.Balance(id)
		if err != nil || got != want || cur != "EUR" {
			t.Errorf("fake Balance(%s %s) = %d %s, %v; want %d EUR", wallet, id, got, cur, err, want)
		}
	}
	if got := srv.FeesBalance("EUR"); got != sdkFees {
		t.Errorf("fake FeesBalance(EUR) = %d, want %d (pay-in and transfer fees)", got, sdkFees)
	}
	for what, want := range map[string]string{
		"cardRegistration": "VALIDATED", "payIn": "SUCCEEDED", "transfer": "SUCCEEDED", "refund": "SUCCEEDED",
		"kycDocument": "VALIDATED", "ownerKYCLevel": "REGULAR", "payoutCreated": "CREATED", "payout": "SUCCEEDED",
	} {
		if got := rep.Statuses[what]; got != want {
			t.Errorf("status of %s = %q, want %q", what, got, want)
		}
	}

	// 5. What the SDK does that a strict server could trip on was really
	// exercised, and the fake accepted it.
	reqs := srv.Requests()
	prefix := "/v2.01/" + srv.ClientID
	type seen struct {
		method, path string
		status       int
	}
	find := func(method string, match func(rel string) bool) []seen {
		var out []seen
		for _, r := range reqs {
			if r.Method == method && strings.HasPrefix(r.Path, prefix+"/") && match(strings.TrimPrefix(r.Path, prefix)) {
				out = append(out, seen{r.Method, r.Path, r.Status})
			}
		}
		return out
	}
	wantOne := func(what string, got []seen, status int) {
		t.Helper()
		if len(got) != 1 || got[0].status != status {
			t.Errorf("%s: fake recorded %+v, want exactly one answered %d", what, got, status)
		}
	}
	// Trailing slashes.
	wantOne("POST /payins/card/direct/ (trailing slash)", find("POST", func(p string) bool { return p == "/payins/card/direct/" }), 200)
	wantOne("POST /payouts/bankwire/ (trailing slash)", find("POST", func(p string) bool { return p == "/payouts/bankwire/" }), 200)
	// Upper-case KYC, with a trailing slash on the create.
	owner := rep.IDs["owner"]
	doc := rep.IDs["kycDocument"]
	wantOne("POST /users/{id}/KYC/documents/ (upper case, trailing slash)",
		find("POST", func(p string) bool { return p == "/users/"+owner+"/KYC/documents/" }), 200)
	wantOne("POST /users/{id}/KYC/documents/{doc}/pages (upper case)",
		find("POST", func(p string) bool { return p == "/users/"+owner+"/KYC/documents/"+doc+"/pages" }), 204)
	wantOne("PUT /users/{id}/KYC/documents/{doc} (upper case)",
		find("PUT", func(p string) bool { return p == "/users/"+owner+"/KYC/documents/"+doc }), 200)
	if got := find("GET", func(p string) bool { return p == "/users/"+owner+"/KYC/documents/"+doc }); len(got) == 0 {
		t.Errorf("no GET /users/{id}/KYC/documents/{doc} recorded")
	}
	// The typed user GET the SDK uses.
	wantOne("GET /users/natural/{id}", find("GET", func(p string) bool { return p == "/users/natural/"+owner }), 200)

	// Extra fields in bodies: smoke.js records the keys the SDK sent, in the
	// same order as the fake recorded the requests.
	sent := func(method, rel string) []string {
		for _, r := range rep.Requests {
			if r.Method == method && r.Path == prefix+rel {
				return r.BodyKeys
			}
		}
		return nil
	}
	for _, c := range []struct {
		what, method, rel string
		keys              []string
	}{
		{"pay-in", "POST", "/payins/card/direct/", []string{"PaymentType", "ExecutionType"}},
		{"payout", "POST", "/payouts/bankwire/", []string{"PaymentType"}},
		{"IBAN bank account", "POST", "/users/" + owner + "/bankaccounts/iban", []string{"Type"}},
		{"payer creation", "POST", "/users/natural", []string{"PersonType"}},
		{"card registration update", "PUT", "/cardregistrations/" + rep.IDs["cardRegistration"],
			[]string{"AccessKey", "CardRegistrationURL", "CreationDate", "Id", "PreregistrationData", "Status", "data"}},
		{"KYC submission", "PUT", "/users/" + owner + "/KYC/documents/" + doc, []string{"Id"}},
	} {
		keys := sent(c.method, c.rel)
		for _, k := range c.keys {
			if !slices.Contains(keys, k) {
				t.Errorf("%s: the SDK did not send the extra field %q this check relies on (sent %v)", c.what, k, keys)
			}
		}
	}
	wantOne("PUT /cardregistrations/{id} (read-only fields and a nested data object in the body)",
		find("PUT", func(p string) bool { return p == "/cardregistrations/"+rep.IDs["cardRegistration"] }), 200)

	// Headers: the misspelled x-tentant-id on every API call, the SDK's
	// User-Agent, a bearer token copied verbatim from token_type.
	apiCalls, tenant, bearer := 0, 0, 0
	var tokenReqs []mangopaytest.RecordedRequest
	for _, r := range reqs {
		switch {
		case strings.EqualFold(strings.TrimRight(r.Path, "/"), "/v2.01/oauth/token"):
			tokenReqs = append(tokenReqs, r)
		case strings.HasPrefix(r.Path, prefix+"/"):
			apiCalls++
			if r.Header.Get("X-Tentant-Id") == "uk" {
				tenant++
			}
			if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "bearer") {
				bearer++
			}
			if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "Mangopay-SDK/"+nodeSDKVersion+" (Nodejs/") {
				t.Errorf("%s %s: User-Agent %q, want Mangopay-SDK/%s (Nodejs/...)", r.Method, r.Path, ua, nodeSDKVersion)
			}
		}
	}
	if apiCalls < 30 || tenant != apiCalls || bearer != apiCalls {
		t.Errorf("API calls = %d, with x-tentant-id: uk = %d, with a bearer token = %d; want every one of at least 30", apiCalls, tenant, bearer)
	}
	if len(tokenReqs) != 1 {
		t.Errorf("token requests recorded = %d, want 1", len(tokenReqs))
	} else {
		h := tokenReqs[0].Header
		if tokenReqs[0].Method != "POST" || !strings.HasPrefix(h.Get("Authorization"), "Basic ") ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") || tokenReqs[0].Status != 200 {
			t.Errorf("token request = %s %s (Authorization %q, Content-Type %q) -> %d, want a Basic form POST answered 200",
				tokenReqs[0].Method, tokenReqs[0].Path, strings.SplitN(h.Get("Authorization"), " ", 2)[0], h.Get("Content-Type"), tokenReqs[0].Status)
		}
	}

	// Idempotency: one key, two POST /wallets (200 then 409), the original
	// read back through GET /responses/{key}; the SDK rejects the replay with
	// the parsed 409 body.
	key := rep.Idempotency.Key
	var keyed []int
	for _, r := range reqs {
		if r.IdempotencyKey == key && key != "" {
			keyed = append(keyed, r.Status)
		}
	}
	if !slices.Equal(keyed, []int{200, 409}) {
		t.Errorf("requests with Idempotency-Key %q answered %v, want [200 409]", key, keyed)
	}
	if s := rep.Idempotency.Second; s.Resolved || s.Status != 409 || s.Body.Type != "idempotent_creation_conflict" {
		t.Errorf("SDK on the replay: %+v, want a rejection with the 409 idempotent_creation_conflict body", s)
	}
	wantOne("GET /responses/{key}", find("GET", func(p string) bool { return p == "/responses/"+key }), 200)
	if rep.Idempotency.Response.ResourceID != rep.IDs["idempotentWallet"] {
		t.Errorf("GET /responses Resource.Id = %q, want the first wallet %q", rep.Idempotency.Response.ResourceID, rep.IDs["idempotentWallet"])
	}

	// The card went through the fake's PCI vault, as a browser form.
	pci := 0
	for _, r := range reqs {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/__pci/") && r.Status == 200 &&
			strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			pci++
		}
	}
	if pci != 1 {
		t.Errorf("tokenization POSTs to the fake's vault = %d, want 1", pci)
	}

	// Nothing but the one replay was refused.
	for _, r := range reqs {
		if r.Status >= 400 && !(r.Status == 409 && r.IdempotencyKey == key) {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
	}

	// Webhook: the hook created through the SDK was called for the pay-in.
	if !rep.Observed.PayInHookDelivered {
		t.Errorf("the PAYIN_NORMAL_SUCCEEDED hook was not delivered to smoke.js's receiver")
	}

	if t.Failed() {
		dump()
		return
	}
	t.Logf("SDK %s: %d steps, %d API calls, 1 token, balances payer=%d owner=%d, script %d ms",
		rep.SDK.Version, len(rep.Steps), apiCalls, rep.Balances["payerFinal"], rep.Balances["ownerFinal"], rep.DurationMS)
}

// repoRoot finds the module root from the test's working directory (the
// package directory under go test).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/lambda-mangopay/lambda-mangopay")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of github.com/lambda-mangopay/lambda-mangopay above the working directory")
		}
		dir = parent
	}
}
