package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
)

// The hook route is the one route without IAM or JWT authorization:
// Mangopay cannot sign its calls, so the secret token in the path
// (HookToken, HOOK_TOKEN) protects it, and receive-hook checks it before
// decoding anything (operations.Hooks.HTTPHandler).
const hookFolder = "receive-hook"

var hookRoute = Route{Method: "GET", Path: "/hooks/{" + operations.HookTokenParam + "}"}

// hookReceiverMain is what receive-hook's main must do: refuse to start
// without the token and its queue, and serve through HTTPHandler, which
// answers a wrong token 404.
var hookReceiverMain = []string{`d\.Hooks\.CheckReceiver\(\)`, `lambda\.Start\(d\.Hooks\.HTTPHandler\(d\.API\)\)`}

// hookJobs are the hook functions run on a daily schedule (hooks arrive
// any day), by what their main starts.
var hookJobs = map[string]string{
	"reconcile-hooks": `lambda\.Start\(d\.Hooks\.ReconcileJob\(time\.Now\)\)`,
	"register-hooks":  `d\.Hooks\.RegisterJob\(d\.Env\.HookURL\)`,
}

func mainSays(t *testing.T, folder string, patterns ...string) bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "functions", folder, "main.go"))
	if err != nil {
		return false
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).Match(src) {
			return false
		}
	}
	return true
}

// checkHookRouteSecurity: the unauthenticated route is exactly the hook
// route, served by receive-hook, whose main checks the token.
func checkHookRouteSecurity(t *testing.T, name string, op map[string]any) {
	t.Helper()
	sec, ok := op["security"]
	if !ok || sec == nil || len(List(sec)) != 0 {
		t.Errorf("%s: security %v; the hook route has none (security: []), its secret token protects it", name, sec)
	}
	if fn := templateRoutes(t)[hookRoute]; fn != hookFolder {
		t.Errorf("%s is served by %q, want %s", hookRoute, fn, hookFolder)
	}
	if !mainSays(t, hookFolder, hookReceiverMain...) {
		t.Errorf("functions/%s/main.go does not check the token: want %v", hookFolder, hookReceiverMain)
	}
}

// TestHookDeployment: the secret token is a NoEcho parameter without a
// default, with the code's constraints, given to receive-hook and built
// into register-hooks' HOOK_URL (the hook route on this API) and nowhere
// else, never output; receive-hook queues to the queue process-hook
// reads.
func TestHookDeployment(t *testing.T) {
	tp := template(t)
	p, ok := tp.Parameters["HookToken"]
	if !ok {
		t.Fatal("no parameter HookToken")
	}
	if _, def := p["Default"]; def || p["NoEcho"] != true || Str(p["AllowedPattern"]) != `^[A-Za-z0-9_-]{32,128}$` {
		t.Errorf("parameter HookToken %v: want NoEcho, no Default, AllowedPattern ^[A-Za-z0-9_-]{32,128}$", p)
	}
	if n, _ := Int(p["MinLength"]); n < operations.MinHookTokenLen {
		t.Errorf("parameter HookToken: MinLength %v, want %d", p["MinLength"], operations.MinHookTokenLen)
	}
	apiID, _ := definitionBody(t)
	users := map[string]bool{}
	for _, f := range tp.Functions() {
		if Names(f.Props)["HookToken"] {
			users[f.Folder] = true
		}
	}
	if !reflect.DeepEqual(users, map[string]bool{"receive-hook": true, "register-hooks": true}) {
		t.Errorf("HookToken is given to %v, want receive-hook and register-hooks only", users)
	}
	recv, ok := tp.Function(hookFolder)
	if !ok {
		t.Fatalf("no %s", LogicalID(hookFolder))
	}
	if RefTo(tp.Env(recv)["HOOK_TOKEN"]) != "HookToken" {
		t.Errorf("%s: HOOK_TOKEN is %v, want !Ref HookToken", recv.LogicalID, tp.Env(recv)["HOOK_TOKEN"])
	}
	if routes := recv.Routes(); len(routes) != 1 || routes[0] != hookRoute {
		t.Errorf("%s: routes %v, want only %s", recv.LogicalID, routes, hookRoute)
	}
	proc, ok := tp.Function("process-hook")
	if !ok {
		t.Fatalf("no %s", LogicalID("process-hook"))
	}
	if q := RefTo(tp.Env(recv)["HOOK_QUEUE_URL"]); len(proc.Queues()) != 1 || q != proc.Queues()[0] {
		t.Errorf("%s: HOOK_QUEUE_URL is %v; want !Ref of the queue %s reads (%v)", recv.LogicalID, tp.Env(recv)["HOOK_QUEUE_URL"], proc.LogicalID, proc.Queues())
	}
	for folder := range hookJobs {
		if f, ok := tp.Function(folder); !ok || len(f.Schedules()) == 0 {
			t.Errorf("functions/%s: no %s with a schedule in template.yaml", folder, LogicalID(folder))
		}
	}
	reg, ok := tp.Function("register-hooks")
	if !ok {
		t.Fatalf("no %s", LogicalID("register-hooks"))
	}
	want := fmt.Sprintf("https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}%s", apiID, strings.Replace(hookRoute.Path, "{"+operations.HookTokenParam+"}", "${HookToken}", 1))
	if fn, a, ok := Intrinsic(tp.Env(reg)["HOOK_URL"]); !ok || fn != "Fn::Sub" || Str(a) != want {
		t.Errorf("%s: HOOK_URL is %v, want !Sub %q", reg.LogicalID, tp.Env(reg)["HOOK_URL"], want)
	}
	name := false
	for id, o := range tp.Outputs {
		v := Map(o)["Value"]
		if Names(v)["HookToken"] || strings.Contains(fmt.Sprint(v), "/hooks/") {
			t.Errorf("output %s holds the secret hook URL or token", id)
		}
		name = name || RefTo(v) == reg.LogicalID
	}
	if !name {
		t.Errorf("no output !Ref %s (to invoke it after a deployment)", reg.LogicalID)
	}
}

// checkHookJobSchedule: a hook job has one enabled ScheduleV2 schedule
// running every day, whose Input is {} (or none), and no route or queue.
func checkHookJobSchedule(t *testing.T, f Function) {
	t.Helper()
	if !mainSays(t, f.Folder, hookJobs[f.Folder]) {
		t.Errorf("functions/%s/main.go: no %s", f.Folder, hookJobs[f.Folder])
	}
	if len(f.Routes()) > 0 || len(f.Queues()) > 0 {
		t.Errorf("%s: a hook job with a route or a queue", f.LogicalID)
	}
	schedules := f.Schedules()
	if len(schedules) != 1 || schedules[0].Type != "ScheduleV2" {
		t.Errorf("%s: %d schedules, want one ScheduleV2", f.LogicalID, len(schedules))
		return
	}
	e := schedules[0]
	expr := Str(e.Properties["ScheduleExpression"])
	if err := checkScheduleExpression(expr); err != nil {
		t.Errorf("%s event %s: %v", f.LogicalID, e.Name, err)
	} else if err := everyDay(expr); err != nil {
		t.Errorf("%s event %s: %v", f.LogicalID, e.Name, err)
	}
	if st := Str(e.Properties["State"]); st != "" && st != "ENABLED" {
		t.Errorf("%s event %s: State %s", f.LogicalID, e.Name, st)
	}
	if in := Str(e.Properties["Input"]); in != "" && in != "{}" {
		t.Errorf("%s event %s: Input %q, want {} (the job ignores its event)", f.LogicalID, e.Name, in)
	}
}

// everyDay checks that a valid schedule expression runs on every day of
// every month: a rate of at most a day, or a cron whose day fields are *
// and ?, month and year *.
func everyDay(s string) error {
	if strings.HasPrefix(s, "rate(") {
		if strings.Contains(s, "day") && s != "rate(1 day)" {
			return fmt.Errorf("%q: runs less than daily", s)
		}
		return nil
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, "cron("), ")"))
	if !strings.HasPrefix(s, "cron(") || len(f) != 6 {
		return fmt.Errorf("%q: neither rate(...) nor cron(...)", s)
	}
	if !((f[2] == "*" && f[4] == "?") || (f[2] == "?" && f[4] == "*")) || f[3] != "*" || f[5] != "*" {
		return fmt.Errorf("%q: does not run every day (day-of-month * or ?, day-of-week ? or *, month and year *)", s)
	}
	return nil
}

func TestEveryDay(t *testing.T) {
	for _, ok := range []string{"rate(1 hour)", "rate(30 minutes)", "rate(1 day)", "cron(15 * * * ? *)", "cron(0 7 * * ? *)", "cron(0 7 ? * * *)"} {
		if err := everyDay(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"rate(2 days)", "cron(0 7 ? * MON-FRI *)", "cron(0 7 1 * ? *)", "cron(0 7 * JAN ? *)", "cron(0 7 * * ? 2026)", "at(2026-01-01T00:00:00)"} {
		if err := everyDay(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
