package operations_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// A forged hook call (wrong token, the token in another case, a token
// with a suffix, no token) is API Gateway's 404 and touches nothing: no
// AWS call at all, no Mangopay call.
func TestForgedHookTokenTouchesNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e).HTTPHandler(e.Deps.API)
	forged := []string{"", "guess", strings.ToUpper(testHookToken), testHookToken + "x", testHookToken[:len(testHookToken)-1], " " + testHookToken}
	before, mp := e.Calls.Total(), len(e.Fake.Requests())
	for _, token := range forged {
		resp := call(t, h, hookRequest(token, mangopay.EventPayoutNormalSucceeded, "po_m_1", 1700000000))
		if resp.StatusCode != http.StatusNotFound || resp.Body != `{"message":"Not Found"}` {
			t.Fatalf("token %q: %d %s", token, resp.StatusCode, resp.Body)
		}
	}
	if n := e.Calls.Total() - before; n != 0 {
		t.Fatalf("forged hooks made %d AWS calls (%v)", n, e.Calls)
	}
	if n := len(e.Fake.Requests()) - mp; n != 0 {
		t.Fatalf("forged hooks made %d Mangopay calls", n)
	}
	securityNote(t, "61-security-hooks-forged.md", fmt.Sprintf("### Forged and replayed hooks\n\n- `TestForgedHookTokenTouchesNothing`: %d forged hook calls (wrong token, "+
		"the token upper-cased, with a suffix, truncated, with a leading space, none) were each answered API Gateway's plain 404, "+
		"with 0 AWS calls and 0 Mangopay calls.", len(forged)))
}

// Replays with the right token: the same notification again, then an
// older, contradicting one (PAYOUT_NORMAL_FAILED dated before the
// success) after the record reached its newer state. Hooks are hints:
// the record stays equal to Mangopay's state, and no outcome is
// published again.
func TestReplayedHookCannotRollBackARecord(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	hooks := newHooks(t, e)
	h := hooks.HTTPHandler(e.Deps.API)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	date := e.Fake.Now().Unix()
	if resp := call(t, h, hookRequest(testHookToken, mangopay.EventPayoutNormalSucceeded, rec.MangopayID, date)); resp.StatusCode != http.StatusOK {
		t.Fatalf("hook: %d %s", resp.StatusCode, resp.Body)
	}
	if n := processQueue(t, e, hooks); n != 1 {
		t.Fatalf("%d notifications queued, want 1", n)
	}
	oneEvent(t, e.Outcomes(t), "PayoutSucceeded", rec.ID)
	replays := []struct {
		what, eventType string
		date            int64
	}{
		{"the same notification again", mangopay.EventPayoutNormalSucceeded, date},
		{"an older PAYOUT_NORMAL_FAILED", mangopay.EventPayoutNormalFailed, date - 3600},
		{"an older PAYOUT_NORMAL_SUCCEEDED", mangopay.EventPayoutNormalSucceeded, date - 60},
	}
	for _, r := range replays {
		if resp := call(t, h, hookRequest(testHookToken, r.eventType, rec.MangopayID, r.date)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", r.what, resp.StatusCode, resp.Body)
		}
		processQueue(t, e, hooks)
		after, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := e.Deps.Service.MP.GetPayout(e.Ctx, rec.MangopayID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != "SUCCEEDED" || after.Status != string(mp.Status) {
			t.Fatalf("after %s: record %s, Mangopay %s", r.what, after.Status, mp.Status)
		}
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("replays published %+v", evs)
	}
	securityNote(t, "61-security-hooks-replayed.md", fmt.Sprintf("- `TestReplayedHookCannotRollBackARecord`: after a payout's success was processed, "+
		"%d replays with the right token (the same notification, an older PAYOUT_NORMAL_FAILED, an older success) left the record "+
		"SUCCEEDED, equal to Mangopay's state, and published no outcome again. `TestForgedHookChangesNothing` (a valid-token "+
		"notification claiming a success Mangopay does not have) leaves the record CREATED with no event.", len(replays)))
}

// securityNote writes a report fragment into CHAOS_REPORT_DIR (one file
// per test: they run in parallel).
func securityNote(t *testing.T, file, line string) {
	dir := os.Getenv("CHAOS_REPORT_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
