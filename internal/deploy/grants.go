package deploy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Resource names in grants, relative to one function.
const (
	OwnLogGroup = "own-log-group" // the function's log group
	Secret      = "secret"        // the Mangopay secret (parameter MangopaySecretArn)
	Table       = "table"         // the records table
	OwnQueue    = "own-queue"     // the queue the function's SQS event reads
	OwnDLQ      = "own-dlq"       // that queue's dead-letter queue
	IndexPrefix = "index/"        // "index/by_owner": a GSI of the records table
	PagesPrefix = "pages/"        // "pages/documents/*": objects of the pages bucket under a prefix
	// EventBus is the outcome events' bus: parameter EventBusName, the
	// account's default bus when it is empty (EVENT_BUS_NAME).
	EventBus = "event-bus"
	// PayoutOutcomeQueue is the optional queue of payout outcomes
	// (parameter PayoutOutcomeQueueArn, PAYOUT_OUTCOME_QUEUE_URL), granted
	// only under a condition that it is set.
	PayoutOutcomeQueue = "payout-outcome-queue"
	// HookQueue is the queue the function's HOOK_QUEUE_URL names
	// (receive-hook sends to process-hook's queue).
	HookQueue = "hook-queue"
)

// The parameters and the bus ARN the outcome grants are written with.
const (
	eventBusParam     = "EventBusName"
	payoutQueueParam  = "PayoutOutcomeQueueArn"
	eventBusARNFormat = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${Bus}"
)

// Grants is what a function's execution role allows: "action resource"
// pairs, e.g. "dynamodb:Query index/by_owner", with resources named as
// above. A resource the function does not own is named "?" plus the
// template's expression.
type Grants map[string]bool

// Sorted lists the grants.
func (g Grants) Sorted() []string {
	out := make([]string, 0, len(g))
	for k := range g {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Grants reads the policy statements of a function's execution role and
// names their resources relative to the function. Problems lists what
// makes a statement unreadable or not least-privilege by construction:
// a role SAM would create (with its managed policies), Deny or Not*
// elements, wildcards in actions, policies attached from elsewhere.
func (t *Template) Grants(f Function) (g Grants, problems []string) {
	g = Grants{}
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, p := range []string{"Policies", "PermissionsBoundary"} {
		if t.Prop(f, p) != nil {
			fail("sets %s: SAM would add its own policies; write the statements in the function's role", p)
		}
	}
	roleID, attr := GetAttOf(f.Props["Role"])
	role, ok := t.Resources[roleID]
	if !ok || attr != "Arn" || role.Type != "AWS::IAM::Role" {
		fail("Role is %v, not !GetAtt <its own AWS::IAM::Role>.Arn: SAM would create one with managed policies", f.Props["Role"])
		return g, problems
	}
	if len(List(role.Properties["ManagedPolicyArns"])) > 0 {
		fail("role %s has managed policies %v", roleID, role.Properties["ManagedPolicyArns"])
	}
	if !t.trustsLambdaOnly(role) {
		fail("role %s may be assumed by something other than lambda.amazonaws.com", roleID)
	}
	var docs []any
	for _, p := range List(role.Properties["Policies"]) {
		docs = append(docs, Map(p)["PolicyDocument"])
	}
	for id, r := range t.Resources {
		switch r.Type {
		case "AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy":
			if Names(r.Properties["Roles"])[roleID] || RefTo(r.Properties["RoleName"]) == roleID {
				fail("policy %s is attached to %s from outside the role", id, roleID)
			}
		}
	}
	for _, d := range docs {
		for _, s := range List(Map(d)["Statement"]) {
			// A statement may be conditional: !If [Condition, statement,
			// !Ref AWS::NoValue]. Its grants count as granted (they are,
			// when the condition holds); resourceName knows the condition.
			cond := ""
			if fn, a, ok := Intrinsic(s); ok && fn == "Fn::If" {
				args := List(a)
				if len(args) != 3 || RefTo(args[2]) != "AWS::NoValue" || Str(args[0]) == "" {
					fail("statement %v: a conditional statement must be !If [Condition, statement, !Ref AWS::NoValue]", s)
					continue
				}
				cond, s = Str(args[0]), args[1]
			}
			st := Map(s)
			for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
				if st[k] != nil {
					fail("statement %v uses %s", st["Sid"], k)
				}
			}
			if Str(st["Effect"]) != "Allow" {
				fail("statement %v: Effect %v (only Allow statements are expected)", st["Sid"], st["Effect"])
				continue
			}
			actions := List(st["Action"])
			if a := Str(st["Action"]); a != "" {
				actions = []any{a}
			}
			resources := List(st["Resource"])
			if _, ok := st["Resource"].([]any); !ok && st["Resource"] != nil {
				resources = []any{st["Resource"]}
			}
			for _, a := range actions {
				action := Str(a)
				if action == "" || strings.Contains(action, "*") {
					fail("statement %v: action %v is a wildcard or not a string", st["Sid"], a)
					continue
				}
				for _, r := range resources {
					g[action+" "+t.resourceName(f, r, cond)] = true
				}
			}
		}
	}
	return g, problems
}

func (t *Template) trustsLambdaOnly(role Resource) bool {
	sts := List(Map(role.Properties["AssumeRolePolicyDocument"])["Statement"])
	for _, s := range sts {
		st := Map(s)
		if Str(st["Effect"]) != "Allow" {
			continue
		}
		services := Strings(Map(st["Principal"])["Service"])
		if len(Map(st["Principal"])) != 1 || len(services) != 1 || services[0] != "lambda.amazonaws.com" {
			return false
		}
		if a := Strings(st["Action"]); len(a) != 1 || a[0] != "sts:AssumeRole" {
			return false
		}
	}
	return len(sts) > 0
}

// resourceName names a statement's resource relative to f; cond is the
// condition the statement is under ("" for none).
func (t *Template) resourceName(f Function, r any, cond string) string {
	if RefTo(r) == "MangopaySecretArn" {
		return Secret
	}
	if RefTo(r) == payoutQueueParam && t.isNotEmptyCondition(cond, payoutQueueParam) {
		return PayoutOutcomeQueue
	}
	if t.isEventBusARN(r) {
		return EventBus
	}
	if id, attr := GetAttOf(r); attr == "Arn" {
		switch {
		case id == RefTo(Map(f.Props["LoggingConfig"])["LogGroup"]):
			return OwnLogGroup
		case t.Resources[id].Type == "AWS::DynamoDB::Table":
			return Table
		case contains(f.Queues(), id):
			return OwnQueue
		case id == t.DeadLetterQueue(f):
			return OwnDLQ
		case id != "" && id == RefTo(t.Env(f)["HOOK_QUEUE_URL"]) && t.Resources[id].Type == "AWS::SQS::Queue":
			return HookQueue
		}
	}
	if fn, a, ok := Intrinsic(r); ok && fn == "Fn::Sub" {
		s, vars := Str(a), map[string]any(nil)
		if l := List(a); len(l) == 2 {
			s, vars = Str(l[0]), Map(l[1])
		}
		for id, res := range t.Resources {
			if res.Type == "AWS::DynamoDB::Table" && len(vars) == 0 {
				if name, ok := strings.CutPrefix(s, "${"+id+".Arn}/index/"); ok && !strings.ContainsAny(name, "*$") {
					return IndexPrefix + name
				}
			}
			if res.Type == "AWS::S3::Bucket" && t.isPagesBucket(id) {
				if prefix, ok := strings.CutPrefix(s, "${"+id+".Arn}/"); ok && len(vars) == 0 {
					return PagesPrefix + prefix
				}
				if bs, bvars := t.bucketNameSub(id); bs != "" {
					if prefix, ok := strings.CutPrefix(s, "arn:${AWS::Partition}:s3:::"+bs+"/"); ok && reflect.DeepEqual(vars, bvars) {
						return PagesPrefix + prefix
					}
				}
			}
		}
	}
	b, _ := json.Marshal(r)
	return "?" + string(b)
}

// isPagesBucket reports whether the bucket is the one PAGES_BUCKET names.
func (t *Template) isPagesBucket(id string) bool {
	pb := Map(Map(Map(t.Globals["Function"])["Environment"])["Variables"])["PAGES_BUCKET"]
	if RefTo(pb) == id {
		return true
	}
	return reflect.DeepEqual(pb, t.Resources[id].Properties["BucketName"]) && pb != nil
}

// bucketNameSub returns the Fn::Sub string and variables of a bucket's
// built name.
func (t *Template) bucketNameSub(id string) (string, map[string]any) {
	fn, a, ok := Intrinsic(t.Resources[id].Properties["BucketName"])
	if !ok || fn != "Fn::Sub" {
		return "", nil
	}
	if l := List(a); len(l) == 2 {
		return Str(l[0]), Map(l[1])
	}
	return Str(a), nil
}

// DeadLetterQueue returns the logical id of the dead-letter queue of the
// function's own queue ("" without one).
func (t *Template) DeadLetterQueue(f Function) string {
	for _, q := range f.Queues() {
		if id, _ := GetAttOf(Map(t.Resources[q].Properties["RedrivePolicy"])["deadLetterTargetArn"]); id != "" {
			return id
		}
	}
	return ""
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// isEmptyCondition reports whether condition name is !Equals [!Ref param, ""].
func (t *Template) isEmptyCondition(name, param string) bool {
	fn, a, ok := Intrinsic(t.Conditions[name])
	if !ok || fn != "Fn::Equals" {
		return false
	}
	args := List(a)
	if len(args) != 2 {
		return false
	}
	return (RefTo(args[0]) == param && args[1] == "") || (RefTo(args[1]) == param && args[0] == "")
}

// isNotEmptyCondition reports whether condition name is !Not [!Equals
// [!Ref param, ""]] (directly, or !Not of a condition that is the
// !Equals).
func (t *Template) isNotEmptyCondition(name, param string) bool {
	fn, a, ok := Intrinsic(t.Conditions[name])
	if !ok || fn != "Fn::Not" || len(List(a)) != 1 {
		return false
	}
	inner := List(a)[0]
	if cfn, c, ok := Intrinsic(inner); ok && cfn == "Condition" {
		return t.isEmptyCondition(Str(c), param)
	}
	probe := &Template{Conditions: map[string]any{"probe": inner}}
	return probe.isEmptyCondition("probe", param)
}

// isEventBusARN reports whether r is the ARN of the bus EVENT_BUS_NAME
// names: !Sub [eventBusARNFormat, {Bus: !If [<EventBusName is "">,
// default, !Ref EventBusName]}].
func (t *Template) isEventBusARN(r any) bool {
	fn, a, ok := Intrinsic(r)
	if !ok || fn != "Fn::Sub" || len(List(a)) != 2 || Str(List(a)[0]) != eventBusARNFormat {
		return false
	}
	vars := Map(List(a)[1])
	if len(vars) != 1 {
		return false
	}
	ifn, ia, ok := Intrinsic(vars["Bus"])
	args := List(ia)
	if !ok || ifn != "Fn::If" || len(args) != 3 {
		return false
	}
	cond := Str(args[0])
	switch {
	case t.isEmptyCondition(cond, eventBusParam):
		return args[1] == "default" && RefTo(args[2]) == eventBusParam
	case t.isNotEmptyCondition(cond, eventBusParam):
		return RefTo(args[1]) == eventBusParam && args[2] == "default"
	}
	return false
}
