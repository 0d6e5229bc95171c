package operations_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// acctOwnerAddress is a valid bank-account owner address.
var acctOwnerAddress = map[string]any{"line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"}

// bankCase is one valid account of each type: the fields to send, the
// full number that must reach Mangopay only, its masked form, and what
// Mangopay must have received besides.
type bankCase struct {
	typ     string
	fields  map[string]any
	number  string
	masked  string
	country string
	atMP    []string
}

var bankCases = []bankCase{
	{typ: "IBAN", fields: map[string]any{"iban": "DE89370400440532013000", "bic": "COBADEFF"},
		number: "DE89370400440532013000", masked: "DE89…3000", country: "DE",
		atMP: []string{`"IBAN":"DE89370400440532013000"`, `"BIC":"COBADEFF"`}},
	{typ: "GB", fields: map[string]any{"account_number": "55779911", "sort_code": "200000"},
		number: "55779911", masked: "…9911", country: "GB",
		atMP: []string{`"AccountNumber":"55779911"`, `"SortCode":"200000"`}},
	{typ: "US", fields: map[string]any{"account_number": "981276543", "aba": "071000288", "deposit_account_type": "CHECKING"},
		number: "981276543", masked: "…6543", country: "US",
		atMP: []string{`"AccountNumber":"981276543"`, `"ABA":"071000288"`, `"DepositAccountType":"CHECKING"`}},
	{typ: "CA", fields: map[string]any{"account_number": "7654321098", "institution_number": "614", "branch_code": "00152", "bank_name": "The Big Bank"},
		number: "7654321098", masked: "…1098", country: "CA",
		atMP: []string{`"AccountNumber":"7654321098"`, `"InstitutionNumber":"614"`, `"BranchCode":"00152"`, `"BankName":"The Big Bank"`}},
	{typ: "OTHER", fields: map[string]any{"account_number": "AU8877665544", "bic": "ANZBAU3M", "country": "AU"},
		number: "AU8877665544", masked: "…5544", country: "AU",
		atMP: []string{`"AccountNumber":"AU8877665544"`, `"BIC":"ANZBAU3M"`, `"Country":"AU"`}},
}

// allAccountNumbers are the full numbers used in these tests, which must
// never be stored, logged or answered.
func allAccountNumbers() []string {
	var n []string
	for _, c := range bankCases {
		n = append(n, c.number)
	}
	return n
}

// acctUser creates a synced natural OWNER user and returns its record.
func acctUser(t *testing.T, e *testenv.Env, ext string) *records.Record {
	t.Helper()
	body := map[string]any{"external_user_id": ext, "user_category": "OWNER", "terms_and_conditions_accepted": true,
		"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com",
		"birthday": "1985-12-10", "nationality": "GB", "country_of_residence": "GB"}
	h := api.HTTP(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	return record(t, call(t, h, testenv.Request("POST", "/users/natural", nil, body, nil)), http.StatusCreated)
}

// bankBody is a create-bank-account body of a case, with a tag.
func bankBody(c bankCase, tag string) map[string]any {
	b := map[string]any{"type": c.typ, "owner_name": "Ada Byron", "owner_address": acctOwnerAddress, "tag": tag}
	maps.Copy(b, c.fields)
	return b
}

// createBank posts a bank account for user through the HTTP face.
func createBank(e *testenv.Env, userID string, body any, headers map[string]string) events.APIGatewayV2HTTPResponse {
	h := api.HTTP(e.Deps.Service.CreateBankAccountOp(), e.Deps.API)
	resp, _ := h(e.Ctx, testenv.Request("POST", "/users/"+userID+"/bank-accounts", map[string]string{"user_id": userID}, body, headers))
	return resp
}

// withField returns a copy of m with k set to v (deleted when v is nil).
func withField(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// recordByTag finds the record of owner with this tag.
func recordByTag(t *testing.T, e *testenv.Env, owner string, kind records.Kind, tag string) *records.Record {
	t.Helper()
	recs, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, owner, kind, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if recs[i].Tag == tag {
			return &recs[i]
		}
	}
	t.Fatalf("no %s record of %s tagged %q among %d", kind, owner, tag, len(recs))
	return nil
}

// tableText is every string and binary value stored in the table
// (records, their raw Mangopay payloads, idempotency answers), joined.
func tableText(t *testing.T, e *testenv.Env) string {
	t.Helper()
	var b strings.Builder
	p := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(e.AWS), &dynamodb.ScanInput{TableName: aws.String(e.Vars["TABLE_NAME"])})
	for p.HasMorePages() {
		out, err := p.NextPage(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			collectText(&b, it)
		}
	}
	return b.String()
}

func collectText(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x + "\n")
	case []byte:
		b.Write(x)
		b.WriteString("\n")
	case map[string]any:
		for _, y := range x {
			collectText(b, y)
		}
	case []any:
		for _, y := range x {
			collectText(b, y)
		}
	}
}

// noNumbers fails when any full account number appears in text.
func noNumbers(t *testing.T, where, text string, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		if strings.Contains(text, n) {
			t.Fatalf("%s contains the full account number %s", where, n)
		}
	}
}

// mpRequests counts the requests Mangopay received with this method and a
// path containing part.
func mpRequests(e *testenv.Env, method, part string) int {
	n := 0
	for _, r := range e.Fake.Requests() {
		if r.Method == method && strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

// checkBankRecord checks a created account's record against its case.
func checkBankRecord(t *testing.T, e *testenv.Env, rec *records.Record, user *records.Record, c bankCase, tag string) {
	t.Helper()
	b := rec.BankAccount
	if rec.Kind != records.KindBankAccount || rec.SyncState != records.SyncSynced || rec.MangopayID == "" ||
		rec.OwnerRef != user.OwnerRef || rec.ParentID != user.ID || rec.Tag != tag || b == nil {
		t.Fatalf("record %+v", rec)
	}
	if b.Type != c.typ || b.AccountMasked != c.masked || !b.Active || b.OwnerName != "Ada Byron" ||
		b.OwnerAddress == nil || b.OwnerAddress.City != "London" || b.Country != c.country {
		t.Fatalf("bank account part %+v", b)
	}
	obj, ok := e.Fake.Object("bankaccounts", rec.MangopayID)
	if !ok || !containsAll(string(obj), c.atMP...) || !strings.Contains(string(obj), `"UserId":"`+user.MangopayID+`"`) {
		t.Fatalf("Mangopay holds %s, want %v for user %s", obj, c.atMP, user.MangopayID)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || stored.BankAccount.AccountMasked != c.masked || len(stored.Raw) == 0 {
		t.Fatalf("stored %+v %v", stored, err)
	}
}

func TestCreateBankAccountEveryTypeOverHTTPAndQueue(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	sqsH := api.SQS(e.Deps.Service.CreateBankAccountOp(), e.Deps.API)
	for _, c := range bankCases {
		t.Run(c.typ, func(t *testing.T) {
			resp := createBank(e, user.ID, bankBody(c, "http-"+c.typ), nil)
			noNumbers(t, "the answer", resp.Body, c.number)
			rec := record(t, resp, http.StatusCreated)
			checkBankRecord(t, e, rec, user, c, "http-"+c.typ)
			reqs := e.Fake.Requests()
			if last := reqs[len(reqs)-1]; last.IdempotencyKey != records.IdempotencyKey(rec.ID) ||
				!strings.HasSuffix(last.Path, "/users/"+user.MangopayID+"/bankaccounts/"+strings.ToLower(c.typ)) {
				t.Fatalf("Mangopay call %s %s key %q, want the %s endpoint with a key derived from %s", last.Method, last.Path, last.IdempotencyKey, c.typ, rec.ID)
			}

			msg := withField(bankBody(c, "sqs-"+c.typ), "user_id", user.ID)
			ev := events.SQSEvent{Records: []events.SQSMessage{testenv.Message("m-"+c.typ, msg, nil)}}
			out, err := sqsH(e.Ctx, ev)
			if err != nil || len(out.BatchItemFailures) != 0 {
				t.Fatalf("queue: %+v %v", out, err)
			}
			checkBankRecord(t, e, recordByTag(t, e, user.OwnerRef, records.KindBankAccount, "sqs-"+c.typ), user, c, "sqs-"+c.typ)
		})
	}
	if n := e.Fake.Count("bankaccounts"); n != 2*len(bankCases) {
		t.Fatalf("Mangopay has %d bank accounts, want %d", n, 2*len(bankCases))
	}
	if len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatal("a valid account was dead-lettered")
	}
	noNumbers(t, "the records table", tableText(t, e), allAccountNumbers()...)
	noNumbers(t, "the logs", e.Logs(), allAccountNumbers()...)
}

func TestCreateBankAccountRejectsBadInputWritingNothing(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	iban := bankBody(bankCases[0], "")
	gb, us, ca, other := bankBody(bankCases[1], ""), bankBody(bankCases[2], ""), bankBody(bankCases[3], ""), bankBody(bankCases[4], "")
	badIBAN := "FR7630004000031234567890144"
	tests := []struct {
		name   string
		userID string // path id; default the user's
		body   any
		fields []string
	}{
		{"bad IBAN checksum", "", withField(iban, "iban", badIBAN), []string{"iban"}},
		{"IBAN with spaces", "", withField(iban, "iban", "DE89 3704 0044 0532 0130 00"), []string{"iban"}},
		{"bad BIC", "", withField(iban, "bic", "COBA-DEFF"), []string{"bic"}},
		{"lowercase BIC", "", withField(other, "bic", "anzbau3m"), []string{"bic"}},
		{"IBAN missing", "", withField(iban, "iban", nil), []string{"iban"}},
		{"GB missing fields", "", withField(gb, "account_number", nil, "sort_code", nil), []string{"account_number", "sort_code"}},
		{"GB bad formats", "", withField(gb, "account_number", "5577991", "sort_code", "20-00-00"), []string{"account_number", "sort_code"}},
		{"US missing ABA, bad deposit type", "", withField(us, "aba", nil, "deposit_account_type", "CURRENT"), []string{"aba", "deposit_account_type"}},
		{"US ABA not 9 digits", "", withField(us, "aba", "07100028"), []string{"aba"}},
		{"CA missing fields", "", withField(ca, "institution_number", nil, "branch_code", nil, "bank_name", nil), []string{"institution_number", "branch_code", "bank_name"}},
		{"OTHER missing fields", "", withField(other, "bic", nil, "country", nil, "account_number", "1234"), []string{"bic", "country", "account_number"}},
		{"OTHER account with spaces", "", withField(other, "account_number", "AU88 7766 5544"), []string{"account_number"}},
		{"fields of another type", "", withField(iban, "sort_code", "200000", "aba", "071000288", "country", "DE"), []string{"sort_code", "aba", "country"}},
		{"GB with an IBAN", "", withField(gb, "iban", "DE89370400440532013000"), []string{"iban"}},
		{"lowercase country", "", withField(other, "country", "au"), []string{"country"}},
		{"lowercase owner country", "", withField(iban, "owner_address", map[string]any{"line1": "1 rue", "city": "Paris", "postal_code": "75002", "country": "fr"}), []string{"owner_address.country"}},
		{"owner address incomplete", "", withField(iban, "owner_address", map[string]any{"line1": "1 Main St", "country": "US"}), []string{"owner_address.city", "owner_address.postal_code", "owner_address.region"}},
		{"owner missing", "", withField(iban, "owner_name", nil, "owner_address", nil), []string{"owner_name", "owner_address"}},
		{"no type", "", withField(iban, "type", nil), []string{"type"}},
		{"unknown type", "", withField(iban, "type", "SEPA"), []string{"type"}},
		{"unknown field", "", withField(iban, "routing_number", "123"), []string{"routing_number"}},
		{"wrong JSON type", "", withField(gb, "account_number", 55779911), []string{"account_number"}},
		{"path traversal id", "../x", iban, []string{"user_id"}},
		{"id of another kind", "wlt_01JEXAMPLEEXAMPLEEXAMPLEX", iban, []string{"user_id"}},
	}
	var ev events.SQSEvent
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.userID
			if id == "" {
				id = user.ID
			}
			resp := createBank(e, id, tt.body, nil)
			noNumbers(t, "the answer", resp.Body, append(allAccountNumbers(), badIBAN)...)
			wantFields(t, problemFields(t, resp, http.StatusBadRequest), tt.fields...)
		})
		if m, ok := tt.body.(map[string]any); ok {
			id := tt.userID
			if id == "" {
				id = user.ID
			}
			ev.Records = append(ev.Records, testenv.Message("m-"+tt.name, withField(m, "user_id", id), nil))
		}
	}
	t.Run("user id in path and body", func(t *testing.T) {
		wantFields(t, problemFields(t, createBank(e, user.ID, withField(iban, "user_id", user.ID), nil), http.StatusBadRequest), "user_id")
	})

	// The same requests through the queue: each dead-lettered with its reason.
	out, err := api.SQS(e.Deps.Service.CreateBankAccountOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	dead := e.Messages(t, e.DLQ)
	if len(dead) != len(ev.Records) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(ev.Records))
	}
	byName := map[string][]string{}
	for _, tt := range tests {
		byName["m-"+tt.name] = tt.fields
	}
	for _, m := range dead {
		reason := aws.ToString(m.MessageAttributes[api.AttrFailureReason].StringValue)
		src := aws.ToString(m.MessageAttributes["Source-Message-Id"].StringValue)
		for _, f := range byName[src] {
			if !strings.Contains(reason, "; "+f+": ") {
				t.Fatalf("dead letter %s: reason %q does not name %s", src, reason, f)
			}
		}
		noNumbers(t, "a Failure-Reason", reason, append(allAccountNumbers(), badIBAN)...)
	}

	if n := e.Fake.Count("bankaccounts"); n != 0 {
		t.Fatalf("Mangopay got %d bank accounts", n)
	}
	if n := countRecords(t, e, user.OwnerRef, records.KindBankAccount); n != 0 {
		t.Fatalf("%d bank account records written", n)
	}
	noNumbers(t, "the logs", e.Logs(), append(allAccountNumbers(), badIBAN)...)
}

func TestBankAccountRefusedByMangopayIs422AndRecorded(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	// Valid for us, refused by Mangopay: a country it blocks.
	blocked := withField(bankBody(bankCases[4], "blocked"), "country", "MN")
	key := map[string]string{"Idempotency-Key": "blocked-country-account"}
	first := createBank(e, user.ID, blocked, key)
	wantFields(t, problemFields(t, first, http.StatusUnprocessableEntity), "Country")
	again := createBank(e, user.ID, blocked, key)
	// The replayed body is not compared: internal/api stores an error
	// answer's status but not its problem+json body.
	if again.StatusCode != http.StatusUnprocessableEntity || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %v %s", again.StatusCode, again.Headers, again.Body)
	}
	if n := mpRequests(e, "POST", "/bankaccounts/other"); n != 1 {
		t.Fatalf("Mangopay asked %d times, want 1", n)
	}
	rec := recordByTag(t, e, user.OwnerRef, records.KindBankAccount, "blocked")
	if rec.SyncState != records.SyncFailed || rec.SyncError == "" || rec.MangopayID != "" || rec.BankAccount.AccountMasked != "…5544" {
		t.Fatalf("record %+v %+v", rec, rec.BankAccount)
	}

	// Through the queue: a refusal can never pass, so it is dead-lettered.
	ev := events.SQSEvent{Records: []events.SQSMessage{testenv.Message("m-blocked", withField(blocked, "user_id", user.ID, "tag", "blocked-q"), nil)}}
	out, err := api.SQS(e.Deps.Service.CreateBankAccountOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 1 || !strings.Contains(aws.ToString(dead[0].MessageAttributes[api.AttrFailureReason].StringValue), "422") {
		t.Fatalf("dead letters %+v", dead)
	}
	if e.Fake.Count("bankaccounts") != 0 {
		t.Fatal("Mangopay kept a refused account")
	}
	noNumbers(t, "the records table", tableText(t, e), "AU8877665544")
	noNumbers(t, "the logs", e.Logs(), "AU8877665544")
}

func TestCreateBankAccountIdempotencyKey(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	key := map[string]string{"Idempotency-Key": "payout-account-0001"}
	first := createBank(e, user.ID, bankBody(bankCases[0], ""), key)
	again := createBank(e, user.ID, bankBody(bankCases[0], ""), key)
	if first.StatusCode != http.StatusCreated || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %s / %d %v %s", first.StatusCode, first.Body, again.StatusCode, again.Headers, again.Body)
	}
	other := withField(bankBody(bankCases[0], ""), "owner_name", "Someone Else")
	problemFields(t, createBank(e, user.ID, other, key), http.StatusConflict)
	if n := e.Fake.Count("bankaccounts"); n != 1 {
		t.Fatalf("Mangopay has %d bank accounts, want 1", n)
	}
	if n := countRecords(t, e, user.OwnerRef, records.KindBankAccount); n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
}

func TestCreateBankAccountRespondAsync(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	op := e.Deps.Service.CreateBankAccountOp()
	headers := map[string]string{"prefer": "respond-async", "idempotency-key": "async-account-0001"}
	resp := createBank(e, user.ID, bankBody(bankCases[1], "async"), headers)
	noNumbers(t, "the 202 answer", resp.Body, "55779911")
	pending := record(t, resp, http.StatusAccepted)
	if pending.SyncState != records.SyncPending || pending.BankAccount.AccountMasked != "…9911" || e.Fake.Count("bankaccounts") != 0 {
		t.Fatalf("202 answer %+v; accounts at Mangopay %d", pending, e.Fake.Count("bankaccounts"))
	}
	msgs := e.Messages(t, e.Queue)
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	for range 2 { // delivered twice, as SQS may
		out, err := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...))
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v %v", out, err)
		}
	}
	got, err := e.Deps.Service.Records.Get(e.Ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkBankRecord(t, e, got, user, bankCases[1], "async")
	if n := e.Fake.Count("bankaccounts"); n != 1 {
		t.Fatalf("Mangopay has %d bank accounts", n)
	}
	replay := createBank(e, user.ID, bankBody(bankCases[1], "async"), headers)
	if r := record(t, replay, http.StatusCreated); r.ID != pending.ID || r.MangopayID != got.MangopayID {
		t.Fatalf("replay after completion: %+v", r)
	}
}

func TestBankAccountQueueBatchDeadLettersTheBadMessage(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	good := withField(bankBody(bankCases[0], "good"), "user_id", user.ID)
	bad := withField(bankBody(bankCases[0], "bad"), "user_id", user.ID, "iban", "DE89370400440532013001")
	ev := events.SQSEvent{Records: []events.SQSMessage{
		testenv.Message("m-bad", bad, nil),
		testenv.Message("m-good", good, map[string]string{api.AttrIdempotencyKey: "batch-good-account"}),
	}}
	out, err := api.SQS(e.Deps.Service.CreateBankAccountOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("batch: %+v %v", out, err)
	}
	if n := e.Fake.Count("bankaccounts"); n != 1 {
		t.Fatalf("Mangopay has %d bank accounts, want 1", n)
	}
	checkBankRecord(t, e, recordByTag(t, e, user.OwnerRef, records.KindBankAccount, "good"), user, bankCases[0], "good")
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	attrs := dead[0].MessageAttributes
	reason := aws.ToString(attrs[api.AttrFailureReason].StringValue)
	if !strings.Contains(reason, "; iban: ") || aws.ToString(attrs[api.AttrOperation].StringValue) != "create-bank-account" ||
		aws.ToString(attrs["Source-Message-Id"].StringValue) != "m-bad" {
		t.Fatalf("dead letter attributes: reason %q, %+v", reason, attrs)
	}
	noNumbers(t, "the Failure-Reason", reason, "DE89370400440532013001", "DE89370400440532013000")
	noNumbers(t, "the logs", e.Logs(), "DE89370400440532013001", "DE89370400440532013000")
}

func TestDeactivateBankAccountCallsMangopayOnce(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	first := record(t, createBank(e, user.ID, bankBody(bankCases[0], "a"), nil), http.StatusCreated)
	second := record(t, createBank(e, user.ID, bankBody(bankCases[1], "b"), nil), http.StatusCreated)
	deact := api.HTTP(e.Deps.Service.DeactivateBankAccountOp(), e.Deps.API)
	del := func(id string) events.APIGatewayV2HTTPResponse {
		return call(t, deact, testenv.Request("DELETE", "/bank-accounts/"+id, map[string]string{"bank_account_id": id}, nil, nil))
	}
	puts := func() int { return mpRequests(e, "PUT", "/bankaccounts/") }

	got := record(t, del(first.ID), http.StatusOK)
	if got.BankAccount.Active || got.Version != first.Version+1 || got.SyncState != records.SyncSynced || got.BankAccount.AccountMasked != "DE89…3000" {
		t.Fatalf("after deactivation: %+v %+v", got, got.BankAccount)
	}
	if obj, _ := e.Fake.Object("bankaccounts", first.MangopayID); !strings.Contains(string(obj), `"Active":false`) {
		t.Fatalf("Mangopay still has %s", obj)
	}
	if n := puts(); n != 1 {
		t.Fatalf("%d PUTs, want 1", n)
	}
	again := record(t, del(first.ID), http.StatusOK)
	if again.Version != got.Version || again.BankAccount.Active || puts() != 1 {
		t.Fatalf("second deactivation: version %d (was %d), %d PUTs", again.Version, got.Version, puts())
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, first.ID)
	if stored.BankAccount.Active {
		t.Fatal("the record still shows the account active")
	}

	// Through the queue, delivered twice under different message ids.
	sqsH := api.SQS(e.Deps.Service.DeactivateBankAccountOp(), e.Deps.API)
	for _, id := range []string{"m-1", "m-2"} {
		out, err := sqsH(e.Ctx, events.SQSEvent{Records: []events.SQSMessage{testenv.Message(id, map[string]any{"bank_account_id": second.ID}, nil)}})
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("queue: %+v %v", out, err)
		}
	}
	if n := puts(); n != 2 {
		t.Fatalf("%d PUTs, want 2", n)
	}
	if s, _ := e.Deps.Service.Records.Get(e.Ctx, second.ID); s.BankAccount.Active {
		t.Fatal("queued deactivation not stored")
	}

	wantFields(t, problemFields(t, del("../x"), http.StatusBadRequest), "bank_account_id")
	wantFields(t, problemFields(t, del(user.ID), http.StatusBadRequest), "bank_account_id")
	problemFields(t, del("bnk_01JZZZZZZZZZZZZZZZZZZZZZZZ"), http.StatusNotFound)

	// An account Mangopay has not answered for yet cannot be deactivated.
	pending := record(t, createBank(e, user.ID, bankBody(bankCases[2], "p"),
		map[string]string{"prefer": "respond-async", "idempotency-key": "pending-account-01"}), http.StatusAccepted)
	problemFields(t, del(pending.ID), http.StatusConflict)
	if n := puts(); n != 2 {
		t.Fatalf("%d PUTs, want 2", n)
	}
}

func TestGetBankAccountFromRecordOrRefreshed(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	acc := record(t, createBank(e, user.ID, bankBody(bankCases[0], "a"), nil), http.StatusCreated)
	// Deactivated at Mangopay behind our back (e.g. from its dashboard).
	if _, err := e.Deps.Service.MP.DeactivateBankAccount(e.Ctx, user.MangopayID, acc.MangopayID); err != nil {
		t.Fatal(err)
	}
	get := api.HTTP(e.Deps.Service.GetBankAccountOp(), e.Deps.API)
	params := map[string]string{"bank_account_id": acc.ID}
	before := len(e.Fake.Requests())
	plain := record(t, call(t, get, testenv.Request("GET", "/bank-accounts/"+acc.ID, params, nil, nil)), http.StatusOK)
	if !plain.BankAccount.Active || len(e.Fake.Requests()) != before {
		t.Fatalf("plain GET must answer from the record: active %v, %d Mangopay calls", plain.BankAccount.Active, len(e.Fake.Requests())-before)
	}
	req := testenv.Request("GET", "/bank-accounts/"+acc.ID, params, nil, nil)
	req.QueryStringParameters = map[string]string{"refresh": "true"}
	resp := call(t, get, req)
	noNumbers(t, "the answer", resp.Body, "DE89370400440532013000")
	fresh := record(t, resp, http.StatusOK)
	if fresh.BankAccount.Active || fresh.BankAccount.AccountMasked != "DE89…3000" || mpRequests(e, "GET", "/bankaccounts/"+acc.MangopayID) != 1 ||
		len(e.Fake.Requests()) != before+1 {
		t.Fatalf("refresh: %+v, %d Mangopay calls", fresh.BankAccount, len(e.Fake.Requests())-before)
	}
	if stored, _ := e.Deps.Service.Records.Get(e.Ctx, acc.ID); stored.BankAccount.Active {
		t.Fatal("refresh was not stored")
	}
	bad := call(t, get, testenv.Request("GET", "/bank-accounts/../x", map[string]string{"bank_account_id": "../x"}, nil, nil))
	wantFields(t, problemFields(t, bad, http.StatusBadRequest), "bank_account_id")
	missing := "bnk_01JZZZZZZZZZZZZZZZZZZZZZZZ"
	problemFields(t, call(t, get, testenv.Request("GET", "/bank-accounts/"+missing, map[string]string{"bank_account_id": missing}, nil, nil)), http.StatusNotFound)
	noNumbers(t, "the records table", tableText(t, e), "DE89370400440532013000")
}

func TestBankAccountNumbersNeverLoggedEvenInDebugMode(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	// The same function built with MANGOPAY_DEBUG on, which logs every
	// Mangopay exchange with its bodies.
	vars := maps.Clone(e.Vars)
	vars["MANGOPAY_DEBUG"] = "true"
	env, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.SyncBuffer
	d, err := coldstart.New(context.Background(), env, e.AWS, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	h := api.HTTP(d.Service.CreateBankAccountOp(), d.API)
	for _, c := range bankCases {
		resp, _ := h(e.Ctx, testenv.Request("POST", "/users/"+user.ID+"/bank-accounts", map[string]string{"user_id": user.ID}, bankBody(c, c.typ), nil))
		record(t, resp, http.StatusCreated)
	}
	// A refusal and a retried outage log their errors too.
	resp, _ := h(e.Ctx, testenv.Request("POST", "/users/"+user.ID+"/bank-accounts", map[string]string{"user_id": user.ID},
		withField(bankBody(bankCases[4], "refused"), "country", "MN"), nil))
	problemFields(t, resp, http.StatusUnprocessableEntity)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/bankaccounts/iban", Status: 500, Times: 1})
	resp, _ = h(e.Ctx, testenv.Request("POST", "/users/"+user.ID+"/bank-accounts", map[string]string{"user_id": user.ID}, bankBody(bankCases[0], "retried"), nil))
	record(t, resp, http.StatusCreated)

	text := logs.String()
	if strings.Count(text, `"msg":"mangopay call"`) < len(bankCases)+2 || !strings.Contains(text, "mangopay retry") {
		t.Fatalf("debug mode did not log the Mangopay exchanges:\n%s", text)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil {
			t.Fatalf("not a JSON log line: %s", line)
		}
	}
	noNumbers(t, "the debug logs", text, allAccountNumbers()...)
	noNumbers(t, "the logs", e.Logs(), allAccountNumbers()...)
	noNumbers(t, "the records table", tableText(t, e), allAccountNumbers()...)
}
