package chaos_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// fakeTx is a transaction as the fake Mangopay holds it.
type fakeTx struct {
	ID           string `json:"Id"`
	Tag          string `json:"Tag"`
	Status       string `json:"Status"`
	Type         string `json:"Type"`
	DebitedFunds struct {
		Amount int64 `json:"Amount"`
	} `json:"DebitedFunds"`
	Fees struct {
		Amount int64 `json:"Amount"`
	} `json:"Fees"`
	kind string
}

// fakeTxs lists the fake's pay-ins, transfers and payouts whose tag starts
// with prefix, through its test controls.
func fakeTxs(t *testing.T, s *stack, prefix string) []fakeTx {
	t.Helper()
	var out []fakeTx
	for _, kind := range []string{"payins", "transfers", "payouts"} {
		resp, err := http.Get(s.e.Fake.URL + "/__fake/objects/" + kind)
		if err != nil {
			t.Fatal(err)
		}
		var list []fakeTx
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range list {
			if strings.HasPrefix(x.Tag, prefix) {
				x.kind = kind
				out = append(out, x)
			}
		}
	}
	return out
}

// tableTxs lists our transaction records of the given owners whose tag
// starts with prefix.
func tableTxs(t *testing.T, s *stack, owners []string, prefix string) []records.Record {
	t.Helper()
	var out []records.Record
	for _, owner := range owners {
		for _, kind := range []records.Kind{records.KindPayIn, records.KindTransfer, records.KindPayout} {
			token := ""
			for {
				recs, next, err := s.d.Service.Records.ListByOwner(s.e.Ctx, owner, kind, 100, token)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					if strings.HasPrefix(r.Tag, prefix) {
						out = append(out, r)
					}
				}
				if next == "" {
					break
				}
				token = next
			}
		}
	}
	return out
}

// ledger is the outcome of a run compared across Mangopay, the table and
// the requests.
type ledger struct {
	fake      map[string][]fakeTx         // by tag
	table     map[string][]records.Record // by tag
	extraFake int                         // objects of ours beyond one per request
}

// checkLedger asserts that each request in done has exactly one object at
// Mangopay and one SYNCED record matching it (status, amounts, Mangopay
// id), and that no other request (dead-lettered) has more than one.
func checkLedger(t *testing.T, s *stack, w *world, reqs []*request, done map[string]bool, prefix string) *ledger {
	t.Helper()
	l := &ledger{fake: map[string][]fakeTx{}, table: map[string][]records.Record{}}
	for _, x := range fakeTxs(t, s, prefix) {
		l.fake[x.Tag] = append(l.fake[x.Tag], x)
	}
	var owners []string
	for _, p := range append(append([]person(nil), w.payers...), w.sellers...) {
		owners = append(owners, p.user.OwnerRef)
	}
	for _, r := range tableTxs(t, s, owners, prefix) {
		l.table[r.Tag] = append(l.table[r.Tag], r)
	}
	want := map[records.Kind]string{records.KindPayIn: "payins", records.KindTransfer: "transfers", records.KindPayout: "payouts"}
	for _, r := range reqs {
		fx, recs := l.fake[r.tag], l.table[r.tag]
		if len(fx) > 1 {
			l.extraFake += len(fx) - 1
			t.Errorf("%s: %d transactions at Mangopay, want at most 1", r.tag, len(fx))
		}
		if !done[r.tag] {
			continue
		}
		if len(fx) != 1 || len(recs) != 1 {
			t.Errorf("%s: %d at Mangopay, %d records; want 1 and 1", r.tag, len(fx), len(recs))
			continue
		}
		x, rec := fx[0], recs[0]
		if x.kind != want[r.kind] || x.DebitedFunds.Amount != r.amount || x.Fees.Amount != r.fees {
			t.Errorf("%s: Mangopay holds %+v, want a %s of %d (fees %d)", r.tag, x, r.kind, r.amount, r.fees)
		}
		if rec.Kind != r.kind || rec.SyncState != records.SyncSynced || rec.MangopayID != x.ID || rec.Status != x.Status ||
			rec.Transaction == nil || rec.Transaction.DebitedFunds.Amount != r.amount || rec.Transaction.Fees.Amount != r.fees {
			t.Errorf("%s: record %s %s %s mp=%s status=%s does not match Mangopay's %s %s", r.tag, rec.ID, rec.Kind, rec.SyncState,
				rec.MangopayID, rec.Status, x.ID, x.Status)
		}
	}
	for tag, recs := range l.table {
		if len(recs) > 1 {
			t.Errorf("%s: %d records", tag, len(recs))
		}
	}
	return l
}

// checkBalances asserts every wallet's balance at Mangopay, to the cent:
// what it held before, plus what the executed requests credited, minus
// what they debited; and the platform's fees.
func checkBalances(t *testing.T, s *stack, w *world, reqs []*request, executed func(*request) bool) (wallets int) {
	t.Helper()
	want := map[string]int64{}
	for id, b := range w.initial {
		want[id] = b
	}
	var fees int64
	for _, r := range reqs {
		if !executed(r) {
			continue
		}
		if r.debited != "" {
			want[r.debited] -= r.amount
		}
		if r.credited != "" {
			want[r.credited] += r.amount - r.fees
		}
		if r.kind != records.KindPayout { // a payout's fees move when it is settled
			fees += r.fees
		}
	}
	for id, b := range want {
		got, _, err := s.e.Fake.Balance(id)
		if err != nil {
			t.Fatal(err)
		}
		if got != b {
			t.Errorf("wallet %s holds %d, want %d (off by %d)", id, got, b, got-b)
		}
	}
	if got := s.e.Fake.FeesBalance("EUR") - w.fees0; got != fees {
		t.Errorf("the fees wallet got %d, want %d", got, fees)
	}
	return len(want)
}

// publishLeftovers runs the PENDING sweep and the weekday re-check of the
// TRANSACTION bucket (forced, as a manual run) until nothing is due: it
// settles the creates a kill cut short and publishes what a killed
// invocation left in an outbox, as the schedules do.
func publishLeftovers(t *testing.T, s *stack) (runs int, rep []operations.RecheckReport) {
	t.Helper()
	h, err := operations.NewRecheckHandler(s.d.Service, records.BucketTransaction, nil, s.d.Log, "")
	if err != nil {
		t.Fatal(err)
	}
	h.Now = s.clock.Now
	// A record whose write staged events is due for the re-check at the
	// latest records.OutboxRetryAfter after it (its entries are then stale
	// and the re-check's write publishes them); 10 min covers that and a
	// create's PendingRecheck.
	s.clock.Advance(10*time.Minute + time.Second)
	for runs = 1; runs <= 10; runs++ {
		var r operations.RecheckReport
		for _, b := range []string{records.BucketPending, records.BucketTransaction} {
			one, err := h.HandleScheduled(s.e.Ctx, operations.RecheckEvent{Bucket: b, Force: true})
			if err != nil {
				t.Fatal(err)
			}
			r.Due, r.Rechecked, r.Changed = r.Due+one.Due, r.Rechecked+one.Rechecked, r.Changed+one.Changed
		}
		rep = append(rep, r)
		if r.Due == 0 || r.Rechecked == 0 && r.Changed == 0 {
			break
		}
	}
	return runs, rep
}

// eventCount is what the outcome events came to.
type eventCount struct {
	total, distinct, duplicates int
	byRecord                    map[string]map[string]int // record id -> event id -> deliveries
	types                       map[string]int
}

// readEvents drains the outcomes queue (every event the functions
// published, through the bus's rule).
func readEvents(t *testing.T, s *stack) eventCount {
	t.Helper()
	c := eventCount{byRecord: map[string]map[string]int{}, types: map[string]int{}}
	for _, ev := range s.e.Outcomes(t) {
		var d struct {
			EventID string `json:"event_id"`
			ID      string `json:"id"`
		}
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if c.byRecord[d.ID] == nil {
			c.byRecord[d.ID] = map[string]int{}
		}
		c.byRecord[d.ID][d.EventID]++
		c.types[ev.DetailType]++
		c.total++
		if c.byRecord[d.ID][d.EventID] == 1 {
			c.distinct++
		} else {
			c.duplicates++
		}
	}
	return c
}

// checkEvents asserts that every record in a final status published
// exactly one outcome (one event id, whatever duplicate deliveries of it),
// and that no other record published any.
func checkEvents(t *testing.T, l *ledger, c eventCount) (expected int) {
	t.Helper()
	final := map[string]bool{}
	for _, recs := range l.table {
		for _, r := range recs {
			if r.Status == "SUCCEEDED" || r.Status == "FAILED" {
				final[r.ID] = true
				expected++
				if n := len(c.byRecord[r.ID]); n != 1 {
					t.Errorf("record %s (%s %s) published %d distinct events %v, want 1", r.ID, r.Kind, r.Status, n, c.byRecord[r.ID])
				}
			}
		}
	}
	for id, evs := range c.byRecord {
		if !final[id] && strings.Contains(id, "_") {
			t.Errorf("record %s published %v but is not in a final status", id, evs)
		}
	}
	return expected
}

// dlq reads the dead-letter queue: reasons by count.
func dlq(t *testing.T, s *stack) (n int, reasons map[string]int) {
	t.Helper()
	reasons = map[string]int{}
	for _, m := range s.e.Messages(t, s.e.DLQ) {
		reason := "(no reason)"
		if a, ok := m.MessageAttributes["Failure-Reason"]; ok && a.StringValue != nil {
			reason = *a.StringValue
		}
		reasons[reason]++
		n++
	}
	return n, reasons
}

// mangopayCalls counts the fake's API requests: all, writes (POST/PUT),
// and writes that repeated an Idempotency-Key already sent.
func mangopayCalls(s *stack) (all, writes, repeats int) {
	seen := map[string]bool{}
	for _, r := range s.e.Fake.Requests() {
		if strings.Contains(r.Path, "/oauth/") {
			continue
		}
		all++
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			writes++
			if r.IdempotencyKey != "" {
				if seen[r.IdempotencyKey] {
					repeats++
				}
				seen[r.IdempotencyKey] = true
			}
		}
	}
	return all, writes, repeats
}

func fmtMap[K comparable](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v: %d", k, v))
	}
	return strings.Join(parts, "; ")
}
