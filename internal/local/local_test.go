package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/lambdaruntime"
)

// stack is the one local stack of this test binary, started by TestMain
// through the real run path (Start builds every binary once, on free
// ports), shared by the tests: each makes records of its own.
var stack *Stack

// stackOut keeps the stack's invocation lines, shown when a test fails.
var stackOut = &syncBuffer{}

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s, err := Start(ctx, Options{Addr: "127.0.0.1:0", Out: stackOut})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local: starting the stack:", err)
		os.Exit(1)
	}
	stack = s
	code := m.Run()
	s.Close()
	os.Exit(code)
}

func dumpOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stack output:\n%s", stackOut.String())
		}
	})
}

// TestDemo runs `make demo`'s story against the stack and requires every
// expected outcome.
func TestDemo(t *testing.T) {
	dumpOnFailure(t)
	var out bytes.Buffer
	rep, err := RunDemo(context.Background(), stack, &out)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if len(rep.Mismatches) > 0 {
		t.Fatalf("mismatches %v\n%s", rep.Mismatches, out.String())
	}
	for role, want := range map[string]string{"pay-in": "SUCCEEDED", "transfer": "SUCCEEDED", "refund": "SUCCEEDED",
		"payout": "SUCCEEDED", "kyc document": "VALIDATED"} {
		if r := rep.Records[role]; r == nil || r.Status != want {
			t.Errorf("%s: %+v, want %s", role, r, want)
		}
	}
	if rep.Balances["buyer wallet"] != demoBuyerBalance || rep.Balances["seller wallet"] != demoSellerBalance {
		t.Errorf("balances %v", rep.Balances)
	}
	payout := rep.Records["payout"]
	seen := false
	for _, e := range rep.Events {
		seen = seen || (e.DetailType == "PayoutSucceeded" && strings.Contains(string(e.Detail), payout.ID))
	}
	if !seen {
		t.Errorf("no PayoutSucceeded event for %s among %d events", payout.ID, len(rep.Events))
	}
	if !strings.Contains(out.String(), "every expected outcome was met") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// eventFor picks a function's events/ file: <name>.json, else its first
// variant.
func eventFor(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(stack.root, "events")
	if p := filepath.Join(dir, name+".json"); fileExists(p) {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(dir, name+"-*.json"))
	sort.Strings(matches)
	for _, m := range matches {
		if stack.FunctionOf(m) == name {
			return m
		}
	}
	t.Fatalf("no events/ file for %s", name)
	return ""
}

// TestEveryBinaryThroughTheRuntimeAPI runs every function's real
// bootstrap once (a fresh process: a cold start) through the local
// Runtime API with its events/ file, placeholders made on the stack, then
// twice warm, and requires success: a 2xx answer, no batch item failure,
// no function error.
func TestEveryBinaryThroughTheRuntimeAPI(t *testing.T) {
	dumpOnFailure(t)
	ctx := context.Background()
	filler := NewFiller(stack, nil)
	names := make([]string, 0, len(stack.Functions))
	for n := range stack.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	var table []string
	for _, name := range names {
		file := eventFor(t, name)
		event, err := filler.Load(ctx, file, nil, false)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		p, err := lambdaruntime.Start(lambdaruntime.Config{Name: name, Binary: filepath.Join(BinDir(stack.root), name),
			Env: stack.Env(name), Timeout: stack.Functions[name].Timeout})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var durations []time.Duration
		var init time.Duration
		for i := range 3 {
			res, err := p.Invoke(ctx, event)
			if err != nil {
				t.Errorf("%s: invocation %d: %v", name, i+1, err)
				break
			}
			if i == 0 {
				if !res.Cold {
					t.Errorf("%s: the first invocation of a fresh process is not a cold start", name)
				}
				init = res.Init
			}
			if msg := failure(res); msg != "" {
				t.Errorf("%s with %s (invocation %d): %s", name, filepath.Base(file), i+1, msg)
				break
			}
			durations = append(durations, res.Duration)
		}
		p.Close()
		if len(durations) == 3 {
			table = append(table, fmt.Sprintf("%-28s init %7s  cold handler %7s  warm %7s %7s", name, init.Round(100*time.Microsecond),
				durations[0].Round(100*time.Microsecond), durations[1].Round(100*time.Microsecond), durations[2].Round(100*time.Microsecond)))
		}
	}
	if len(table) != len(names) {
		t.Errorf("%d of %d functions ran", len(table), len(names))
	}
	if testing.Verbose() {
		t.Logf("durations (one process per function):\n%s", strings.Join(table, "\n"))
	}
}

// failure says what is wrong with an answer, "" when it is a success.
func failure(res lambdaruntime.Result) string {
	if res.Err != nil {
		return "function error " + res.Err.Error()
	}
	var probe struct {
		StatusCode *int                         `json:"statusCode"`
		Body       string                       `json:"body"`
		Failures   []events.SQSBatchItemFailure `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(res.Payload, &probe); err != nil {
		return ""
	}
	if probe.StatusCode != nil && (*probe.StatusCode < 200 || *probe.StatusCode > 299) {
		return fmt.Sprintf("answered %d %s", *probe.StatusCode, truncate(probe.Body, 300))
	}
	if len(probe.Failures) > 0 {
		return fmt.Sprintf("batch item failures %+v", probe.Failures)
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	lw  lineWriter
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.lw.mu.Lock()
	defer b.lw.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.lw.mu.Lock()
	defer b.lw.mu.Unlock()
	return b.buf.String()
}

// TestDemoLogCheckFindsLeaks: the demo's log check reports a function log
// line holding the API key or a card number as a mismatch.
func TestDemoLogCheckFindsLeaks(t *testing.T) {
	dir := t.TempDir()
	line := fmt.Sprintf(`{"level":"INFO","msg":"oops","key":%q,"card":"4970101122334455"}`+"\n", stack.Fake.APIKey)
	if err := os.WriteFile(filepath.Join(dir, "create-card-payin.log"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &demo{s: &Stack{Fake: stack.Fake, HookToken: stack.HookToken, logDir: dir}, out: &bytes.Buffer{}, rep: &DemoReport{}}
	d.checkLogs()
	if d.rep.LogLines != 1 || len(d.rep.Leaks) != 2 || len(d.rep.Mismatches) != 2 {
		t.Fatalf("lines %d, leaks %v, mismatches %v: want the key and the card number found", d.rep.LogLines, d.rep.Leaks, d.rep.Mismatches)
	}
	if strings.Contains(fmt.Sprint(d.rep.Mismatches), stack.Fake.APIKey) {
		t.Fatal("the report repeats the secret it found")
	}
}
