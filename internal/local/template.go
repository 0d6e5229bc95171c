package local

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/deploy"
)

// Fixed local values of the pseudo parameters.
const (
	// AccountID is moto's default account.
	AccountID = "123456789012"
	// Region is the local stack's region.
	Region = "eu-west-1"
	// StackName names the local stack (and its table).
	StackName = "lambda-mangopay-local"
	// BusName is the local event bus (the EventBusName parameter).
	BusName = "lambda-mangopay-local"
	// OutcomesQueue receives a copy of every event on BusName.
	OutcomesQueue = "lambda-mangopay-local-outcomes"
	stackID       = "arn:aws:cloudformation:eu-west-1:123456789012:stack/lambda-mangopay-local/6a1f0c2e-4b3d-4e5f-9a8b-7c6d5e4f3a2b"
	// apiSentinel is what !Ref HttpApi resolves to; its execute-api URL
	// is replaced by the local API's URL in the functions' environment.
	apiSentinel = "localapi"
)

// FunctionSpec is what the local stack runs of one template function.
type FunctionSpec struct {
	// Name is the folder in functions/ (and the function's local name).
	Name      string
	LogicalID string
	Timeout   time.Duration
	MemoryMB  int
	// Env is the template's environment, resolved to local values.
	Env    map[string]string
	Routes []deploy.Route
	// Queues are the SQS event source mappings.
	Queues []QueueMapping
	// Schedules are the ScheduleV2 events.
	Schedules []ScheduleSpec
	// Uploads are the S3 notifications (bucket logical id, prefix, events).
	Uploads []UploadSpec
}

// QueueMapping is one SQS event of a function.
type QueueMapping struct {
	Queue                  string // logical id
	BatchSize              int
	ReportBatchItemFailure bool
}

// ScheduleSpec is one ScheduleV2 event.
type ScheduleSpec struct {
	Name       string
	Expression string // cron(...) or rate(...)
	TimeZone   string
	Input      string
}

// schedule returns the schedule named event, or the only one when event
// is "".
func (f *FunctionSpec) schedule(event string) (ScheduleSpec, error) {
	var names []string
	for _, sc := range f.Schedules {
		if sc.Name == event || (event == "" && len(f.Schedules) == 1) {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	switch {
	case len(names) == 0:
		return ScheduleSpec{}, fmt.Errorf("%s has no schedule in template.yaml", f.Name)
	case event == "":
		return ScheduleSpec{}, fmt.Errorf("%s has %d schedules (%s): name one, e.g. %s/%s", f.Name, len(names), strings.Join(names, ", "), f.Name, names[0])
	}
	return ScheduleSpec{}, fmt.Errorf("%s has no schedule %q (it has %s)", f.Name, event, strings.Join(names, ", "))
}

// UploadSpec is one S3 event.
type UploadSpec struct {
	Bucket string // logical id
	Events []string
	Prefix string
}

// QueueSpec is one AWS::SQS::Queue.
type QueueSpec struct {
	LogicalID         string
	VisibilityTimeout int
	Retention         int
	// DeadLetter is the logical id of the RedrivePolicy's target.
	DeadLetter      string
	MaxReceiveCount int
}

// resolver resolves intrinsic functions to local values.
type resolver struct {
	t          *deploy.Template
	params     map[string]string
	refs       map[string]string // resource logical id -> Ref value
	arns       map[string]string // resource logical id -> Arn
	conditions map[string]bool
}

func newResolver(t *deploy.Template, params map[string]string) *resolver {
	r := &resolver{t: t, params: map[string]string{}, refs: map[string]string{}, arns: map[string]string{}, conditions: map[string]bool{}}
	for name, p := range t.Parameters {
		r.params[name] = fmt.Sprint(p["Default"])
		if p["Default"] == nil {
			r.params[name] = ""
		}
	}
	for k, v := range params {
		r.params[k] = v
	}
	for k, v := range map[string]string{"AWS::AccountId": AccountID, "AWS::Region": Region, "AWS::StackName": StackName,
		"AWS::StackId": stackID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"} {
		r.params[k] = v
	}
	for name := range t.Conditions {
		r.conditions[name] = r.condition(name)
	}
	return r
}

func (r *resolver) condition(name string) bool {
	v, err := r.evalBool(r.t.Conditions[name])
	return err == nil && v
}

func (r *resolver) evalBool(v any) (bool, error) {
	fn, a, ok := deploy.Intrinsic(v)
	if !ok {
		return false, fmt.Errorf("not a condition: %v", v)
	}
	args := deploy.List(a)
	switch fn {
	case "Condition":
		return r.condition(deploy.Str(a)), nil
	case "Fn::Equals":
		if len(args) != 2 {
			return false, fmt.Errorf("Fn::Equals needs two arguments")
		}
		x, err := r.str(args[0])
		if err != nil {
			return false, err
		}
		y, err := r.str(args[1])
		return x == y, err
	case "Fn::Not":
		b, err := r.evalBool(args[0])
		return !b, err
	case "Fn::And", "Fn::Or":
		all := fn == "Fn::And"
		for _, x := range args {
			b, err := r.evalBool(x)
			if err != nil {
				return false, err
			}
			if all && !b {
				return false, nil
			}
			if !all && b {
				return true, nil
			}
		}
		return all, nil
	}
	return false, fmt.Errorf("unsupported condition %s", fn)
}

var subRef = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// str resolves a value to a string.
func (r *resolver) str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, float64, bool:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	fn, a, ok := deploy.Intrinsic(v)
	if !ok {
		return "", fmt.Errorf("cannot resolve %v", v)
	}
	switch fn {
	case "Ref":
		return r.ref(deploy.Str(a))
	case "Fn::GetAtt":
		res, attr := deploy.GetAttOf(v)
		if attr == "Arn" {
			if arn, ok := r.arns[res]; ok {
				return arn, nil
			}
		}
		return "", fmt.Errorf("no local value for !GetAtt %s.%s", res, attr)
	case "Fn::If":
		args := deploy.List(a)
		if len(args) != 3 {
			return "", fmt.Errorf("Fn::If needs three arguments")
		}
		if r.conditions[deploy.Str(args[0])] {
			return r.str(args[1])
		}
		return r.str(args[2])
	case "Fn::Sub":
		s, vars := deploy.Str(a), map[string]any{}
		if l := deploy.List(a); len(l) == 2 {
			s, vars = deploy.Str(l[0]), deploy.Map(l[1])
		}
		var firstErr error
		out := subRef.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				x, err := r.str(v)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				return x
			}
			if res, attr, ok := strings.Cut(name, "."); ok {
				x, err := r.str(map[string]any{"Fn::GetAtt": []any{res, attr}})
				if err != nil && firstErr == nil {
					firstErr = err
				}
				return x
			}
			x, err := r.ref(name)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return x
		})
		return strings.ReplaceAll(out, "${!", "${"), firstErr
	case "Fn::Select":
		args := deploy.List(a)
		if len(args) != 2 {
			return "", fmt.Errorf("Fn::Select needs two arguments")
		}
		i, ok := deploy.Int(args[0])
		list, err := r.list(args[1])
		if err != nil {
			return "", err
		}
		if !ok || i < 0 || i >= len(list) {
			return "", fmt.Errorf("Fn::Select index %v out of range", args[0])
		}
		return list[i], nil
	case "Fn::Join":
		args := deploy.List(a)
		if len(args) != 2 {
			return "", fmt.Errorf("Fn::Join needs two arguments")
		}
		list, err := r.list(args[1])
		return strings.Join(list, deploy.Str(args[0])), err
	}
	return "", fmt.Errorf("unsupported intrinsic %s", fn)
}

func (r *resolver) list(v any) ([]string, error) {
	if fn, a, ok := deploy.Intrinsic(v); ok && fn == "Fn::Split" {
		args := deploy.List(a)
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split needs two arguments")
		}
		s, err := r.str(args[1])
		return strings.Split(s, deploy.Str(args[0])), err
	}
	var out []string
	for _, x := range deploy.List(v) {
		s, err := r.str(x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *resolver) ref(name string) (string, error) {
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if v, ok := r.refs[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no local value for !Ref %s", name)
}

// Queues returns the template's queues, sorted by logical id.
func Queues(t *deploy.Template) []QueueSpec {
	var out []QueueSpec
	for id, res := range t.Resources {
		if res.Type != "AWS::SQS::Queue" {
			continue
		}
		q := QueueSpec{LogicalID: id}
		q.VisibilityTimeout, _ = deploy.Int(res.Properties["VisibilityTimeout"])
		q.Retention, _ = deploy.Int(res.Properties["MessageRetentionPeriod"])
		if rp := deploy.Map(res.Properties["RedrivePolicy"]); rp != nil {
			q.DeadLetter, _ = deploy.GetAttOf(rp["deadLetterTargetArn"])
			q.MaxReceiveCount, _ = deploy.Int(rp["maxReceiveCount"])
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// resourcesOfType lists the logical ids of a type, sorted.
func resourcesOfType(t *deploy.Template, typ string) []string {
	var out []string
	for id, res := range t.Resources {
		if res.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// functionSpecs reads every function of the template, with its
// environment resolved by r.
func functionSpecs(t *deploy.Template, r *resolver) ([]FunctionSpec, error) {
	var out []FunctionSpec
	for _, f := range t.Functions() {
		spec := FunctionSpec{Name: f.Folder, LogicalID: f.LogicalID, Routes: f.Routes(), Env: map[string]string{}}
		timeout, _ := deploy.Int(t.Prop(f, "Timeout"))
		spec.Timeout = time.Duration(max(timeout, 3)) * time.Second
		spec.MemoryMB, _ = deploy.Int(t.Prop(f, "MemorySize"))
		env := deploy.Map(deploy.ResolveIfs(t.Env(f), r.conditions)) // drops AWS::NoValue
		for k, v := range env {
			s, err := r.str(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", f.LogicalID, k, err)
			}
			spec.Env[k] = s
		}
		// Lambda's logging configuration reaches the runtime as these.
		if lc := deploy.Map(t.Prop(f, "LoggingConfig")); lc != nil {
			if lvl := deploy.Str(lc["ApplicationLogLevel"]); lvl != "" {
				spec.Env["AWS_LAMBDA_LOG_LEVEL"] = lvl
			}
			if lf := deploy.Str(lc["LogFormat"]); lf != "" {
				spec.Env["AWS_LAMBDA_LOG_FORMAT"] = lf
			}
		}
		for _, e := range f.Events() {
			switch e.Type {
			case "SQS":
				q, _ := deploy.GetAttOf(e.Properties["Queue"])
				n, ok := deploy.Int(e.Properties["BatchSize"])
				if !ok || n <= 0 {
					n = 10
				}
				report := false
				for _, x := range deploy.Strings(e.Properties["FunctionResponseTypes"]) {
					report = report || x == "ReportBatchItemFailures"
				}
				spec.Queues = append(spec.Queues, QueueMapping{Queue: q, BatchSize: n, ReportBatchItemFailure: report})
			case "ScheduleV2", "Schedule":
				tz, err := r.str(e.Properties["ScheduleExpressionTimezone"])
				if err != nil {
					return nil, fmt.Errorf("%s: schedule %s: %w", f.LogicalID, e.Name, err)
				}
				spec.Schedules = append(spec.Schedules, ScheduleSpec{Name: e.Name, Expression: deploy.Str(e.Properties["ScheduleExpression"]),
					TimeZone: tz, Input: deploy.Str(e.Properties["Input"])})
			case "S3":
				u := UploadSpec{Bucket: deploy.RefTo(e.Properties["Bucket"]), Events: deploy.Strings(e.Properties["Events"])}
				for _, rule := range deploy.List(deploy.Map(deploy.Map(e.Properties["Filter"])["S3Key"])["Rules"]) {
					if strings.EqualFold(deploy.Str(deploy.Map(rule)["Name"]), "prefix") {
						u.Prefix = deploy.Str(deploy.Map(rule)["Value"])
					}
				}
				spec.Uploads = append(spec.Uploads, u)
			}
		}
		out = append(out, spec)
	}
	return out, nil
}
