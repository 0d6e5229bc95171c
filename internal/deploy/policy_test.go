package deploy

import (
	"sort"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// needs is what one function's code uses besides what every function
// does (its log group, the Mangopay secret, GetItem/PutItem/UpdateItem on
// the records table: records and idempotency claims, which any route
// takes with an Idempotency-Key, GET included; events:PutEvents on the
// outcome events' bus, since every function writes records and the
// store publishes the events a write decides: internal/outcomes), unless
// noMangopay or noRecords says the function does without.
type needs struct {
	// batchRead: the function reads several records in one BatchGetItem.
	batchRead bool
	// queue: the function reads its own queue and dead-letters to its DLQ.
	queue bool
	// async: an async create also sends to its own queue.
	async bool
	// indexes it queries (records.Store.ListByOwner: by_owner;
	// ListByParent: by_parent).
	indexes []string
	// pages: S3 actions on the pages bucket, by key prefix.
	pages map[string][]string
	// payoutOutcomes: the function writes payout records, so it also
	// sends payout outcomes to the optional PAYOUT_OUTCOME_QUEUE_URL.
	payoutOutcomes bool
	// hookQueue: the function sends to the queue HOOK_QUEUE_URL names
	// (receive-hook to process-hook's queue).
	hookQueue bool
	// noMangopay: the function makes no Mangopay call, so it does not
	// read the secret (receive-hook; the client is built lazily).
	noMangopay bool
	// noRecords: the function reads and writes no records, so it needs
	// neither the table nor the bus (register-hooks: Mangopay only).
	noRecords bool
}

// functionNeeds is reviewed by hand against each function's code path:
// adding a function, or a new AWS call to one, starts here. The events
// test also checks that every AWS call the functions make is granted.
var functionNeeds = map[string]needs{
	"create-natural-user":     {queue: true, async: true},
	"create-legal-user":       {queue: true, async: true},
	"update-user":             {queue: true},
	"get-user":                {},
	"create-bank-account":     {queue: true, async: true},
	"get-bank-account":        {},
	"deactivate-bank-account": {queue: true},
	"create-wallet":           {queue: true, async: true},
	"get-wallet":              {},
	// KYC: pages are stored under documents/<document>/pages/<n>; presigned
	// uploads land under uploads/<document>/<page>, which notifies add-page.
	"get-kyc-requirements": {indexes: []string{records.IndexByParent}}, // the user's documents
	"create-document":      {queue: true, async: true},
	"add-page": {queue: true, pages: map[string][]string{
		"s3:PutObject":    {"documents/*", "uploads/*"}, // the page; presigned uploads
		"s3:GetObject":    {"documents/*", "uploads/*"}, // a stored page on retry; an upload
		"s3:DeleteObject": {"uploads/*"},                // an upload once handled
	}},
	"submit-document": {queue: true, indexes: []string{records.IndexByOwner}},
	"get-document":    {},
	"create-and-submit-document": {queue: true, indexes: []string{records.IndexByOwner}, pages: map[string][]string{
		"s3:PutObject": {"documents/*"}, "s3:GetObject": {"documents/*"},
	}},
	// Money (not in part 1's list; derived from their code: refunds add up
	// the earlier refunds of their transaction through by_parent).
	"create-transfer": {queue: true, async: true, batchRead: true}, // its wallets, then their owners
	"get-transfer":    {},
	"refund-payin":    {queue: true, async: true, indexes: []string{records.IndexByParent}},
	"refund-transfer": {queue: true, async: true, indexes: []string{records.IndexByParent}},
	"get-refund":      {},
	"create-payout":   {queue: true, async: true, payoutOutcomes: true},
	"get-payout":      {payoutOutcomes: true}, // refresh=true may see it SUCCEEDED or FAILED
	// Cards, pay-ins and preauthorizations (not in part 1's list either).
	"create-card-registration":   {queue: true, async: true},
	"complete-card-registration": {queue: true},
	"get-card":                   {},
	"deactivate-card":            {queue: true},
	"create-card-payin":          {queue: true, async: true},
	"create-web-payin":           {queue: true, async: true},
	"create-bankwire-payin":      {queue: true, async: true},
	"get-payin":                  {},
	"create-preauthorization":    {queue: true, async: true},
	"get-preauthorization":       {},
	"cancel-preauthorization":    {queue: true},
	"capture-preauthorization":   {queue: true, async: true},
	// Weekday re-checks (internal/operations/recheck.go): the due records
	// through by_recheck. Each sends what its budget leaves to its own
	// queue and re-checks those batches (payouts among them for
	// recheck-transactions).
	"recheck-documents":    {queue: true, async: true, indexes: []string{records.IndexByRecheck}},
	"recheck-transactions": {queue: true, async: true, indexes: []string{records.IndexByRecheck}, payoutOutcomes: true},
	// Hooks (internal/operations/hooks*.go, reconcile.go). receive-hook
	// stores the notification (records.SaveHookNotification, then
	// MarkHookProcessed for one needing no work) and queues it for
	// process-hook; it calls no Mangopay API. process-hook and
	// reconcile-hooks find the record by Mangopay id (by_mangopay_id) and
	// refresh it, payouts among them; reconcile-hooks also keeps its
	// cursor record. register-hooks only talks to Mangopay.
	"receive-hook":    {hookQueue: true, noMangopay: true},
	"process-hook":    {queue: true, indexes: []string{records.IndexByMangopayID}, payoutOutcomes: true},
	"reconcile-hooks": {indexes: []string{records.IndexByMangopayID}, payoutOutcomes: true},
	"register-hooks":  {noRecords: true},
}

// expected turns needs into grants.
func (n needs) expected() Grants {
	g := Grants{}
	add := func(resource string, actions ...string) {
		for _, a := range actions {
			g[a+" "+resource] = true
		}
	}
	add(OwnLogGroup, "logs:CreateLogStream", "logs:PutLogEvents")
	if !n.noMangopay {
		add(Secret, "secretsmanager:GetSecretValue")
	}
	if !n.noRecords {
		add(Table, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
		if n.batchRead {
			add(Table, "dynamodb:BatchGetItem")
		}
		add(EventBus, "events:PutEvents")
	}
	if n.hookQueue {
		add(HookQueue, "sqs:SendMessage")
	}
	if n.payoutOutcomes {
		add(PayoutOutcomeQueue, "sqs:SendMessage")
	}
	for _, ix := range n.indexes {
		add(IndexPrefix+ix, "dynamodb:Query")
	}
	if n.queue {
		add(OwnQueue, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
		add(OwnDLQ, "sqs:SendMessage")
	}
	if n.async {
		add(OwnQueue, "sqs:SendMessage")
	}
	for action, prefixes := range n.pages {
		for _, p := range prefixes {
			add(PagesPrefix+p, action)
		}
	}
	return g
}

// allowedActions is every action any function may have; anything else
// (Scan, DeleteItem, DeleteTable, s3:ListBucket, kms:*, ...) is refused.
var allowedActions = map[string]bool{
	"logs:CreateLogStream": true, "logs:PutLogEvents": true,
	"secretsmanager:GetSecretValue": true,
	"dynamodb:GetItem":              true, "dynamodb:BatchGetItem": true, "dynamodb:PutItem": true, "dynamodb:UpdateItem": true, "dynamodb:Query": true,
	"sqs:ReceiveMessage": true, "sqs:DeleteMessage": true, "sqs:GetQueueAttributes": true, "sqs:SendMessage": true,
	"s3:GetObject": true, "s3:PutObject": true, "s3:DeleteObject": true,
	"events:PutEvents": true,
}

// TestPoliciesAreLeastPrivilege: each function has its own role whose
// statements name only allowed actions on its own resources (its log
// group, queue and dead-letter queue, the table and the indexes it
// queries, the secret, the bucket's prefixes for page functions), exactly
// the set its needs call for.
func TestPoliciesAreLeastPrivilege(t *testing.T) {
	tp := template(t)
	roles := map[string]string{}
	for _, f := range tp.Functions() {
		g, problems := tp.Grants(f)
		for _, p := range problems {
			t.Errorf("%s: %s", f.LogicalID, p)
		}
		role, _ := GetAttOf(f.Props["Role"])
		if other, dup := roles[role]; dup && role != "" {
			t.Errorf("role %s is shared by %s and %s", role, other, f.LogicalID)
		}
		roles[role] = f.LogicalID
		for grant := range g {
			action, resource, _ := strings.Cut(grant, " ")
			if !allowedActions[action] {
				t.Errorf("%s: action %s is not one the functions use", f.LogicalID, action)
			}
			if strings.HasPrefix(resource, "?") {
				t.Errorf("%s: %s on %s, a resource that is not its own", f.LogicalID, action, resource[1:])
			}
			if ix, ok := strings.CutPrefix(resource, IndexPrefix); ok && !isIndex(ix) {
				t.Errorf("%s: %s on index %s, which records.Schema does not define", f.LogicalID, action, ix)
			}
		}
		n, ok := functionNeeds[f.Folder]
		if !ok {
			t.Errorf("%s: its needs are not in functionNeeds (policy_test.go): review its code path and add them", f.LogicalID)
			continue
		}
		want := n.expected()
		var extra, missing []string
		for k := range g {
			if !want[k] {
				extra = append(extra, k)
			}
		}
		for k := range want {
			if !g[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(extra)
		sort.Strings(missing)
		if len(extra) > 0 {
			t.Errorf("%s grants more than it needs: %v", f.LogicalID, extra)
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks what it needs: %v", f.LogicalID, missing)
		}
		if (RefTo(tp.Env(f)["OPERATION_QUEUE_URL"]) != "") != n.async {
			t.Errorf("%s: OPERATION_QUEUE_URL set = %v, but async = %v", f.LogicalID, tp.Env(f)["OPERATION_QUEUE_URL"] != nil, n.async)
		}
		if v := tp.Env(f)["HOOK_QUEUE_URL"]; (v != nil) != n.hookQueue {
			t.Errorf("%s: HOOK_QUEUE_URL set = %v, but hookQueue = %v", f.LogicalID, v != nil, n.hookQueue)
		} else if v != nil && (tp.Resources[RefTo(v)].Type != "AWS::SQS::Queue" || contains(f.Queues(), RefTo(v))) {
			t.Errorf("%s: HOOK_QUEUE_URL is %v, want !Ref <process-hook's queue> (TestHookDeployment)", f.LogicalID, v)
		}
		if v := tp.Env(f)["PAYOUT_OUTCOME_QUEUE_URL"]; (v != nil) != n.payoutOutcomes {
			t.Errorf("%s: PAYOUT_OUTCOME_QUEUE_URL set = %v, but payoutOutcomes = %v", f.LogicalID, v != nil, n.payoutOutcomes)
		} else if v != nil && !tp.isPayoutQueueURL(v) {
			t.Errorf("%s: PAYOUT_OUTCOME_QUEUE_URL is %v, want !If [<PayoutOutcomeQueueArn set>, !Ref PayoutOutcomeQueueUrl, !Ref AWS::NoValue]", f.LogicalID, v)
		}
	}
}

// isPayoutQueueURL: the variable is set from PayoutOutcomeQueueUrl under
// the condition its grant is under, and left out otherwise.
func (t *Template) isPayoutQueueURL(v any) bool {
	fn, a, ok := Intrinsic(v)
	args := List(a)
	return ok && fn == "Fn::If" && len(args) == 3 && t.isNotEmptyCondition(Str(args[0]), payoutQueueParam) &&
		RefTo(args[1]) == "PayoutOutcomeQueueUrl" && RefTo(args[2]) == "AWS::NoValue"
}

// TestOutcomeDestinations: EVENT_BUS_NAME is the parameter the bus grant
// is built from, for every function (an empty value means the default
// bus, which pkg/config accepts); the payout queue's parameters default
// to empty and have the conditions the grants use.
func TestOutcomeDestinations(t *testing.T) {
	tp := template(t)
	for _, f := range tp.Functions() {
		if RefTo(tp.Env(f)["EVENT_BUS_NAME"]) != eventBusParam {
			t.Errorf("%s: EVENT_BUS_NAME is %v, want !Ref %s (Globals)", f.LogicalID, tp.Env(f)["EVENT_BUS_NAME"], eventBusParam)
		}
	}
	for _, p := range []string{eventBusParam, payoutQueueParam, "PayoutOutcomeQueueUrl"} {
		if d, ok := tp.Parameters[p]["Default"]; !ok || d != "" {
			t.Errorf("parameter %s: Default %v, want \"\" (optional)", p, d)
		}
	}
	if _, err := config.FromEnv(func(k string) string {
		return map[string]string{"TABLE_NAME": "records", "PAGES_BUCKET": "lambda-mangopay-pages", "MANGOPAY_BASE_URL": "https://api.sandbox.mangopay.com",
			"MANGOPAY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mangopay-AbCdEf", "EVENT_BUS_NAME": ""}[k]
	}); err != nil {
		t.Errorf("an empty EVENT_BUS_NAME (parameter EventBusName's default): %v", err)
	}
}

func isIndex(name string) bool {
	for _, ix := range records.Schema.Indexes {
		if ix.Name == name {
			return true
		}
	}
	return false
}
