package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/schedule"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// TestFunctionFoldersMatchTemplate: every folder of functions/ is a
// template function built by make, reached by a route and/or a queue, with
// sample events; every template function has its folder; every event file
// belongs to a function.
func TestFunctionFoldersMatchTemplate(t *testing.T) {
	tp, dirs := template(t), folders(t)
	events := eventFiles(t)
	inTemplate := map[string]bool{}
	for _, f := range tp.Functions() {
		inTemplate[f.Folder] = true
		if !contains(dirs, f.Folder) {
			t.Errorf("%s: no functions/%s/main.go (logical ids are the folder name in CamelCase plus Function)", f.LogicalID, f.Folder)
		}
	}
	for _, dir := range dirs {
		f, ok := tp.Function(dir)
		if !ok {
			t.Errorf("functions/%s: no %s in template.yaml", dir, LogicalID(dir))
			continue
		}
		if Str(f.Props["CodeUri"]) != "." || Str(f.Meta["BuildMethod"]) != "makefile" {
			t.Errorf("%s: CodeUri %v, Metadata.BuildMethod %v; want . and makefile (the Makefile's build-%s)",
				f.LogicalID, f.Props["CodeUri"], f.Meta["BuildMethod"], f.LogicalID)
		}
		if len(f.Routes()) == 0 && len(f.Queues()) == 0 && len(f.Schedules()) == 0 {
			t.Errorf("%s: neither an HttpApi route, an SQS queue nor a ScheduleV2 schedule", f.LogicalID)
		}
		has := false
		for _, e := range events {
			has = has || EventFunction(e, dirs) == dir
		}
		if !has {
			t.Errorf("functions/%s: no events/%s.json or events/%s-*.json", dir, dir, dir)
		}
	}
	for _, e := range events {
		if EventFunction(e, dirs) == "" {
			t.Errorf("%s: names no folder of functions/", e)
		}
	}
}

// templateRoutes returns every route of the template's functions, and the
// function serving it.
func templateRoutes(t *testing.T) map[Route]string {
	t.Helper()
	routes := map[Route]string{}
	for _, f := range template(t).Functions() {
		for _, r := range f.Routes() {
			if other, dup := routes[r]; dup {
				t.Errorf("%s is served by both %s and %s", r, other, f.Folder)
			}
			routes[r] = f.Folder
		}
	}
	return routes
}

// definitionBody returns the HttpApi's inline OpenAPI document.
func definitionBody(t *testing.T) (string, map[string]any) {
	t.Helper()
	var apis []string
	for id, r := range template(t).Resources {
		if r.Type == "AWS::Serverless::HttpApi" {
			apis = append(apis, id)
		}
	}
	if len(apis) != 1 {
		t.Fatalf("want exactly one AWS::Serverless::HttpApi, got %v", apis)
	}
	body := Map(template(t).Resources[apis[0]].Properties["DefinitionBody"])
	if body == nil {
		t.Fatalf("%s has no inline DefinitionBody: the routes' security lives there", apis[0])
	}
	return apis[0], body
}

// operationsIn lists the method+path pairs of an OpenAPI paths object.
func operationsIn(paths map[string]any) map[Route]map[string]any {
	out := map[Route]map[string]any{}
	for p, item := range paths {
		for m, op := range Map(item) {
			switch m {
			case "parameters", "summary", "description", "servers":
				continue
			}
			out[Route{Method: strings.ToUpper(m), Path: p}] = Map(op)
		}
	}
	return out
}

// TestRoutesMatchOpenAPI: the functions' HttpApi events, the HttpApi's
// definition (where each route's security is set) and openapi.yaml list
// the same routes; every event targets the one HttpApi with payload 2.0
// and a real HTTP method (cfn-lint does not check the method).
func TestRoutesMatchOpenAPI(t *testing.T) {
	routes := templateRoutes(t)
	apiID, body := definitionBody(t)
	defined := operationsIn(Map(body["paths"]))
	doc := readOpenAPI(t)
	documented := operationsIn(Map(doc["paths"]))
	methods := map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
	for r, fn := range routes {
		if !methods[r.Method] {
			t.Errorf("%s (%s): %q is not an HTTP method this API uses (GET, POST, PUT, PATCH, DELETE)", r, fn, r.Method)
		}
		if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, " ?#") {
			t.Errorf("%s (%s): bad path", r, fn)
		}
		if _, ok := defined[r]; !ok {
			t.Errorf("%s (%s): not in %s's DefinitionBody: the route would be created without authorization", r, fn, apiID)
		}
		if _, ok := documented[r]; !ok {
			t.Errorf("%s (%s): not in openapi.yaml", r, fn)
		}
	}
	for r := range defined {
		if _, ok := routes[r]; !ok {
			t.Errorf("%s: in %s's DefinitionBody but no function's HttpApi event", r, apiID)
		}
	}
	for r := range documented {
		if _, ok := routes[r]; !ok {
			t.Errorf("%s: in openapi.yaml but no function's HttpApi event", r)
		}
	}
	for _, f := range template(t).Functions() {
		for _, e := range f.Events() {
			if e.Type != "HttpApi" {
				continue
			}
			if RefTo(e.Properties["ApiId"]) != apiID {
				t.Errorf("%s event %s: ApiId %v, want !Ref %s (an implicit API would have no authorization)", f.LogicalID, e.Name, e.Properties["ApiId"], apiID)
			}
			if v := e.Properties["PayloadFormatVersion"]; v != nil && Str(v) != "2.0" {
				t.Errorf("%s event %s: PayloadFormatVersion %v; internal/api reads payload 2.0", f.LogicalID, e.Name, v)
			}
			if e.Properties["Auth"] != nil {
				t.Errorf("%s event %s: Auth is set per event; the DefinitionBody sets every route's security", f.LogicalID, e.Name)
			}
		}
	}
}

// TestEveryRouteRequiresAuthorization evaluates the HttpApi's definition
// for both values of AuthMode: every route requires SigV4 (IAM, the
// default) or a JWT with scopes (JWT); GET routes accept the read scope,
// the others only the write scope. The one exception is the hook route
// (GET /hooks/{token}, hooks_test.go): no authorizer, as Mangopay cannot
// sign requests; its secret path token is checked by receive-hook.
func TestEveryRouteRequiresAuthorization(t *testing.T) {
	tp := template(t)
	apiID, body := definitionBody(t)
	api := tp.Resources[apiID].Properties
	if api["Auth"] != nil {
		t.Errorf("%s: Auth is set; authorization is in the DefinitionBody, chosen by AuthMode", apiID)
	}
	mode := tp.Parameters["AuthMode"]
	if Str(mode["Default"]) != "IAM" || !reflect.DeepEqual(Strings(mode["AllowedValues"]), []string{"IAM", "JWT"}) {
		t.Errorf("parameter AuthMode: default %v, allowed %v; want IAM, [IAM JWT]", mode["Default"], mode["AllowedValues"])
	}
	cond := tp.Conditions["UseJwt"]
	if want := map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AuthMode"}, "JWT"}}; !reflect.DeepEqual(cond, want) {
		t.Errorf("condition UseJwt is %v, want !Equals [!Ref AuthMode, JWT]", cond)
	}
	rule := Map(tp.Rules["JwtNeedsIssuerAndAudience"])
	if rule == nil || !Names(rule["Assertions"])["JwtIssuer"] || !Names(rule["Assertions"])["JwtAudience"] {
		t.Errorf("no rule refusing AuthMode JWT without JwtIssuer and JwtAudience")
	}
	if security := body["security"]; security != nil {
		t.Errorf("%s: a top-level security (%v); HTTP APIs take each route's own", apiID, security)
	}
	for _, jwt := range []bool{false, true} {
		resolved := Map(ResolveIfs(body, map[string]bool{"UseJwt": jwt}))
		schemes := Map(Map(resolved["components"])["securitySchemes"])
		for r, op := range operationsIn(Map(resolved["paths"])) {
			name := fmt.Sprintf("AuthMode %s: %s", map[bool]string{false: "IAM", true: "JWT"}[jwt], r)
			if r == hookRoute {
				checkHookRouteSecurity(t, name, op)
				continue
			}
			sec := List(op["security"])
			if len(sec) != 1 || len(Map(sec[0])) != 1 {
				t.Errorf("%s: security %v; want exactly one requirement", name, op["security"])
				continue
			}
			for scheme, scopes := range Map(sec[0]) {
				def := Map(schemes[scheme])
				if !jwt {
					if scheme != "AWS_IAM" || Str(def["x-amazon-apigateway-authtype"]) != "awsSigv4" || len(List(scopes)) != 0 {
						t.Errorf("%s: %s %v (scheme %v); want AWS_IAM (awsSigv4)", name, scheme, scopes, def)
					}
					continue
				}
				auth := Map(def["x-amazon-apigateway-authorizer"])
				jc := Map(auth["jwtConfiguration"])
				if Str(def["type"]) != "oauth2" || Str(auth["type"]) != "jwt" || Str(auth["identitySource"]) != "$request.header.Authorization" ||
					RefTo(jc["issuer"]) != "JwtIssuer" || !Names(jc["audience"])["JwtAudience"] {
					t.Errorf("%s: scheme %s is %v; want a JWT authorizer on JwtIssuer and JwtAudience", name, scheme, def)
				}
				want := []string{"JwtWriteScope"}
				if r.Method == "GET" {
					want = []string{"JwtReadScope", "JwtWriteScope"}
				}
				var got []string
				for _, s := range List(scopes) {
					got = append(got, RefTo(s))
				}
				sort.Strings(got)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: scopes %v; want %v (a JWT route must require scopes)", name, scopes, want)
				}
			}
		}
	}
}

// TestQueues: each queued function has its own encrypted queue, whose
// messages a function may hold 6 times its timeout, redriven after 5
// receives to its own encrypted dead-letter queue kept 14 days; its SQS
// event reports partial batch failures; its environment names exactly the
// queues it sends to.
func TestQueues(t *testing.T) {
	tp := template(t)
	owner := map[string]string{}
	for _, f := range tp.Functions() {
		env := tp.Env(f)
		queues := f.Queues()
		if len(queues) == 0 {
			for _, v := range []string{"OPERATION_QUEUE_URL", "DEAD_LETTER_QUEUE_URL"} {
				if env[v] != nil {
					t.Errorf("%s: %s is set but the function has no queue", f.LogicalID, v)
				}
			}
			continue
		}
		if len(queues) > 1 {
			t.Errorf("%s: %d SQS events, want one (its own queue)", f.LogicalID, len(queues))
		}
		timeout, _ := Int(tp.Prop(f, "Timeout"))
		for _, e := range f.Events() {
			if e.Type != "SQS" {
				continue
			}
			if !contains(Strings(e.Properties["FunctionResponseTypes"]), "ReportBatchItemFailures") {
				t.Errorf("%s event %s: no FunctionResponseTypes [ReportBatchItemFailures]: one bad message would fail its whole batch", f.LogicalID, e.Name)
			}
			if n, ok := Int(e.Properties["BatchSize"]); !ok || n > 10 {
				t.Errorf("%s event %s: BatchSize %v; set it, at most 10: a batch's messages run one after the other within the %d s timeout", f.LogicalID, e.Name, e.Properties["BatchSize"], timeout)
			}
		}
		q := queues[0]
		if other, dup := owner[q]; dup {
			t.Errorf("queue %s is read by %s and %s", q, other, f.LogicalID)
		}
		owner[q] = f.LogicalID
		qp := tp.Resources[q].Properties
		if tp.Resources[q].Type != "AWS::SQS::Queue" {
			t.Errorf("%s: queue %s is not an AWS::SQS::Queue in the template", f.LogicalID, q)
			continue
		}
		if vt, _ := Int(qp["VisibilityTimeout"]); timeout == 0 || vt < 6*timeout {
			t.Errorf("%s: VisibilityTimeout %v, want at least 6 x the function's timeout (%d s)", q, qp["VisibilityTimeout"], timeout)
		}
		checkSSE(t, q, qp)
		dlq := tp.DeadLetterQueue(f)
		if n, _ := Int(Map(qp["RedrivePolicy"])["maxReceiveCount"]); dlq == "" || n != 5 {
			t.Errorf("%s: RedrivePolicy %v; want its own dead-letter queue after maxReceiveCount 5", q, qp["RedrivePolicy"])
			continue
		}
		if other, dup := owner[dlq]; dup {
			t.Errorf("dead-letter queue %s is shared by %s and %s", dlq, other, f.LogicalID)
		}
		owner[dlq] = f.LogicalID
		dp := tp.Resources[dlq].Properties
		if n, _ := Int(dp["MessageRetentionPeriod"]); n != 14*24*3600 {
			t.Errorf("%s: MessageRetentionPeriod %v, want 1209600 (14 days)", dlq, dp["MessageRetentionPeriod"])
		}
		if dp["RedrivePolicy"] != nil {
			t.Errorf("%s: a dead-letter queue with a RedrivePolicy", dlq)
		}
		checkSSE(t, dlq, dp)
		if n, _ := Int(Map(qp["RedrivePolicy"])["maxReceiveCount"]); fmt.Sprint(env["MAX_RECEIVE_COUNT"]) != fmt.Sprint(n) {
			t.Errorf("%s: MAX_RECEIVE_COUNT is %v, want its queue's maxReceiveCount %d", f.LogicalID, env["MAX_RECEIVE_COUNT"], n)
		}
		if RefTo(env["DEAD_LETTER_QUEUE_URL"]) != dlq {
			t.Errorf("%s: DEAD_LETTER_QUEUE_URL is %v, want !Ref %s", f.LogicalID, env["DEAD_LETTER_QUEUE_URL"], dlq)
		}
		if v := env["OPERATION_QUEUE_URL"]; v != nil && RefTo(v) != q {
			t.Errorf("%s: OPERATION_QUEUE_URL is %v, want !Ref %s (its own queue) or unset", f.LogicalID, v, q)
		}
	}
}

func checkSSE(t *testing.T, id string, p map[string]any) {
	t.Helper()
	if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
		t.Errorf("%s: not encrypted (SqsManagedSseEnabled or KmsMasterKeyId)", id)
	}
}

// TestEnvironment: every variable the template sets is one pkg/config
// reads, and Globals' variables alone make a valid configuration.
func TestEnvironment(t *testing.T) {
	tp := template(t)
	read := map[string]bool{}
	config.FromEnv(func(k string) string { read[k] = true; return "" })
	for _, f := range tp.Functions() {
		own := mainEnvVars(t, f.Folder)
		for k := range tp.Env(f) {
			if !read[k] && !own[k] {
				t.Errorf("%s: sets %s, which neither pkg/config nor functions/%s/main.go reads", f.LogicalID, k, f.Folder)
			}
		}
		for k := range own {
			if tp.Env(f)[k] == nil {
				t.Errorf("%s: functions/%s/main.go reads %s, which the template does not set", f.LogicalID, f.Folder, k)
			}
		}
	}
	// Stand-ins for what CloudFormation resolves.
	stand := map[string]string{"TABLE_NAME": "stack-RecordsTable-ABC", "PAGES_BUCKET": "lambda-mangopay-pages-123456789012-0a1b2c3d4e5f",
		"MANGOPAY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mangopay-AbCdEf",
		"MANGOPAY_BASE_URL":   Str(tp.Parameters["MangopayBaseUrl"]["Default"])}
	globals := Map(Map(Map(tp.Globals["Function"])["Environment"])["Variables"])
	_, err := config.FromEnv(func(k string) string {
		v, set := globals[k]
		if !set {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
		return stand[k]
	})
	if err != nil {
		t.Errorf("Globals' environment: %v", err)
	}
	if RefTo(globals["MANGOPAY_SECRET_ARN"]) != "MangopaySecretArn" || RefTo(globals["MANGOPAY_BASE_URL"]) != "MangopayBaseUrl" {
		t.Errorf("MANGOPAY_SECRET_ARN / MANGOPAY_BASE_URL do not come from their parameters: %v", globals)
	}
	for _, id := range []string{"MangopaySecretArn"} {
		if _, def := tp.Parameters[id]["Default"]; def {
			t.Errorf("parameter %s has a default: the secret is the deployer's", id)
		}
	}
	for id, r := range tp.Resources {
		if r.Type == "AWS::SecretsManager::Secret" {
			t.Errorf("%s: the template creates a secret; the Mangopay credentials are created outside it (parameter MangopaySecretArn)", id)
		}
	}
}

// TestPagesBucket: the bucket is encrypted, versioned, closed to the
// public and to plain HTTP; add-page's notification covers the upload
// prefix; the name the functions get is the bucket's.
func TestPagesBucket(t *testing.T) {
	tp := template(t)
	var bucket string
	for id, r := range tp.Resources {
		if r.Type == "AWS::S3::Bucket" && tp.isPagesBucket(id) {
			bucket = id
		}
	}
	if bucket == "" {
		t.Fatal("no AWS::S3::Bucket whose name is Globals' PAGES_BUCKET")
	}
	p := tp.Resources[bucket].Properties
	enc := Map(List(Map(p["BucketEncryption"])["ServerSideEncryptionConfiguration"])[0])
	if Str(Map(enc["ServerSideEncryptionByDefault"])["SSEAlgorithm"]) == "" {
		t.Errorf("%s: no default encryption", bucket)
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if Map(p["PublicAccessBlockConfiguration"])[k] != true {
			t.Errorf("%s: %s is not true", bucket, k)
		}
	}
	if Str(Map(p["VersioningConfiguration"])["Status"]) != "Enabled" {
		t.Errorf("%s: versioning not enabled", bucket)
	}
	tls := false
	for _, r := range tp.Resources {
		if r.Type != "AWS::S3::BucketPolicy" || RefTo(r.Properties["Bucket"]) != bucket {
			continue
		}
		for _, s := range List(Map(r.Properties["PolicyDocument"])["Statement"]) {
			st := Map(s)
			tls = tls || (Str(st["Effect"]) == "Deny" && Str(Map(Map(st["Condition"])["Bool"])["aws:SecureTransport"]) == "false")
		}
	}
	if !tls {
		t.Errorf("%s: no bucket policy denying requests without TLS", bucket)
	}
	for _, f := range tp.Functions() {
		for _, e := range f.Events() {
			if e.Type != "S3" {
				continue
			}
			if RefTo(e.Properties["Bucket"]) != bucket {
				t.Errorf("%s event %s: bucket %v, want !Ref %s", f.LogicalID, e.Name, e.Properties["Bucket"], bucket)
			}
			if prefix := s3Prefix(e); prefix == "" {
				t.Errorf("%s event %s: no key prefix filter: the function would be called for its own writes", f.LogicalID, e.Name)
			} else if !tp.Grants0(f)["s3:GetObject "+PagesPrefix+prefix+"*"] {
				t.Errorf("%s event %s: notified of %s* but may not read them", f.LogicalID, e.Name, prefix)
			}
		}
	}
}

// mainEnvVars are the variables a function's main.go reads itself, beyond
// pkg/config: os.Getenv of one of the constants below.
func mainEnvVars(t *testing.T, folder string) map[string]bool {
	t.Helper()
	known := map[string]string{"operations.RecheckTimeZoneVar": operations.RecheckTimeZoneVar}
	src, err := os.ReadFile(filepath.Join(root, "functions", folder, "main.go"))
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`os\.Getenv\(([\w.]+)\)`).FindAllStringSubmatch(string(src), -1) {
		v, ok := known[m[1]]
		if !ok {
			t.Errorf("functions/%s/main.go: os.Getenv(%s): add the variable to mainEnvVars (template_test.go)", folder, m[1])
			continue
		}
		out[v] = true
	}
	return out
}

// Grants0 is Grants without the problems.
func (t *Template) Grants0(f Function) Grants { g, _ := t.Grants(f); return g }

// s3Prefix returns the key prefix of an S3 event's filter.
func s3Prefix(e Event) string {
	for _, r := range List(Map(Map(e.Properties["Filter"])["S3Key"])["Rules"]) {
		if strings.EqualFold(Str(Map(r)["Name"]), "prefix") {
			return Str(Map(r)["Value"])
		}
	}
	return ""
}

// TestWhatCfnLintMisses checks what local-aws.md says cfn-lint does not:
// memory sizes, every parameter used, schedule expressions; and timeouts
// an HTTP API can wait for.
func TestWhatCfnLintMisses(t *testing.T) {
	tp := template(t)
	globals := Map(tp.Globals["Function"])
	if m, ok := Int(globals["MemorySize"]); !ok || m < 128 || m > 256 {
		t.Errorf("Globals MemorySize %v, want 128 to 256 MB", globals["MemorySize"])
	}
	for _, f := range tp.Functions() {
		if m, ok := Int(tp.Prop(f, "MemorySize")); !ok || m < 128 || m > 10240 {
			t.Errorf("%s: MemorySize %v outside Lambda's 128 to 10240 MB", f.LogicalID, tp.Prop(f, "MemorySize"))
		}
		timeout, ok := Int(tp.Prop(f, "Timeout"))
		if !ok || timeout < 1 || timeout > 900 {
			t.Errorf("%s: Timeout %v outside 1 to 900 s", f.LogicalID, tp.Prop(f, "Timeout"))
		}
		if len(f.Routes()) > 0 && timeout > 29 {
			t.Errorf("%s: Timeout %d s, but an HTTP API waits 30 s at most", f.LogicalID, timeout)
		}
		for _, e := range f.Events() {
			switch e.Type {
			case "Schedule", "ScheduleV2":
				if err := checkScheduleExpression(Str(e.Properties["Schedule"]) + Str(e.Properties["ScheduleExpression"])); err != nil {
					t.Errorf("%s event %s: %v", f.LogicalID, e.Name, err)
				}
			}
		}
		if got := Strings(tp.Prop(f, "Architectures")); !reflect.DeepEqual(got, []string{"arm64"}) || Str(tp.Prop(f, "Runtime")) != "provided.al2023" || Str(tp.Prop(f, "Handler")) != "bootstrap" {
			t.Errorf("%s: %v %v %v; the Makefile builds bootstrap for provided.al2023 on arm64", f.LogicalID, got, tp.Prop(f, "Runtime"), tp.Prop(f, "Handler"))
		}
		if Str(Map(tp.Prop(f, "LoggingConfig"))["LogFormat"]) != "JSON" {
			t.Errorf("%s: LogFormat is not JSON (AWS_LAMBDA_LOG_LEVEL is only set with JSON logs)", f.LogicalID)
		}
	}
	used := map[string]bool{}
	for _, part := range []any{tp.Globals, tp.Conditions, tp.Rules, tp.Outputs} {
		for n := range Names(part) {
			used[n] = true
		}
	}
	for _, r := range tp.Resources {
		for n := range Names(r.Properties) {
			used[n] = true
		}
	}
	for p := range tp.Parameters {
		if !used[p] {
			t.Errorf("parameter %s is never used", p)
		}
	}
}

// TestOutputs: the API URL, every queue URL, the table and the bucket.
func TestOutputs(t *testing.T) {
	tp := template(t)
	apiID, _ := definitionBody(t)
	want := map[string]bool{}
	for _, f := range tp.Functions() {
		for _, q := range append(f.Queues(), tp.DeadLetterQueue(f)) {
			if q != "" {
				want[q] = true
			}
		}
	}
	for id, r := range tp.Resources {
		if r.Type == "AWS::DynamoDB::Table" || r.Type == "AWS::S3::Bucket" {
			want[id] = true
		}
	}
	apiURL := false
	for _, o := range tp.Outputs {
		v := Map(o)["Value"]
		delete(want, RefTo(v))
		apiURL = apiURL || Names(v)[apiID] && strings.Contains(fmt.Sprint(v), "execute-api")
	}
	if !apiURL {
		t.Errorf("no output with the API's URL")
	}
	for id := range want {
		t.Errorf("no output !Ref %s", id)
	}
}

// checkScheduleExpression checks an EventBridge (Scheduler) expression:
// rate(1 hour), at(2025-03-01T12:00:00) or cron(min hour dom month dow year),
// where exactly one of day-of-month and day-of-week is "?".
func checkScheduleExpression(s string) error {
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		n, unit, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(s, "rate("), ")"), " ")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 1 {
			return fmt.Errorf("%q: rate needs a positive whole number and a unit", s)
		}
		if (v == 1) != !strings.HasSuffix(unit, "s") || !regexp.MustCompile(`^(minute|hour|day)s?$`).MatchString(unit) {
			return fmt.Errorf("%q: unit must be minute, hour or day (plural unless 1)", s)
		}
		return nil
	case strings.HasPrefix(s, "at(") && strings.HasSuffix(s, ")"):
		if !regexp.MustCompile(`^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$`).MatchString(s) {
			return fmt.Errorf("%q: at() needs yyyy-mm-ddThh:mm:ss", s)
		}
		return nil
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
	default:
		return fmt.Errorf("%q: not rate(...), at(...) or cron(...)", s)
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, "cron("), ")"))
	if len(f) != 6 {
		return fmt.Errorf("%q: cron needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", s, len(f))
	}
	if (f[2] == "?") == (f[4] == "?") {
		return fmt.Errorf("%q: exactly one of day-of-month and day-of-week must be ?", s)
	}
	months := "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC"
	days := "SUN MON TUE WED THU FRI SAT"
	specs := []struct {
		name   string
		lo, hi int
		names  string
		extra  string
	}{{"minutes", 0, 59, "", ""}, {"hours", 0, 23, "", ""}, {"day-of-month", 1, 31, "", "?LW"},
		{"month", 1, 12, months, ""}, {"day-of-week", 1, 7, days, "?L#"}, {"year", 1970, 2199, "", ""}}
	for i, sp := range specs {
		if err := checkCronField(f[i], sp.lo, sp.hi, sp.names, sp.extra); err != nil {
			return fmt.Errorf("%q: %s %q: %v", s, sp.name, f[i], err)
		}
	}
	return nil
}

func checkCronField(field string, lo, hi int, names, extra string) error {
	if field == "*" || (field == "?" && strings.Contains(extra, "?")) {
		return nil
	}
	value := func(v string) (int, error) {
		if i := strings.Index(" "+names+" ", " "+strings.ToUpper(v)+" "); names != "" && i >= 0 && len(v) == 3 {
			return lo + i/4, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not %d to %d", v, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(field, ",") {
		base, step, stepped := strings.Cut(part, "/")
		if stepped {
			if n, err := strconv.Atoi(step); err != nil || n < 1 {
				return fmt.Errorf("bad increment %q", step)
			}
		}
		switch {
		case base == "*" && stepped:
			continue
		case strings.Contains(extra, "L") && (base == "L" || strings.HasSuffix(base, "L")):
			base = strings.TrimSuffix(base, "L")
			if base == "" {
				continue
			}
		case strings.Contains(extra, "W") && strings.HasSuffix(base, "W"):
			base = strings.TrimSuffix(base, "W")
		case strings.Contains(extra, "#") && strings.Contains(base, "#"):
			d, n, _ := strings.Cut(base, "#")
			if k, err := strconv.Atoi(n); err != nil || k < 1 || k > 5 {
				return fmt.Errorf("bad %q", base)
			}
			base = d
		}
		from, to, isRange := strings.Cut(base, "-")
		a, err := value(from)
		if err != nil {
			return err
		}
		if isRange {
			b, err := value(to)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %q runs backwards", base)
			}
		}
	}
	return nil
}

// weekdaysOnly checks that a cron expression (already valid) runs on
// some of Monday to Friday only: its day-of-month is "?" and its
// day-of-week names weekdays (MON-FRI, MON,WED, 2-6, ...), no L or #.
func weekdaysOnly(s string) error {
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, "cron("), ")"))
	if !strings.HasPrefix(s, "cron(") || len(f) != 6 {
		return fmt.Errorf("%q: not a cron expression", s)
	}
	if f[2] != "?" {
		return fmt.Errorf("%q: day-of-month %q; a weekday schedule leaves it ? and names MON-FRI", s, f[2])
	}
	days := map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	day := func(v string) (int, error) {
		if d, ok := days[strings.ToUpper(v)]; ok {
			return d, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 7 {
			return 0, fmt.Errorf("%q: day-of-week %q is not a day", s, v)
		}
		return n, nil
	}
	for _, part := range strings.Split(f[4], ",") {
		if strings.ContainsAny(part, "*/L#?") {
			return fmt.Errorf("%q: day-of-week %q is not a list of weekdays", s, f[4])
		}
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			to = from
		}
		a, err := day(from)
		if err != nil {
			return err
		}
		b, err := day(to)
		if err != nil {
			return err
		}
		if a < 2 || b > 6 || b < a {
			return fmt.Errorf("%q: day-of-week %q includes a weekend day", s, f[4])
		}
	}
	return nil
}

// cronHours returns the hours a valid cron expression's hours field
// names (plain numbers, ranges and lists; nil for anything else).
func cronHours(s string) []int {
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, "cron("), ")"))
	if len(f) != 6 {
		return nil
	}
	var out []int
	for _, part := range strings.Split(f[1], ",") {
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			to = from
		}
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		if err1 != nil || err2 != nil {
			return nil
		}
		for h := a; h <= b; h++ {
			out = append(out, h)
		}
	}
	return out
}

// recheckBucket returns the bucket a re-check function's main passes to
// operations.NewRecheckHandler ("" if it is not a re-check function).
func recheckBucket(t *testing.T, folder string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "functions", folder, "main.go"))
	if err != nil {
		return ""
	}
	m := recheckCall.FindStringSubmatch(string(src))
	if m == nil {
		return ""
	}
	return recheckBuckets[m[1]]
}

// TestRecheckSchedules: each re-check function (a main calling
// operations.NewRecheckHandler) has one ScheduleV2 schedule, Monday to
// Friday only, in the RecheckTimeZone calendar (whose default the code
// loads, and which the function gets as RECHECK_TIME_ZONE), within the
// hours its code works (8-17 for documents), enabled, whose Input is
// exactly {"bucket": <the main's bucket>}; the TRANSACTION function also
// has the PENDING sweep (checkPendingSweep); and no other function has
// a schedule but the hook jobs (reconcile-hooks, register-hooks: one daily
// schedule each, checked by checkHookJobSchedule).
func TestRecheckSchedules(t *testing.T) {
	if operations.PendingGiveUp+time.Hour > operations.PendingProofLimit {
		t.Errorf("an hourly sweep may reach a record %v old, past PendingProofLimit %v", operations.PendingGiveUp+time.Hour, operations.PendingProofLimit)
	}
	tp := template(t)
	zone := Str(tp.Parameters["RecheckTimeZone"]["Default"])
	if _, err := operations.RecheckLocation(zone); err != nil || zone != schedule.DefaultTimeZone {
		t.Errorf("parameter RecheckTimeZone: Default %q (%v); want %q, the code's default", zone, err, schedule.DefaultTimeZone)
	}
	seen := 0
	for _, f := range tp.Functions() {
		bucket := recheckBucket(t, f.Folder)
		schedules := f.Schedules()
		if _, job := hookJobs[f.Folder]; job && bucket == "" {
			checkHookJobSchedule(t, f)
			continue
		}
		if bucket == "" {
			for _, e := range schedules {
				t.Errorf("%s event %s: a schedule on a function that is not a re-check", f.LogicalID, e.Name)
			}
			continue
		}
		seen++
		if len(f.Routes()) > 0 {
			t.Errorf("%s: a re-check function with an HTTP route", f.LogicalID)
		}
		schedules = checkPendingSweep(t, f, bucket, schedules)
		if len(schedules) != 1 {
			t.Errorf("%s: %d ScheduleV2 events, want one", f.LogicalID, len(schedules))
			continue
		}
		e := schedules[0]
		expr := Str(e.Properties["ScheduleExpression"])
		if err := checkScheduleExpression(expr); err != nil {
			t.Errorf("%s event %s: %v", f.LogicalID, e.Name, err)
		} else if err := weekdaysOnly(expr); err != nil {
			t.Errorf("%s event %s: %v", f.LogicalID, e.Name, err)
		}
		hours := cronHours(expr)
		if len(hours) == 0 {
			t.Errorf("%s event %s: %q names no plain hours", f.LogicalID, e.Name, expr)
		}
		if bucket == records.BucketDocument {
			for _, h := range hours {
				if h < schedule.OpenHour || h > schedule.CloseHour {
					t.Errorf("%s event %s: runs at %d h, outside the documents' hours %d-%d (the run would do nothing)", f.LogicalID, e.Name, h, schedule.OpenHour, schedule.CloseHour)
				}
			}
		}
		if RefTo(e.Properties["ScheduleExpressionTimezone"]) != "RecheckTimeZone" {
			t.Errorf("%s event %s: ScheduleExpressionTimezone %v, want !Ref RecheckTimeZone", f.LogicalID, e.Name, e.Properties["ScheduleExpressionTimezone"])
		}
		if RefTo(tp.Env(f)[operations.RecheckTimeZoneVar]) != "RecheckTimeZone" {
			t.Errorf("%s: %s is %v, want !Ref RecheckTimeZone (the schedule's calendar)", f.LogicalID, operations.RecheckTimeZoneVar, tp.Env(f)[operations.RecheckTimeZoneVar])
		}
		if st := Str(e.Properties["State"]); st != "" && st != "ENABLED" {
			t.Errorf("%s event %s: State %s", f.LogicalID, e.Name, st)
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(Str(e.Properties["Input"])), &in); err != nil || len(in) != 1 || in["bucket"] != bucket {
			t.Errorf("%s event %s: Input %v (%v), want {\"bucket\":%q}", f.LogicalID, e.Name, e.Properties["Input"], err, bucket)
		}
	}
	if seen == 0 {
		t.Errorf("no re-check function found (functions/*/main.go calling operations.NewRecheckHandler)")
	}
}

func TestWeekdaysOnly(t *testing.T) {
	for _, ok := range []string{"cron(0 8-17 ? * MON-FRI *)", "cron(0 8 ? * MON-FRI *)", "cron(0 9 ? * 2-6 *)", "cron(0 9 ? * MON,WED,FRI *)"} {
		if err := weekdaysOnly(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"cron(0 8 ? * * *)", "cron(0 8 ? * MON-SAT *)", "cron(0 8 ? * SUN-FRI *)", "cron(0 8 * * ? *)",
		"cron(0 8 ? * 1-5 *)", "cron(0 8 ? * FRI-MON *)", "cron(0 8 ? * 6L *)", "cron(0 8 ? * MON#1 *)", "rate(1 day)"} {
		if err := weekdaysOnly(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if got := cronHours("cron(0 8-17 ? * MON-FRI *)"); len(got) != 10 || got[0] != 8 || got[9] != 17 {
		t.Errorf("cronHours: %v", got)
	}
}

func TestScheduleExpressionCheck(t *testing.T) {
	for _, ok := range []string{"rate(5 minutes)", "rate(1 hour)", "cron(0/15 * * * ? *)", "cron(0 3 ? * MON-FRI *)",
		"cron(30 2 1 * ? 2026)", "cron(0 12 L * ? *)", "cron(0 9 ? * 2#1 *)", "at(2026-01-01T00:00:00)",
		"cron(0 8-17 ? * MON-FRI *)", "cron(0 8 ? * MON-FRI *)"} {
		if err := checkScheduleExpression(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"rate(5 minute)", "rate(0 hours)", "cron(0 3 * * * *)", "cron(0 3 ? * MON-FRI)",
		"cron(60 * * * ? *)", "cron(0 24 ? * * *)", "cron(0 0 ? * FOO *)", "cron(* * * ? ? *)", "every 5 minutes"} {
		if err := checkScheduleExpression(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// readOpenAPI reads openapi.yaml.
func readOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeYAML(b)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// checkPendingSweep checks that the TRANSACTION re-check function, and only
// it, has one schedule with Input {"bucket":"PENDING"} that runs every hour
// of every day (Mangopay forgets Idempotency-Keys after 24 h, weekends
// included), enabled; it returns the function's other schedules.
func checkPendingSweep(t *testing.T, f Function, bucket string, schedules []Event) []Event {
	t.Helper()
	var rest, sweeps []Event
	for _, e := range schedules {
		var in map[string]any
		if json.Unmarshal([]byte(Str(e.Properties["Input"])), &in) == nil && in["bucket"] == records.BucketPending {
			sweeps = append(sweeps, e)
		} else {
			rest = append(rest, e)
		}
	}
	want := 0
	if bucket == records.BucketTransaction {
		want = 1
	}
	if len(sweeps) != want {
		t.Errorf("%s: %d PENDING sweeps, want %d", f.LogicalID, len(sweeps), want)
	}
	for _, e := range sweeps {
		expr := Str(e.Properties["ScheduleExpression"])
		fields := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
		if err := checkScheduleExpression(expr); err != nil || len(fields) != 6 || fields[1] != "*" ||
			!slices.Contains([]string{"*", "?"}, fields[2]) || !slices.Contains([]string{"*", "?"}, fields[4]) {
			t.Errorf("%s event %s: %q (%v), want a cron running every hour of every day", f.LogicalID, e.Name, expr, err)
		}
		if st := Str(e.Properties["State"]); st != "" && st != "ENABLED" {
			t.Errorf("%s event %s: State %s", f.LogicalID, e.Name, st)
		}
	}
	return rest
}
