package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/chaos"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/leakcheck"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// Template figures the harness plays SQS and Lambda with (template.yaml).
const (
	functionTimeout   = 10 * time.Second // Globals.Function.Timeout
	visibilityTimeout = 60 * time.Second // the operation queues' VisibilityTimeout
	maxReceiveCount   = 5                // their RedrivePolicy
	batchSize         = 5                // their event sources' BatchSize
)

// size is the short or long figure (CHAOS_LONG=1).
func size(short, long int) int { return chaos.Size(os.Getenv, short, long) }

// writeFragment writes a scenario's figures when CHAOS_REPORT_DIR is set.
func writeFragment(t *testing.T, name string, f *chaos.Fragment) {
	t.Helper()
	if t.Failed() {
		f.Notes = append(f.Notes, "THIS RUN FAILED: see the test output.")
	}
	if err := chaos.WriteFragment(os.Getenv(chaos.ReportDirVar), name, f); err != nil {
		t.Error(err)
	}
	t.Logf("\n%s", f.Markdown())
}

// stack is one scenario's functions on local parts: testenv's moto account
// and fake Mangopay, and Deps built by coldstart.New as the mains build
// them, from an AWS config carrying the harness's kill switch (see
// killMiddleware), with one change: the records store's clock runs ahead
// of the wall clock by what the harness advanced (SQS redelivers a
// message after its visibility timeout; the test does not wait for it).
type stack struct {
	e     *testenv.Env
	d     *coldstart.Deps
	clock *clock
	logs  *testenv.SyncBuffer
}

func newStack(t *testing.T, opts ...mangopaytest.Option) *stack {
	t.Helper()
	e := testenv.New(t, opts...)
	cfg := e.AWS.Copy()
	cfg.APIOptions = append(slices.Clone(e.AWS.APIOptions), killMiddleware)
	env, err := config.FromEnv(func(k string) string { return e.Vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := coldstart.New(e.Ctx, env, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	store := records.New(dynamodb.NewFromConfig(cfg), env.TableName, records.WithAfterWrite(d.Outcomes.Hook), records.WithClock(clk.Now))
	d.Outcomes.Records, d.Service.Records, d.API.Claims, d.API.IDs = store, store, store, store
	d.Service.Now = clk.Now
	// The publisher tells a stale outbox entry (left by a failed PutEvents,
	// for the re-check's write to publish) on the records' clock: on the
	// wall clock, entries decided after the harness advanced it would
	// never look stale once the run is faster than the advance.
	d.Outcomes.Now = clk.Now
	s := &stack{e: e, d: d, clock: clk, logs: logs}
	t.Cleanup(func() { noLeaks(t, e, logs.String()) })
	t.Cleanup(func() {
		if t.Failed() {
			out := logs.String()
			if len(out) > 20_000 {
				out = "…" + out[len(out)-20_000:]
			}
			t.Logf("function logs (tail):\n%s", out)
		}
	})
	return s
}

// clock is the wall clock plus what the harness advanced.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// A point is where a killed invocation dies.
type point int

const (
	// before the Mangopay call
	atClaim   point = iota + 1 // before the idempotency claim is written
	atPending                  // after the PENDING record is written
	// after the Mangopay call, before our write
	beforeWrite // Mangopay committed; the SYNCED write is never sent
	// after our write, before the ack
	afterWrite   // the SYNCED write is stored; nothing published
	afterPublish // events published; the outbox not cleared, no ack
	beforeAck    // the handler returned; its answer is lost
)

func (p point) String() string {
	return map[point]string{
		atClaim: "before Mangopay: at the idempotency claim", atPending: "before Mangopay: after the PENDING write",
		beforeWrite: "after Mangopay, before our write", afterWrite: "after our write, before publishing",
		afterPublish: "after publishing, before clearing the outbox", beforeAck: "after the handler returned, before the ack",
	}[p]
}

// allPoints are the points scenario 1 picks from.
var allPoints = []point{atClaim, atPending, beforeWrite, afterWrite, afterPublish, beforeAck}

// death is the panic value of a killed invocation.
type death struct{ at point }

// plan is one invocation's death, carried in its context; it fires once,
// at the first AWS call matching its point.
type plan struct {
	at    point
	fired bool
	mu    sync.Mutex
}

func (p *plan) fire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fired {
		return false
	}
	p.fired = true
	return true
}

type planKey struct{}

// killMiddleware kills an invocation whose context carries a plan, as a
// crashed Lambda dies: it panics in the invocation's goroutine (the
// handlers process a batch's messages one after the other, in that
// goroutine), either before a matching AWS call is sent or right after it
// was (the write reached the table, the process died before going on).
// The harness recovers the panic around Invoke and drops the invocation's
// answer, so its messages are delivered again.
func killMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("chaos.kill",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			p, _ := ctx.Value(planKey{}).(*plan)
			if p == nil {
				return next.HandleInitialize(ctx, in)
			}
			before, after := p.at.matches(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters)
			if before && p.fire() {
				panic(death{p.at})
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if after && p.fire() {
				panic(death{p.at})
			}
			return out, md, err
		}), middleware.Before)
}

// matches tells whether a call is where p dies: before it is sent, or
// after.
func (p point) matches(service, op string, params any) (before, after bool) {
	if service == "EventBridge" && op == "PutEvents" {
		return false, p == afterPublish
	}
	put, ok := params.(*dynamodb.PutItemInput)
	if !ok {
		return false, false
	}
	kind, state := itemString(put.Item, "kind"), itemString(put.Item, "sync_state")
	tx := records.Kind(kind).IsTransaction()
	switch p {
	case atClaim:
		return kind == "IDEMPOTENCY", false
	case atPending:
		return false, tx && state == string(records.SyncPending)
	case beforeWrite:
		return tx && state == string(records.SyncSynced), false
	case afterWrite:
		return false, tx && state == string(records.SyncSynced)
	}
	return false, false
}

func itemString(item map[string]ddbtypes.AttributeValue, name string) string {
	if s, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// invocation is what one Invoke came to.
type invocation struct {
	out []byte
	err error
	// died is set when the plan fired.
	died *death
	// late is true when the handler returned after its deadline (Lambda
	// would have killed it: nothing it answered counts).
	late bool
}

// invoke runs h on ev as the Lambda runtime would (JSON in and out), with
// the function's timeout as the context's deadline, and the plan.
func invoke(ctx context.Context, h lambda.Handler, ev any, p *plan) (res invocation) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return invocation{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, functionTimeout)
	defer cancel()
	if p != nil {
		ctx = context.WithValue(ctx, planKey{}, p)
	}
	defer func() {
		if r := recover(); r != nil {
			d, ok := r.(death)
			if !ok {
				panic(r)
			}
			res.died = &d
		}
	}()
	res.out, res.err = h.Invoke(ctx, payload)
	res.late = ctx.Err() != nil
	return res
}

// noGoroutinesOfOurs fails if a goroutine still runs our code (a killed
// invocation must leave nothing running).
func noGoroutinesOfOurs(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "noGoroutinesOfOurs") {
			continue
		}
		for _, pkg := range []string{"/internal/operations.", "/internal/api.", "/internal/outcomes.", "/pkg/records.", "/pkg/mangopay."} {
			if strings.Contains(g, "lambda-mangopay"+pkg) {
				t.Errorf("a goroutine still runs our code:\n%s", g)
				break
			}
		}
	}
}

func pct(part, whole int) string {
	if whole == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.1f%%)", part, 100*float64(part)/float64(whole))
}

// noLeaks: whatever the scenario did to them, the functions' logs hold no
// secret (the API key, a bearer token the fake issued), card data, IBAN or
// page bytes.
func noLeaks(t *testing.T, e *testenv.Env, logs string) {
	for _, f := range leakcheck.Scan([]byte(logs), e.Fake.Secrets()...) {
		t.Errorf("the logs leak: %s", f)
	}
}
