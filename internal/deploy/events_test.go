package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/leakcheck"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// handlerSpec is how functions/<name>/main.go builds its handler; the
// events test builds the same one over the test's dependencies.
type handlerSpec struct {
	op string // the ...Op method of operations.Service main.go passes
	s3 string // the S3 handler method, for api.HandlerWithS3
	// bucket: a re-check function, whose main builds
	// operations.NewRecheckHandler for this records bucket.
	bucket string
	make   func(s *operations.Service, d api.Deps) any
	// hooks: a hook function, whose main builds its handler from d.Hooks
	// (and d.Env); main lists what its main.go must say, as regular
	// expressions.
	hooks func(h *operations.Hooks, env config.Env, d api.Deps) (any, error)
	main  []string
}

// recheckSpec is the handler of a re-check function: what its main
// builds, over the test's queue and logger, with the default calendar
// (RecheckTimeZone's default, checked by TestRecheckSchedules) and the
// clock at recheckClock.
func recheckSpec(bucket string) handlerSpec {
	return handlerSpec{bucket: bucket, make: func(s *operations.Service, d api.Deps) any {
		h, err := operations.NewRecheckHandler(s, bucket, d.Queue, d.Log, "")
		if err != nil {
			panic(err) // the default time zone always loads
		}
		h.Now = recheckClock
		return h.Handle
	}}
}

// recheckClock is a weekday at 10:00 in the default calendar, a week or
// more ahead: inside every re-check's hours (the sample events have no
// "force"), and after the next check of any record the placeholders made,
// so that the re-checks find them due.
func recheckClock() time.Time {
	loc, err := operations.RecheckLocation("")
	if err != nil {
		panic(err)
	}
	d := time.Now().In(loc).AddDate(0, 0, 7)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, loc)
}

// handlers has one entry per folder of functions/ (TestHandlersMatchMains
// checks them against the mains).
var handlers = map[string]handlerSpec{
	"add-page": {op: "AddPageOp", s3: "AddPageFromS3", make: func(s *operations.Service, d api.Deps) any {
		return api.HandlerWithS3(s.AddPageOp(), d, s.AddPageFromS3)
	}},
	"cancel-preauthorization":    {op: "CancelPreauthorizationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CancelPreauthorizationOp(), d) }},
	"capture-preauthorization":   {op: "CapturePreauthorizationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CapturePreauthorizationOp(), d) }},
	"complete-card-registration": {op: "CompleteCardRegistrationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CompleteCardRegistrationOp(), d) }},
	"create-and-submit-document": {op: "CreateAndSubmitDocumentOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateAndSubmitDocumentOp(), d) }},
	"create-bank-account":        {op: "CreateBankAccountOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateBankAccountOp(), d) }},
	"create-bankwire-payin":      {op: "CreateBankWirePayInOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateBankWirePayInOp(), d) }},
	"create-card-payin":          {op: "CreateCardPayInOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateCardPayInOp(), d) }},
	"create-card-registration":   {op: "CreateCardRegistrationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateCardRegistrationOp(), d) }},
	"create-document":            {op: "CreateDocumentOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateDocumentOp(), d) }},
	"create-legal-user":          {op: "CreateLegalUserOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateLegalUserOp(), d) }},
	"create-natural-user":        {op: "CreateNaturalUserOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateNaturalUserOp(), d) }},
	"create-payout":              {op: "CreatePayoutOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreatePayoutOp(), d) }},
	"create-preauthorization":    {op: "CreatePreauthorizationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreatePreauthorizationOp(), d) }},
	"create-transfer":            {op: "CreateTransferOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateTransferOp(), d) }},
	"create-wallet":              {op: "CreateWalletOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateWalletOp(), d) }},
	"create-web-payin":           {op: "CreateWebPayInOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.CreateWebPayInOp(), d) }},
	"deactivate-bank-account":    {op: "DeactivateBankAccountOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.DeactivateBankAccountOp(), d) }},
	"deactivate-card":            {op: "DeactivateCardOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.DeactivateCardOp(), d) }},
	"get-bank-account":           {op: "GetBankAccountOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetBankAccountOp(), d) }},
	"get-card":                   {op: "GetCardOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetCardOp(), d) }},
	"get-document":               {op: "GetDocumentOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetDocumentOp(), d) }},
	"get-kyc-requirements":       {op: "GetKYCRequirementsOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetKYCRequirementsOp(), d) }},
	"get-payin":                  {op: "GetPayInOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetPayInOp(), d) }},
	"get-payout":                 {op: "GetPayoutOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetPayoutOp(), d) }},
	"get-preauthorization":       {op: "GetPreauthorizationOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetPreauthorizationOp(), d) }},
	"get-refund":                 {op: "GetRefundOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetRefundOp(), d) }},
	"get-transfer":               {op: "GetTransferOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetTransferOp(), d) }},
	"get-user":                   {op: "GetUserOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetUserOp(), d) }},
	"get-wallet":                 {op: "GetWalletOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.GetWalletOp(), d) }},
	"refund-payin":               {op: "RefundPayInOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.RefundPayInOp(), d) }},
	"refund-transfer":            {op: "RefundTransferOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.RefundTransferOp(), d) }},
	"submit-document":            {op: "SubmitDocumentOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.SubmitDocumentOp(), d) }},
	"update-user":                {op: "UpdateUserOp", make: func(s *operations.Service, d api.Deps) any { return api.Handler(s.UpdateUserOp(), d) }},
	"recheck-documents":          recheckSpec(records.BucketDocument),
	"recheck-transactions":       recheckSpec(records.BucketTransaction),
	// Hooks: the handlers hang off operations.Hooks (coldstart's d.Hooks).
	"receive-hook": {main: []string{`d\.Hooks\.CheckReceiver\(\)`, `lambda\.Start\(d\.Hooks\.HTTPHandler\(d\.API\)\)`},
		hooks: func(h *operations.Hooks, _ config.Env, d api.Deps) (any, error) {
			if err := h.CheckReceiver(); err != nil {
				return nil, err
			}
			return h.HTTPHandler(d), nil
		}},
	"process-hook": {main: []string{`lambda\.Start\(api\.SQS\(d\.Hooks\.ProcessHookOp\(\), d\.API\)\)`},
		hooks: func(h *operations.Hooks, _ config.Env, d api.Deps) (any, error) {
			return api.SQS(h.ProcessHookOp(), d), nil
		}},
	"reconcile-hooks": {main: []string{`lambda\.Start\(d\.Hooks\.ReconcileJob\(time\.Now\)\)`},
		hooks: func(h *operations.Hooks, _ config.Env, _ api.Deps) (any, error) { return h.ReconcileJob(time.Now), nil }},
	"register-hooks": {main: []string{`job, err := d\.Hooks\.RegisterJob\(d\.Env\.HookURL\)`, `lambda\.Start\(job\)`},
		hooks: func(h *operations.Hooks, env config.Env, _ api.Deps) (any, error) { return h.RegisterJob(env.HookURL) }},
}

var mainCall = regexp.MustCompile(`lambda\.Start\(api\.(Handler|HandlerWithS3)\(d\.Service\.(\w+)\(\), d\.API(?:, d\.Service\.(\w+))?\)\)`)

// recheckCall is how a re-check function's main builds its handler;
// recheckStart, how it starts it.
var (
	recheckCall    = regexp.MustCompile(`operations\.NewRecheckHandler\(d\.Service, records\.(\w+), d\.API\.Queue, d\.Log, os\.Getenv\(operations\.RecheckTimeZoneVar\)\)`)
	recheckStart   = regexp.MustCompile(`lambda\.Start\(h\.Handle\)`)
	recheckBuckets = map[string]string{"BucketDocument": records.BucketDocument, "BucketTransaction": records.BucketTransaction}
)

// TestHandlersMatchMains: every main builds its handler the way the
// events test does.
func TestHandlersMatchMains(t *testing.T) {
	for _, dir := range folders(t) {
		spec, ok := handlers[dir]
		if !ok {
			t.Errorf("functions/%s: no entry in handlers (events_test.go)", dir)
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, "functions", dir, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if spec.hooks != nil {
			for _, re := range spec.main {
				if !regexp.MustCompile(re).Match(src) {
					t.Errorf("functions/%s/main.go: no %s (handlers in events_test.go builds its handler so)", dir, re)
				}
			}
			continue
		}
		if spec.bucket != "" {
			m := recheckCall.FindStringSubmatch(string(src))
			if m == nil || !recheckStart.MatchString(string(src)) {
				t.Errorf("functions/%s/main.go: no operations.NewRecheckHandler(d.Service, records.BucketX, d.API.Queue, d.Log, os.Getenv(operations.RecheckTimeZoneVar)) started with lambda.Start(h.Handle)", dir)
			} else if recheckBuckets[m[1]] != spec.bucket {
				t.Errorf("functions/%s/main.go re-checks records.%s; handlers says %s", dir, m[1], spec.bucket)
			}
			continue
		}
		m := mainCall.FindStringSubmatch(string(src))
		if m == nil {
			t.Errorf("functions/%s/main.go: no lambda.Start(api.Handler(d.Service.XOp(), d.API)) or api.HandlerWithS3(..., d.Service.Y)", dir)
			continue
		}
		if m[2] != spec.op || m[3] != spec.s3 || (m[1] == "HandlerWithS3") != (spec.s3 != "") {
			t.Errorf("functions/%s/main.go calls api.%s(%s, %s); handlers says %s, %s", dir, m[1], m[2], m[3], spec.op, spec.s3)
		}
	}
}

var placeholder = regexp.MustCompile(`\{\{([A-Z0-9_]+)\}\}`)

// TestEvents feeds every events/*.json to its function's real handler,
// through lambda.NewHandler(...).Invoke (the JSON path Lambda takes),
// against moto and the fake Mangopay, after making the records its
// placeholders stand for. It expects a 2xx answer (an async 202 is then
// finished through the queue), no batch item failure and nothing
// dead-lettered, or an S3 event handled; and every AWS call the function
// made to be allowed by its role in template.yaml.
func TestEvents(t *testing.T) {
	tp, dirs := template(t), folders(t)
	for _, file := range eventFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			folder := EventFunction(file, dirs)
			if _, ok := handlers[folder]; !ok {
				t.Fatalf("no handler for functions/%s", folder)
			}
			f, ok := tp.Function(folder)
			if !ok {
				t.Fatalf("no %s in template.yaml", LogicalID(folder))
			}
			r := newRun(t)
			raw := r.load(filepath.Base(file), nil, false)
			checkShape(t, tp, f, raw)
			rec := r.record()
			out := r.invoke(folder, raw)
			switch kindOf(raw) {
			case "http":
				resp := r.httpAnswer(out)
				if resp.StatusCode == http.StatusAccepted {
					r.finishAsync(folder, resp)
				}
				if folder == hookFolder {
					r.hookQueued(resp)
				}
			case "sqs":
				r.batchDone(out)
			case "s3":
				r.checkUpload(raw)
			case "scheduled":
				r.recheckDone(out)
			case "job":
				r.jobDone(out)
			}
			rec.stop()
			r.noSecretsOut()
			grants := tp.Grants0(f)
			for _, call := range rec.list() {
				if !grants[call] {
					t.Errorf("%s called %s, which its role in template.yaml does not allow", folder, call)
				}
			}
			if testing.Verbose() {
				t.Logf("AWS calls: %v", rec.list())
			}
		})
	}
}

// kindOf tells an event's shape: "http", "sqs", "s3", "scheduled" (an
// EventBridge Scheduler Input naming a re-check bucket) or "job" (any
// other JSON object: a hook job's schedule Input, or an invocation by
// hand; checkShape requires it to be one of the function's schedule
// Inputs).
func kindOf(raw []byte) string {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
		RequestContext struct {
			HTTP struct{ Method string } `json:"http"`
		} `json:"requestContext"`
		Bucket *string `json:"bucket"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.Bucket != nil && len(probe.Records) == 0:
		return "scheduled"
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs":
		return "sqs"
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:s3":
		return "s3"
	case probe.RequestContext.HTTP.Method != "":
		return "http"
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil && obj != nil && probe.Records == nil && obj["requestContext"] == nil {
		return "job"
	}
	return ""
}

// checkShape: an HTTP event is for the function's route, an SQS event for
// a function with a queue, an S3 event under the function's notification
// prefix.
func checkShape(t *testing.T, tp *Template, f Function, raw []byte) {
	t.Helper()
	switch kindOf(raw) {
	case "http":
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		var route *Route
		for _, r := range f.Routes() {
			if r.String() == req.RouteKey {
				route = &r
			}
		}
		if route == nil {
			t.Fatalf("routeKey %q is not a route of %s (%v)", req.RouteKey, f.LogicalID, f.Routes())
		}
		if req.Version != "2.0" || req.RequestContext.HTTP.Method != route.Method || req.RequestContext.RouteKey != req.RouteKey {
			t.Errorf("version %q, requestContext.http.method %q, requestContext.routeKey %q: want 2.0, %s, %s",
				req.Version, req.RequestContext.HTTP.Method, req.RequestContext.RouteKey, route.Method, route)
		}
		pattern := "^" + regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(route.Path), `[^/]+`) + "$"
		if !regexp.MustCompile(pattern).MatchString(req.RawPath) || req.RawPath != req.RequestContext.HTTP.Path {
			t.Errorf("rawPath %q / requestContext.http.path %q do not match %s", req.RawPath, req.RequestContext.HTTP.Path, route.Path)
		}
		var names []string
		for _, seg := range strings.Split(route.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				names = append(names, strings.Trim(seg, "{}"))
			}
		}
		var got []string
		for k, v := range req.PathParameters {
			got = append(got, k)
			if !strings.Contains(req.RawPath, v) {
				t.Errorf("path parameter %s=%q is not in rawPath %q", k, v, req.RawPath)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("pathParameters %v, want %v", got, names)
		}
	case "sqs":
		if len(f.Queues()) == 0 {
			t.Errorf("an SQS event for %s, which has no queue", f.LogicalID)
		}
	case "s3":
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		var prefixes []string
		for _, e := range f.Events() {
			if e.Type == "S3" {
				prefixes = append(prefixes, s3Prefix(e))
			}
		}
		for _, rec := range ev.Records {
			key, _ := url.QueryUnescape(rec.S3.Object.Key)
			ok := false
			for _, p := range prefixes {
				ok = ok || strings.HasPrefix(key, p)
			}
			if !ok || !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
				t.Errorf("S3 event %s %q: %s is notified of ObjectCreated under %v only", rec.EventName, key, f.LogicalID, prefixes)
			}
		}
	case "scheduled":
		// The schedule's Input, as Scheduler sends it; "force" (a manual
		// run) may be added.
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		delete(ev, "force")
		ok := false
		for _, e := range f.Schedules() {
			var in map[string]any
			ok = ok || (json.Unmarshal([]byte(Str(e.Properties["Input"])), &in) == nil && reflect.DeepEqual(in, ev))
		}
		if !ok {
			t.Errorf("%s is not the Input of a schedule of %s", raw, f.LogicalID)
		}
	case "job":
		// A hook job's event is exactly the Input its schedule sends (what
		// an invocation by hand sends too).
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, e := range f.Schedules() {
			var in map[string]any
			ok = ok || (json.Unmarshal([]byte(Str(e.Properties["Input"])), &in) == nil && reflect.DeepEqual(in, ev))
		}
		if !ok {
			t.Fatalf("%s is not the Input of a schedule of %s", raw, f.LogicalID)
		}
	default:
		t.Fatalf("neither an API Gateway v2 request, an SQS batch, an S3 notification nor a schedule's Input")
	}
}

// recheckDone requires a scheduled re-check to have run (inside its
// hours) without a failure, and nothing dead-lettered.
func (r *run) recheckDone(out []byte) {
	r.t.Helper()
	var rep operations.RecheckReport
	if err := json.Unmarshal(out, &rep); err != nil {
		r.t.Fatalf("answer %s: %v", out, err)
	}
	if rep.Stopped != "" || rep.Failed > 0 || rep.Retry > 0 || len(rep.Errors) > 0 {
		r.t.Errorf("re-check report %s", out)
	}
	if testing.Verbose() {
		r.t.Logf("re-check report %s", out)
	}
	r.batchDone([]byte("{}"))
}

// jobDone requires a hook job's report without failures (register-hooks'
// errors fail the invocation itself), and nothing dead-lettered.
func (r *run) jobDone(out []byte) {
	r.t.Helper()
	var rep struct {
		Failed int      `json:"failed"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		r.t.Fatalf("answer %s: %v", out, err)
	}
	if rep.Failed > 0 || len(rep.Errors) > 0 {
		r.t.Errorf("job report %s", out)
	}
	if testing.Verbose() {
		r.t.Logf("job report %s", out)
	}
	r.batchDone([]byte("{}"))
}

// hookQueued: receive-hook answered {"queued": true} and put the
// notification on HOOK_QUEUE_URL, for process-hook.
func (r *run) hookQueued(resp events.APIGatewayV2HTTPResponse) {
	r.t.Helper()
	var ans operations.ReceiveHookAnswer
	if err := json.Unmarshal([]byte(resp.Body), &ans); err != nil || !ans.Queued {
		r.t.Errorf("receive-hook answered %s (%v), want queued true", resp.Body, err)
	}
	r.rec.pause(func() {
		msgs := r.e.Messages(r.t, r.e.Vars["HOOK_QUEUE_URL"])
		if len(msgs) != 1 {
			r.t.Fatalf("receive-hook queued %d messages on HOOK_QUEUE_URL, want 1", len(msgs))
		}
		var m operations.HookMessage
		testenv.Decode(r.t, aws.ToString(msgs[0].Body), &m)
		if m.RessourceID != r.value("PAYOUT_MANGOPAY_ID") || m.EventType == "" || m.Date == 0 {
			r.t.Errorf("queued %s", aws.ToString(msgs[0].Body))
		}
	})
}

// run is one event's test: its local stack and the records made for its
// placeholders.
type run struct {
	t      *testing.T
	e      *testenv.Env
	values map[string]string
	seq    int
	rec    *recorder
	// hooks is d.Hooks as coldstart builds it from HOOK_TOKEN and
	// HOOK_QUEUE_URL, which newRun adds to the test's environment.
	hooks *operations.Hooks
	env   config.Env
	// outputs are every answer a handler gave, for noSecretsOut.
	outputs [][]byte
}

func newRun(t *testing.T) *run {
	// MANGOPAY_DEBUG on: the logs noSecretsOut scans hold every Mangopay
	// exchange too.
	e := testenv.NewDebug(t)
	r := &run{t: t, e: e, values: map[string]string{"PAGES_BUCKET": e.Vars["PAGES_BUCKET"]}}
	r.rec = newRecorder(e)
	r.addHookEnv()
	return r
}

// addHookEnv adds what testenv does not set for the hook functions: a
// random HOOK_TOKEN (also the {{HOOK_TOKEN}} placeholder), HOOK_QUEUE_URL
// (a queue of its own, standing for process-hook's) and HOOK_URL; and
// builds d.Hooks over them as coldstart.New does.
func (r *run) addHookEnv() {
	r.t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		r.t.Fatal(err)
	}
	token := hex.EncodeToString(b)
	out, err := r.e.SQS.CreateQueue(r.e.Ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.UniqueName(r.t, "hook"))})
	if err != nil {
		r.t.Fatal(err)
	}
	r.e.Vars["HOOK_TOKEN"] = token
	r.e.Vars["HOOK_QUEUE_URL"] = aws.ToString(out.QueueUrl)
	r.e.Vars["HOOK_URL"] = "https://abc123def4.execute-api.eu-west-1.amazonaws.com/hooks/" + token
	r.values["HOOK_TOKEN"] = token
	if r.env, err = config.FromEnv(func(k string) string { return r.e.Vars[k] }); err != nil {
		r.t.Fatal(err)
	}
	d := r.e.Deps
	r.hooks = &operations.Hooks{S: d.Service, Token: r.env.HookToken, Queue: api.Queue{Client: r.e.SQS, URL: r.env.HookQueueURL}}
}

// value returns a placeholder's value, making its record the first time.
func (r *run) value(name string) string {
	r.t.Helper()
	if v, ok := r.values[name]; ok {
		return v
	}
	make, ok := producers[name]
	if !ok {
		r.t.Fatalf("placeholder {{%s}}: unknown to the events test; document it in events/README.md and add its producer to internal/deploy", name)
	}
	v := make(r)
	r.values[name] = v
	return v
}

// load reads an event file and fills its placeholders (overrides first);
// fresh gives it a new idempotency key (and message id), to make a
// second record from the same sample.
func (r *run) load(file string, overrides map[string]string, fresh bool) []byte {
	r.t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "events", file))
	if err != nil {
		r.t.Fatal(err)
	}
	raw = placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-2])
		v, ok := overrides[name]
		if !ok {
			v = r.value(name)
		}
		b, _ := json.Marshal(v)
		return b[1 : len(b)-1]
	})
	if !fresh {
		return raw
	}
	r.seq++
	key := fmt.Sprintf("deploy-test-%s-%d", strings.TrimSuffix(file, ".json"), r.seq)
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		r.t.Fatal(err)
	}
	if h := Map(ev["headers"]); h != nil {
		for k := range h {
			if strings.EqualFold(k, "idempotency-key") {
				delete(h, k)
			}
		}
		h["idempotency-key"] = key
	}
	for _, m := range List(ev["Records"]) {
		msg := Map(m)
		msg["messageId"] = key
		if a := Map(Map(msg["messageAttributes"])["Idempotency-Key"]); a != nil {
			a["stringValue"] = key
		}
	}
	raw, _ = json.Marshal(ev)
	return raw
}

// invoke runs a function's handler on an event as Lambda would.
func (r *run) invoke(folder string, raw []byte) []byte {
	r.t.Helper()
	spec := handlers[folder]
	var h any
	if spec.hooks != nil {
		var err error
		if h, err = spec.hooks(r.hooks, r.env, r.e.Deps.API); err != nil {
			r.t.Fatalf("%s: cold start: %v", folder, err)
		}
	} else {
		h = spec.make(r.e.Deps.Service, r.e.Deps.API)
	}
	ctx, cancel := context.WithTimeout(r.e.Ctx, 2*time.Minute)
	defer cancel()
	out, err := lambda.NewHandler(h).Invoke(ctx, raw)
	if err != nil {
		r.t.Fatalf("%s: handler error: %v", folder, err)
	}
	r.outputs = append(r.outputs, out)
	return out
}

// secrets are the values no answer and no log line may hold: the
// Mangopay API key, every bearer token the fake issued during the run,
// and the hook token.
func (r *run) secrets() []string {
	s := append(r.e.Fake.Secrets(), r.values["HOOK_TOKEN"])
	if len(s) == 2 && len(r.e.Fake.Requests()) > 0 {
		r.t.Errorf("the fake saw Mangopay calls but no bearer token: the secrets check would miss them")
	}
	return s
}

// noSecretsOut: no handler answer (body or headers) holds a secret, and
// the function's logs (debug level, Mangopay exchanges included) hold
// neither a secret nor card data, an IBAN or page bytes (leakcheck). The
// hook token may be in receive-hook's own request, not in an answer or a
// log.
func (r *run) noSecretsOut() {
	r.t.Helper()
	secrets := r.secrets()
	for _, out := range r.outputs {
		for _, s := range secrets {
			if s != "" && strings.Contains(string(out), s) {
				r.t.Errorf("an answer holds a secret (%.2s…): %.300s", s, out)
			}
		}
	}
	for _, f := range leakcheck.Scan([]byte(r.e.Logs()), secrets...) {
		r.t.Errorf("the logs leak: %s", f)
	}
}

// httpAnswer decodes an HTTP answer and requires a 2xx.
func (r *run) httpAnswer(out []byte) events.APIGatewayV2HTTPResponse {
	r.t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		r.t.Fatalf("answer %s: %v", out, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.t.Fatalf("answer %d: %s", resp.StatusCode, resp.Body)
	}
	return resp
}

// call invokes an event file over HTTP and returns its answer's body.
func (r *run) call(file string, overrides map[string]string, fresh bool) []byte {
	r.t.Helper()
	raw := r.load(file, overrides, fresh)
	if kindOf(raw) != "http" {
		r.t.Fatalf("%s is not an HTTP event", file)
	}
	return []byte(r.httpAnswer(r.invoke(EventFunction(file, folders(r.t)), raw)).Body)
}

// id is the "id" of an answer.
func (r *run) id(body []byte) string {
	r.t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		r.t.Fatalf("no id in %s", body)
	}
	return v.ID
}

// batchDone requires a batch answer without failures and an empty
// dead-letter queue.
func (r *run) batchDone(out []byte) {
	r.t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		r.t.Fatalf("answer %s: %v", out, err)
	}
	if len(resp.BatchItemFailures) > 0 {
		r.t.Errorf("batch item failures: %+v", resp.BatchItemFailures)
	}
	r.rec.pause(func() {
		for _, m := range r.e.Messages(r.t, r.e.DLQ) {
			r.t.Errorf("dead-lettered: %s (%s)", aws.ToString(m.Body), aws.ToString(m.MessageAttributes[api.AttrFailureReason].StringValue))
		}
	})
}

// finishAsync processes what an async create queued, as the queue's event
// source would, and requires the record SYNCED.
func (r *run) finishAsync(folder string, resp events.APIGatewayV2HTTPResponse) {
	r.t.Helper()
	id := r.id([]byte(resp.Body))
	var raw []byte
	r.rec.pause(func() {
		msgs := r.e.Messages(r.t, r.e.Queue)
		if len(msgs) != 1 {
			r.t.Fatalf("202, and %d messages queued", len(msgs))
		}
		raw, _ = json.Marshal(testenv.SQSEvent(msgs...))
	})
	r.batchDone(r.invoke(folder, raw))
	r.rec.pause(func() {
		rec, err := r.e.Deps.Service.Records.Get(r.e.Ctx, id)
		if err != nil || rec.SyncState != records.SyncSynced {
			r.t.Errorf("after the queue: record %s %+v %v, want SYNCED", id, rec, err)
		}
	})
}

// checkUpload: after an S3 notification of an upload, the page is SENT.
func (r *run) checkUpload(raw []byte) {
	r.t.Helper()
	id, ok := r.values["UPLOAD_PAGE_ID"]
	if !ok {
		return
	}
	r.rec.pause(func() {
		page, err := r.e.Deps.Service.Records.Get(r.e.Ctx, id)
		if err != nil || page.Page == nil || page.Page.State != records.PageSent {
			r.t.Errorf("after the notification: page %s %+v %v, want SENT", id, page, err)
		}
	})
}

// recorder notes the AWS calls of the function under test as grants
// ("dynamodb:Query index/by_owner"), through awstest.Faults hooks that
// never fail.
type recorder struct {
	e      *testenv.Env
	active atomic.Bool
	mu     sync.Mutex
	calls  map[string]bool
}

// watched are the calls recorded, by service id.
var watched = map[string][]string{
	"DynamoDB": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
		"TransactGetItems", "TransactWriteItems", "DescribeTable", "ExecuteStatement"},
	"SQS": {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
		"ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl", "PurgeQueue"},
	"S3": {"PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "ListObjectsV2",
		"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"},
	"Secrets Manager": {"GetSecretValue", "DescribeSecret"},
	"EventBridge":     {"PutEvents"},
}

func newRecorder(e *testenv.Env) *recorder {
	r := &recorder{e: e, calls: map[string]bool{}}
	for service, ops := range watched {
		for _, op := range ops {
			e.Faults.Arm(service, op, awstest.FaultHook{Keep: true, Fail: func(in any) error {
				if r.active.Load() {
					r.mu.Lock()
					r.calls[r.grant(service, op, in)] = true
					r.mu.Unlock()
				}
				return nil
			}})
		}
	}
	return r
}

// record starts recording.
func (r *run) record() *recorder { r.rec.active.Store(true); return r.rec }

func (r *recorder) stop() { r.active.Store(false) }

// pause runs the harness's own AWS calls unrecorded.
func (r *recorder) pause(f func()) {
	was := r.active.Swap(false)
	defer r.active.Store(was)
	f()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for c := range r.calls {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// grant names a call as the grant it needs.
func (r *recorder) grant(service, op string, in any) string {
	env := r.e.Vars
	table := func(name *string) string {
		if aws.ToString(name) == env["TABLE_NAME"] {
			return Table
		}
		return "?table " + aws.ToString(name)
	}
	queue := func(u *string) string {
		switch aws.ToString(u) {
		case r.e.Queue:
			return OwnQueue
		case r.e.DLQ:
			return OwnDLQ
		case env["PAYOUT_OUTCOME_QUEUE_URL"]:
			return PayoutOutcomeQueue
		case env["HOOK_QUEUE_URL"]:
			return HookQueue
		}
		return "?queue " + aws.ToString(u)
	}
	object := func(bucket, key *string) string {
		if aws.ToString(bucket) != env["PAGES_BUCKET"] {
			return "?bucket " + aws.ToString(bucket)
		}
		first, _, _ := strings.Cut(aws.ToString(key), "/")
		return PagesPrefix + first + "/*"
	}
	action := strings.ToLower(strings.ReplaceAll(service, " ", "")) + ":" + op
	resource := "?"
	switch x := in.(type) {
	case *dynamodb.GetItemInput:
		resource = table(x.TableName)
	case *dynamodb.PutItemInput:
		resource = table(x.TableName)
	case *dynamodb.UpdateItemInput:
		resource = table(x.TableName)
	case *dynamodb.DeleteItemInput:
		resource = table(x.TableName)
	case *dynamodb.ScanInput:
		resource = table(x.TableName)
	case *dynamodb.BatchGetItemInput:
		for name := range x.RequestItems { // one table per call here
			resource = table(aws.String(name))
		}
	case *dynamodb.QueryInput:
		resource = table(x.TableName)
		if x.IndexName != nil && resource == Table {
			resource = IndexPrefix + *x.IndexName
		}
	case *sqs.SendMessageInput:
		resource = queue(x.QueueUrl)
	case *sqs.SendMessageBatchInput:
		resource = queue(x.QueueUrl)
	case *sqs.ReceiveMessageInput:
		resource = queue(x.QueueUrl)
	case *sqs.DeleteMessageInput:
		resource = queue(x.QueueUrl)
	case *s3.PutObjectInput:
		resource = object(x.Bucket, x.Key)
	case *s3.GetObjectInput:
		resource = object(x.Bucket, x.Key)
	case *s3.HeadObjectInput:
		action, resource = "s3:GetObject", object(x.Bucket, x.Key)
	case *s3.DeleteObjectInput:
		resource = object(x.Bucket, x.Key)
	case *eventbridge.PutEventsInput:
		// The bus EVENT_BUS_NAME names (the default bus when empty), for
		// every entry.
		action, resource = "events:PutEvents", EventBus
		bus := env["EVENT_BUS_NAME"]
		if bus == "" {
			bus = "default"
		}
		for _, e := range x.Entries {
			if b := aws.ToString(e.EventBusName); b != bus && !(b == "" && bus == "default") {
				resource = "?bus " + b
			}
		}
	case *secretsmanager.GetSecretValueInput:
		if aws.ToString(x.SecretId) == env["MANGOPAY_SECRET_ID"] || aws.ToString(x.SecretId) == env["MANGOPAY_SECRET_ARN"] {
			resource = Secret
		}
	}
	return action + " " + resource
}

// --- Producers: how the events test makes the record each placeholder stands for.

// producers make a placeholder's value, mostly by invoking the documented
// sample events (with a fresh idempotency key when a second record is
// needed).
var producers map[string]func(r *run) string

func init() { producers = producerTable() }

func producerTable() map[string]func(r *run) string {
	return map[string]func(r *run) string{
		"NATURAL_USER_ID": func(r *run) string { return r.id(r.call("create-natural-user.json", nil, false)) },
		"LEGAL_USER_ID":   func(r *run) string { return r.id(r.call("create-legal-user.json", nil, false)) },
		"BANK_ACCOUNT_ID": func(r *run) string { return r.id(r.call("create-bank-account.json", nil, false)) },
		"WALLET_ID":       func(r *run) string { return r.id(r.call("create-wallet.json", nil, false)) },
		// A wallet of another user (an OWNER: a PAYER may not receive transfers).
		"CREDITED_WALLET_ID": func(r *run) string {
			return r.id(r.call("create-wallet.json", map[string]string{"NATURAL_USER_ID": r.value("LEGAL_USER_ID")}, true))
		},
		"CARD_REGISTRATION_ID": func(r *run) string {
			id, data := r.tokenizedRegistration()
			r.values["REGISTRATION_DATA"] = data
			return id
		},
		"REGISTRATION_DATA": func(r *run) string { r.value("CARD_REGISTRATION_ID"); return r.values["REGISTRATION_DATA"] },
		"CARD_ID":           func(r *run) string { return r.card() },
		"DEACTIVATE_CARD_ID": func(r *run) string {
			r.value("CARD_ID")
			return r.card()
		},
		// A SUCCEEDED card pay-in of 10000 (fees 500) into {{WALLET_ID}}.
		"PAYIN_ID": func(r *run) string { return r.id(r.call("create-card-payin.json", nil, false)) },
		// A SUCCEEDED transfer out of {{WALLET_ID}}, funded by {{PAYIN_ID}}.
		"TRANSFER_ID": func(r *run) string {
			r.value("PAYIN_ID")
			return r.id(r.call("create-transfer.json", nil, false))
		},
		"REFUND_ID":                  func(r *run) string { return r.id(r.call("refund-payin.json", nil, false)) },
		"PREAUTHORIZATION_ID":        func(r *run) string { return r.id(r.call("create-preauthorization.json", nil, false)) },
		"CANCEL_PREAUTHORIZATION_ID": func(r *run) string { return r.id(r.call("create-preauthorization.json", nil, true)) },
		// A funded wallet of {{NATURAL_USER_ID}}, made REGULAR at the fake.
		"PAYOUT_WALLET_ID": func(r *run) string {
			wallet := r.id(r.call("create-wallet.json", nil, true))
			r.call("create-card-payin.json", map[string]string{"WALLET_ID": wallet}, true)
			user, err := r.e.Deps.Service.Records.Get(r.e.Ctx, r.value("NATURAL_USER_ID"))
			if err != nil {
				r.t.Fatal(err)
			}
			if err := r.e.Fake.SetKYCLevel(user.MangopayID, "REGULAR"); err != nil {
				r.t.Fatal(err)
			}
			return wallet
		},
		"PAYOUT_BANK_ACCOUNT_ID": func(r *run) string { return r.id(r.call("create-bank-account.json", nil, true)) },
		// Settled SUCCEEDED at the fake once created (our record still says
		// CREATED): a refresh or a re-check then publishes PayoutSucceeded,
		// to the bus and to PAYOUT_OUTCOME_QUEUE_URL, whose grants the
		// test so checks.
		"PAYOUT_ID": func(r *run) string {
			id := r.id(r.call("create-payout.json", nil, false))
			rec, err := r.e.Deps.Service.Records.Get(r.e.Ctx, id)
			if err != nil {
				r.t.Fatal(err)
			}
			if err := r.e.Fake.SettlePayout(rec.MangopayID, true, "000000"); err != nil {
				r.t.Fatal(err)
			}
			return id
		},
		// The Mangopay id of {{PAYOUT_ID}} (settled SUCCEEDED at the fake):
		// a hook notification about it makes process-hook refresh it and
		// publish PayoutSucceeded.
		"PAYOUT_MANGOPAY_ID": func(r *run) string {
			rec, err := r.e.Deps.Service.Records.Get(r.e.Ctx, r.value("PAYOUT_ID"))
			if err != nil || rec.MangopayID == "" {
				r.t.Fatalf("payout %+v: %v", rec, err)
			}
			return rec.MangopayID
		},
		// KYC.
		"DOCUMENT_ID": func(r *run) string {
			user := r.value("NATURAL_USER_ID")
			return r.id(r.callRequest("create-document", testenv.Request("POST", "/users/"+user+"/documents",
				map[string]string{"user_id": user}, map[string]any{"type": "ADDRESS_PROOF"}, nil)))
		},
		// An IDENTITY_PROOF (sandbox tag accept) with one page SENT.
		"SUBMITTABLE_DOCUMENT_ID": func(r *run) string {
			doc := r.id(r.call("create-document.json", nil, true))
			r.callRequest("add-page", testenv.Request("POST", "/documents/"+doc+"/pages", map[string]string{"document_id": doc},
				map[string]any{"file": pdf(40 << 10)}, nil))
			return doc
		},
		// A page AWAITING_UPLOAD of {{DOCUMENT_ID}}, whose bytes are then
		// uploaded through the presigned PUT (so the notification has work).
		"UPLOAD_PAGE_ID": func(r *run) string {
			var ans operations.PageUploadAnswer
			if err := json.Unmarshal(r.call("add-page-upload.json", nil, true), &ans); err != nil || ans.Page == nil || ans.Upload == nil {
				r.t.Fatalf("add-page-upload: %+v %v", ans, err)
			}
			body, _ := base64Decode(pdf(int(ans.Upload.Size)))
			req, err := http.NewRequest(ans.Upload.Method, ans.Upload.URL, bytes.NewReader(body))
			if err != nil {
				r.t.Fatal(err)
			}
			for k, v := range ans.Upload.Headers {
				req.Header.Set(k, v)
			}
			req.ContentLength = int64(len(body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				r.t.Fatal(err)
			}
			msg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				r.t.Fatalf("presigned PUT: %d %s", res.StatusCode, msg)
			}
			return ans.Page.ID
		},
	}
}

// callRequest invokes a function over HTTP with a request built here.
func (r *run) callRequest(folder string, req events.APIGatewayV2HTTPRequest) []byte {
	r.t.Helper()
	req.RouteKey = req.RequestContext.HTTP.Method + " " + req.RawPath
	raw, _ := json.Marshal(req)
	return []byte(r.httpAnswer(r.invoke(folder, raw)).Body)
}

// tokenizedRegistration makes a card registration of {{NATURAL_USER_ID}}
// and posts the sandbox card to its vault as a browser would.
func (r *run) tokenizedRegistration() (id, data string) {
	r.t.Helper()
	var reg operations.CardRegistrationAnswer
	if err := json.Unmarshal(r.call("create-card-registration.json", nil, true), &reg); err != nil || reg.Record == nil {
		r.t.Fatalf("create-card-registration: %v", err)
	}
	res, err := http.PostForm(reg.CardRegistrationURL, url.Values{
		"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {"4970107111111119"}, "cardExpirationDate": {time.Now().AddDate(2, 0, 0).Format("0106")}, "cardCvx": {"123"},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(string(body), "data=") {
		r.t.Fatalf("card vault: %d %s", res.StatusCode, body)
	}
	return reg.ID, string(body)
}

// card registers a card of {{NATURAL_USER_ID}} through the whole flow.
func (r *run) card() string {
	id, data := r.tokenizedRegistration()
	return r.id(r.call("complete-card-registration.json", map[string]string{"CARD_REGISTRATION_ID": id, "REGISTRATION_DATA": data}, true))
}

// pdf is a file of size bytes that reads as a PDF, in base64.
func pdf(size int) string {
	b := bytes.Repeat([]byte{'%'}, size)
	copy(b, "%PDF-1.7\n")
	copy(b[size-6:], "%%EOF\n")
	return base64Encode(b)
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
