package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/chaos"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// TestConcurrentUpdatesOfOneRecord is scenario 3a: for each of R payouts
// Mangopay answered CREATED, the hook (process-hook, from the queue), the
// schedule (the re-check, from its queue) and the API (GET
// /payouts/{id}?refresh=true) update the one record at the same time, each
// twice, while Mangopay settles the payout (SUCCEEDED or FAILED). The
// versioned writes conflict; in the end the record holds Mangopay's latest
// state and the outcome was published under one event id.
func TestConcurrentUpdatesOfOneRecord(t *testing.T) {
	n := size(2, 100)
	s := newStack(t)
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	w := newWorld(t, s, 1, 2)
	for _, p := range w.sellers {
		w.fund(t, p, 1_000_000)
	}
	d := s.d
	hooks := lambda.NewHandler(api.SQS(d.Hooks.ProcessHookOp(), d.API))
	rh, err := operations.NewRecheckHandler(d.Service, records.BucketTransaction, nil, d.Log, "")
	if err != nil {
		t.Fatal(err)
	}
	rh.Now = s.clock.Now
	recheck := lambda.NewHandler(rh.Handle)
	get := lambda.NewHandler(api.Handler(d.Service.GetPayoutOp(), d.API))
	create := api.HTTP(d.Service.CreatePayoutOp(), d.API)
	s.e.Outcomes(t)
	start := time.Now()
	var mu sync.Mutex
	invocations, failures, behind := 0, 0, 0
	asked := map[string]int{}
	var finals []records.Record
	for i := range n {
		seller := w.sellers[i%len(w.sellers)]
		resp, err := create(s.e.Ctx, testenv.Request("POST", "/payouts", nil, map[string]any{"debited_wallet_id": seller.wallet.ID,
			"bank_account_id": seller.bank.ID, "debited_funds": eur(1000 + int64(i)), "fees": eur(10), "tag": fmt.Sprintf("s3-%04d", i)}, nil))
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("payout: %v %d %s", err, resp.StatusCode, resp.Body)
		}
		var rec records.Record
		testenv.Decode(t, resp.Body, &rec)
		succeed := rng.IntN(4) != 0
		evType := "PAYOUT_NORMAL_SUCCEEDED"
		if !succeed {
			evType = "PAYOUT_NORMAL_FAILED"
		}
		hookEv := events.SQSEvent{Records: []events.SQSMessage{testenv.Message(fmt.Sprintf("hook-%d", i),
			operations.HookMessage{EventType: evType, RessourceID: rec.MangopayID, Date: time.Now().Unix()}, nil)}}
		recheckEv := events.SQSEvent{Records: []events.SQSMessage{testenv.Message(fmt.Sprintf("recheck-%d", i),
			operations.RecheckMessage{Bucket: records.BucketTransaction, IDs: []string{rec.ID}}, nil)}}
		getEv := testenv.Request("GET", "/payouts/"+rec.ID, map[string]string{"payout_id": rec.ID}, nil, nil)
		getEv.QueryStringParameters = map[string]string{"refresh": "true"}
		go1 := make(chan struct{})
		var wg sync.WaitGroup
		run := func(who string, h lambda.Handler, ev any) {
			defer wg.Done()
			<-go1
			res := invoke(context.Background(), h, ev, nil)
			mu.Lock()
			defer mu.Unlock()
			invocations++
			if res.err != nil || res.late || res.died != nil {
				failures++
				t.Errorf("invocation: %v late=%v", res.err, res.late)
				return
			}
			var out struct {
				StatusCode        int                          `json:"statusCode"`
				BatchItemFailures []events.SQSBatchItemFailure `json:"batchItemFailures"`
			}
			_ = json.Unmarshal(res.out, &out)
			switch {
			case out.StatusCode >= 500:
				failures++
				t.Errorf("%s answered %s", who, res.out)
			case out.StatusCode >= 400:
				asked[fmt.Sprintf("%s %d", who, out.StatusCode)]++
			case len(out.BatchItemFailures) > 0:
				asked[who+" batch item failure"]++
			}
		}
		for range 2 {
			wg.Add(3)
			go run("hook", hooks, hookEv)
			go run("re-check", recheck, recheckEv)
			go run("API", get, getEv)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go1
			if err := s.e.Fake.SettlePayout(rec.MangopayID, succeed, ""); err != nil {
				t.Error(err)
			}
		}()
		close(go1)
		wg.Wait()
		final, err := d.Service.Records.Get(s.e.Ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := s.e.Fake.Object("payouts", rec.MangopayID)
		var mp struct{ Status string }
		_ = json.Unmarshal(raw, &mp)
		if final.Status != mp.Status {
			behind++
			t.Errorf("payout %s: record %s (version %d), Mangopay %s", rec.ID, final.Status, final.Version, mp.Status)
		}
		finals = append(finals, *final)
	}
	wall := time.Since(start)
	ev := readEvents(t, s)
	l := &ledger{table: map[string][]records.Record{}}
	for _, r := range finals {
		l.table[r.Tag] = []records.Record{r}
	}
	expected := checkEvents(t, l, ev)
	noGoroutinesOfOurs(t)
	versions := 0
	for _, r := range finals {
		versions += int(r.Version)
	}
	f := &chaos.Fragment{Title: "3a. AWS faults: concurrent updates of one record",
		Summary: fmt.Sprintf("%d payouts that Mangopay answered CREATED; for each, 7 things at once (released together by a channel): "+
			"Mangopay settles it (SUCCEEDED for 3 in 4, FAILED otherwise), and twice each the hook (process-hook with the "+
			"PAYOUT_NORMAL_* notification), the schedule (the TRANSACTION re-check with the record's id from its queue) and the API "+
			"(GET /payouts/{id}?refresh=true) re-read it and write the one record with versioned (conditional) writes.", n)}
	f.Add("payouts", n)
	f.Add("invocations (hook, re-check, API)", invocations)
	f.Add("invocations that failed (5xx, error, past the deadline)", failures)
	f.Add("answers asking for a retry (the second, concurrent delivery of one hook or re-check message: in progress)", fmtMap(asked))
	f.Add("final records behind Mangopay", behind)
	f.Add("record versions written in all (average per payout)", fmt.Sprintf("%d (%.1f)", versions, float64(versions)/float64(n)))
	f.Add("outcome events expected / distinct / delivered", fmt.Sprintf("%d / %d / %d", expected, ev.distinct, ev.total))
	f.Add("wall time", wall.Round(time.Millisecond))
	f.Held = []string{
		"every record ends with Mangopay's latest status",
		"every settled payout published exactly one outcome event id (PayoutSucceeded or PayoutFailed)",
	}
	writeFragment(t, "30-concurrent-updates", f)
}

// throttler fails a share of the functions' AWS calls with the errors
// AWS throttles with.
type throttler struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rate  float64
	count map[string]int
}

func (th *throttler) arm(f *awstest.Faults) {
	ops := map[string][]string{
		"DynamoDB":    {"GetItem", "PutItem", "UpdateItem", "Query"},
		"EventBridge": {"PutEvents"},
	}
	for svc, list := range ops {
		for _, op := range list {
			f.Arm(svc, op, awstest.FaultHook{Keep: true, Fail: func(any) error {
				th.mu.Lock()
				defer th.mu.Unlock()
				if th.rng.Float64() >= th.rate {
					return nil
				}
				th.count[svc+" "+op]++
				if svc == "DynamoDB" && th.rng.IntN(2) == 0 {
					return &ddbtypes.ProvisionedThroughputExceededException{Message: aws.String("The level of configured provisioned throughput for the table was exceeded.")}
				}
				return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
			}})
		}
	}
}

// TestThrottling is scenario 3b: DynamoDB and EventBridge throttle a share
// of the calls (ProvisionedThroughputExceededException,
// ThrottlingException, past the SDK's own retries) while requests flow
// over SQS with duplicates: every request completes (a transient failure
// is redelivered) or is dead-lettered with its reason, nothing is lost or
// done twice, and every outcome is published (the re-check publishes what
// a throttled PutEvents left in an outbox).
func TestThrottling(t *testing.T) {
	n := size(9, 300)
	s := newStack(t)
	rng := rand.New(rand.NewPCG(4, uint64(n)))
	w := newWorld(t, s, 2, 2)
	reqs := w.requests(t, rng, n, "s3b")
	msgs := messages(reqs)
	s.e.Outcomes(t)
	th := &throttler{rng: rand.New(rand.NewPCG(5, 5)), rate: 0.04, count: map[string]int{}}
	th.arm(s.e.Faults)
	q := &queueSim{s: s, handlers: s.handlers(), workers: 3, rng: rng}
	q.run(t, msgs, 2)
	s.e.Faults.Clear()

	dead, reasons := dlq(t, s)
	done, acked := acknowledged(reqs, msgs)
	if acked+dead != n || reasons["(no reason)"] != 0 || q.stats.Redriven != 0 {
		t.Errorf("%d acknowledged, %d dead-lettered (%v), %d redriven; want %d in all, every DLQ message with its reason",
			acked, dead, reasons, q.stats.Redriven, n)
	}
	l := checkLedger(t, s, w, reqs, done, "s3b-")
	wallets := checkBalances(t, s, w, reqs, func(r *request) bool { return len(l.fake[r.tag]) == 1 })
	runs, _ := publishLeftovers(t, s)
	ev := readEvents(t, s)
	expected := checkEvents(t, l, ev)
	noGoroutinesOfOurs(t)
	throttled := 0
	for _, c := range th.count {
		throttled += c
	}
	f := &chaos.Fragment{Title: "3b. AWS faults: throttling",
		Summary: fmt.Sprintf("%d requests (pay-ins, transfers, payouts) over SQS, each delivered 1 or 2 times to 3 concurrent invocations, "+
			"while %.0f%% of the functions' DynamoDB (GetItem, PutItem, UpdateItem, Query) and EventBridge (PutEvents) calls fail "+
			"with ProvisionedThroughputExceededException or ThrottlingException, as they do once the SDK's own retries are spent "+
			"(injected before the SDK's retry step, so each is final).", n, 100*th.rate)}
	f.Add("requests", n)
	f.Add("deliveries / invocations / rounds", fmt.Sprintf("%d / %d / %d", q.stats.Deliveries, q.stats.Invocations, q.stats.Rounds))
	f.Add("calls throttled", fmt.Sprintf("%d (%s)", throttled, fmtMap(th.count)))
	f.Add("batch item failures (redelivered)", q.stats.ItemFailures)
	f.Add("completed / dead-lettered with a reason / redriven", fmt.Sprintf("%d / %d (%s) / %d", acked, dead, fmtMap(reasons), q.stats.Redriven))
	f.Add("extra transactions at Mangopay", l.extraFake)
	f.Add("wallets checked to the cent", wallets)
	f.Add("outcome events expected / distinct / delivered", fmt.Sprintf("%d / %d / %d", expected, ev.distinct, ev.total))
	f.Add("re-check runs to publish what throttled PutEvents left", runs)
	f.Add("wall time", q.stats.Wall.Round(time.Millisecond))
	f.Held = []string{
		"every request completed or is in the DLQ with its reason; nothing redriven without one",
		"one transaction at Mangopay and one matching SYNCED record per completed request; none executed twice",
		"every wallet right to the cent; every final transaction published exactly one event id",
	}
	writeFragment(t, "31-throttling", f)
}
