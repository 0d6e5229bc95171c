package chaos_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/chaos"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// TestMangopayFaults is scenario 2: the same kind of requests over SQS
// while Mangopay answers 20% of calls with a 5xx, throws bursts of 429
// (with its X-RateLimit-Reset headers), drops connections after
// committing a create, and is 2 s slow on some calls. Every request
// completes or is dead-lettered with its reason; nothing is executed twice
// at Mangopay; every invocation returns before its deadline.
func TestMangopayFaults(t *testing.T) {
	n := size(9, 300)
	slow := size(1, n/30)
	s := newStack(t)
	rng := rand.New(rand.NewPCG(2, uint64(n)))
	w := newWorld(t, s, 2, 2)
	reqs := w.requests(t, rng, n, "s2")
	msgs := messages(reqs)
	base := len(s.e.Fake.Requests())
	injected := map[string]int{}
	statuses := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	q := &queueSim{s: s, handlers: s.handlers(), workers: 2, rng: rng}
	q.beforeBatch = func(rng *rand.Rand, batch []*delivery) {
		for range batch {
			if rng.Float64() < 0.20 {
				st := statuses[rng.IntN(len(statuses))]
				s.e.Fake.InjectFault(mangopaytest.Fault{Status: st, Times: 1})
				injected[fmt.Sprintf("%d", st)]++
			}
			if rng.Float64() < 0.05 {
				s.e.Fake.InjectFault(mangopaytest.Fault{Method: http.MethodPost, DropAfterCommit: true, Times: 1})
				injected["connection dropped after commit"]++
			}
			if injected["2 s latency"] < slow && rng.Float64() < 0.1 {
				s.e.Fake.InjectFault(mangopaytest.Fault{Latency: 2 * time.Second, Times: 1})
				injected["2 s latency"]++
			}
		}
		if injected["429 bursts"] == 0 || rng.Float64() < 0.05 {
			burst := 3 + rng.IntN(6)
			s.e.Fake.InjectFault(mangopaytest.Fault{Status: http.StatusTooManyRequests, Times: burst})
			injected["429 bursts"]++
			injected["429 answers armed"] += burst
		}
	}
	q.run(t, msgs, 2)
	s.e.Fake.ClearFaults()

	dead, reasons := dlq(t, s)
	done, acked := acknowledged(reqs, msgs)
	if acked+dead != n {
		t.Errorf("%d acknowledged + %d dead-lettered != %d requests", acked, dead, n)
	}
	if reasons["(no reason)"] != 0 || q.stats.Redriven != 0 {
		t.Errorf("%d messages in the DLQ without a reason, %d redriven by SQS", reasons["(no reason)"], q.stats.Redriven)
	}
	if q.stats.Late != 0 {
		t.Errorf("%d invocations returned after their deadline (%s)", q.stats.Late, functionTimeout)
	}
	if len(q.stats.Errors) != 0 {
		t.Errorf("invocation errors: %v", q.stats.Errors)
	}
	l := checkLedger(t, s, w, reqs, done, "s2-")
	wallets := checkBalances(t, s, w, reqs, func(r *request) bool { return len(l.fake[r.tag]) == 1 })
	noGoroutinesOfOurs(t)

	// Attempts per create: requests to Mangopay with one Idempotency-Key.
	perKey := map[string]int{}
	byStatus := map[int]int{}
	calls := 0
	for _, r := range s.e.Fake.Requests()[base:] {
		calls++
		byStatus[r.Status]++
		if r.IdempotencyKey != "" {
			perKey[r.IdempotencyKey]++
		}
	}
	most, retried := 0, 0
	for _, c := range perKey {
		most = max(most, c)
		if c > 1 {
			retried++
		}
	}

	f := &chaos.Fragment{Title: "2. Mangopay faults",
		Summary: fmt.Sprintf("%d requests (pay-ins, transfers, payouts) over SQS, each message delivered 1 or 2 times, to 2 concurrent "+
			"invocations, while the fake Mangopay, before each invocation, is armed per message with a 5xx (20%%: 500, 502, 503 or 504), "+
			"a connection dropped after the create was committed (5%%), a 2 s delay (%d calls), and per batch a burst of 429 "+
			"with its X-RateLimit headers (5%%). The client retries 5xx, 429 and network errors up to 3 times with jittered "+
			"backoff (a 429 waits for X-RateLimit-Reset only when that is sooner than its 10 s cap and the deadline); the queue "+
			"redelivers the rest after the visibility timeout. Invocations run with the template's %s timeout as their "+
			"context deadline.", n, slow, functionTimeout)}
	f.Add("requests", n)
	f.Add("deliveries / invocations / rounds", fmt.Sprintf("%d / %d / %d", q.stats.Deliveries, q.stats.Invocations, q.stats.Rounds))
	f.Add("faults armed", fmtMap(injected))
	f.Add("Mangopay calls (incl. token)", calls)
	f.Add("Mangopay answers by status (0 = connection dropped)", fmtMap(byStatus))
	f.Add("creates retried with the same Idempotency-Key", fmt.Sprintf("%d of %d (most attempts for one: %d)", retried, len(perKey), most))
	f.Add("batch item failures (redelivered)", q.stats.ItemFailures)
	f.Add("completed (acknowledged)", acked)
	f.Add("dead-lettered with a reason", fmt.Sprintf("%d (%s)", dead, fmtMap(reasons)))
	f.Add("redriven by SQS without a reason", q.stats.Redriven)
	f.Add("invocations returned after their deadline", q.stats.Late)
	f.Add("transactions executed twice at Mangopay", l.extraFake)
	f.Add("wallets checked to the cent", wallets)
	f.Add("wall time", q.stats.Wall.Round(time.Millisecond))
	f.Held = []string{
		"every request completed or is in the DLQ with its Failure-Reason; none redriven without one",
		"no request was executed twice at Mangopay; each completed one has one SYNCED record matching Mangopay",
		"every wallet's balance is right to the cent",
		"every invocation returned before its context deadline",
	}
	writeFragment(t, "20-mangopay-faults", f)
}
