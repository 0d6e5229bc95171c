package operations_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func naturalBody(ext, category string) map[string]any {
	b := map[string]any{
		"external_user_id": ext, "user_category": category, "terms_and_conditions_accepted": category == "OWNER",
		"first_name": "Alex", "last_name": "Smith", "email": "alex@example.com",
	}
	if category == "OWNER" {
		b["birthday"], b["nationality"], b["country_of_residence"] = "1990-04-21", "FR", "FR"
	}
	return b
}

func createNatural(e *testenv.Env) api.HTTPHandler {
	return api.HTTP(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
}

func TestCreateNaturalUser(t *testing.T) {
	e := testenv.New(t)
	resp := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "OWNER"), nil))
	rec := record(t, resp, http.StatusCreated)
	if rec.Kind != records.KindUserNatural || rec.SyncState != records.SyncSynced || rec.MangopayID == "" || rec.OwnerRef != "ext-1" {
		t.Fatalf("record %+v", rec)
	}
	if rec.User.KYCLevel != "LIGHT" || rec.User.Natural.Birthday.Format("2006-01-02") != "1990-04-21" || rec.RecheckAt != nil {
		t.Fatalf("user part %+v %+v recheck %v", rec.User, rec.User.Natural, rec.RecheckAt)
	}
	stored, err := e.Deps.Service.Records.GetByMangopayID(e.Ctx, rec.MangopayID)
	if err != nil || stored.ID != rec.ID || len(stored.Raw) == 0 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users at Mangopay = %d", n)
	}
	req := e.Fake.Requests()
	if last := req[len(req)-1]; last.IdempotencyKey != records.IdempotencyKey(rec.ID) {
		t.Fatalf("Idempotency-Key %q, want one derived from the record %s", last.IdempotencyKey, rec.ID)
	}
}

func TestCreateUserRejectsBadInputAndWritesNothing(t *testing.T) {
	e := testenv.New(t)
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"missing fields", map[string]any{"user_category": "PAYER"}, []string{"external_user_id", "first_name", "last_name", "email"}},
		{"owner without terms and identity", map[string]any{"external_user_id": "x", "user_category": "OWNER", "first_name": "A", "last_name": "B", "email": "a@example.com"},
			[]string{"terms_and_conditions_accepted", "birthday", "nationality", "country_of_residence"}},
		{"bad values", map[string]any{"external_user_id": "x", "user_category": "BOSS", "first_name": "A", "last_name": "B", "email": "nope",
			"birthday": "21/04/1990", "nationality": "fra", "address": map[string]any{"line1": "1 rue", "country": "US"}},
			[]string{"user_category", "email", "birthday", "nationality", "address.city", "address.postal_code", "address.region"}},
		{"unknown field", map[string]any{"external_user_id": "x", "surname": "B"}, []string{"surname"}},
		{"wrong type", map[string]any{"external_user_id": 12}, []string{"external_user_id"}},
		{"not json", "{", []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, tt.body, nil))
			wantFields(t, problemFields(t, resp, http.StatusBadRequest), tt.fields...)
		})
	}
	if n := e.Fake.Count("users"); n != 0 {
		t.Fatalf("Mangopay got %d users", n)
	}
	if n := countRecords(t, e, "x", ""); n != 0 {
		t.Fatalf("%d records written", n)
	}
}

func TestCreateUserIdempotencyKey(t *testing.T) {
	e := testenv.New(t)
	key := map[string]string{"Idempotency-Key": "order-42-seller"}
	first := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), key))
	again := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), key))
	if first.StatusCode != 201 || again.StatusCode != 201 || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %q / %d %q %v", first.StatusCode, first.Body, again.StatusCode, again.Body, again.Headers)
	}
	other := naturalBody("ext-1", "PAYER")
	other["first_name"] = "Sam"
	conflict := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, other, key))
	problemFields(t, conflict, http.StatusConflict)
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users at Mangopay = %d, want 1", n)
	}
}

func TestConcurrentDuplicatesMakeOneUser(t *testing.T) {
	e := testenv.New(t)
	h := createNatural(e)
	req := testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), map[string]string{"idempotency-key": "same-request-20x"})
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() { codes <- call(t, h, req).StatusCode })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusCreated && c != http.StatusConflict {
			t.Fatalf("status %d", c)
		}
	}
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users at Mangopay = %d, want 1", n)
	}
	if n := countRecords(t, e, "ext-1", records.KindUserNatural); n != 1 {
		t.Fatalf("records = %d, want 1", n)
	}
	final := call(t, h, req)
	if final.StatusCode != http.StatusCreated {
		t.Fatalf("after the race: %d %s", final.StatusCode, final.Body)
	}
}

func TestRespondAsyncFinishesThroughTheQueue(t *testing.T) {
	e := testenv.New(t)
	op := e.Deps.Service.CreateNaturalUserOp()
	resp := call(t, api.HTTP(op, e.Deps.API), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"),
		map[string]string{"prefer": "respond-async", "idempotency-key": "async-user-0001"}))
	pending := record(t, resp, http.StatusAccepted)
	if pending.SyncState != records.SyncPending || pending.MangopayID != "" || e.Fake.Count("users") != 0 {
		t.Fatalf("202 answer %+v; users at Mangopay %d", pending, e.Fake.Count("users"))
	}
	msgs := e.Messages(t, e.Queue)
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	// Delivered twice, as SQS may: one user, one record.
	for range 2 {
		out, err := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...))
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v %v", out, err)
		}
	}
	got, err := e.Deps.Service.Records.Get(e.Ctx, pending.ID)
	if err != nil || got.SyncState != records.SyncSynced || got.MangopayID == "" {
		t.Fatalf("record after the worker: %+v %v", got, err)
	}
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users at Mangopay = %d", n)
	}
	replay := call(t, api.HTTP(op, e.Deps.API), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"),
		map[string]string{"prefer": "respond-async", "idempotency-key": "async-user-0001"}))
	if r := record(t, replay, http.StatusCreated); r.ID != pending.ID || r.MangopayID != got.MangopayID {
		t.Fatalf("replay after completion: %+v", r)
	}
}

func TestQueueBatchDeadLettersWhatCanNeverSucceed(t *testing.T) {
	e := testenv.New(t)
	h := api.SQS(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	good := naturalBody("ext-1", "PAYER")
	good["idempotency_key"] = "batch-msg-good"
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records,
		testenv.Message("m-bad-json", "{not json", nil),
		testenv.Message("m-good", good, nil),
		testenv.Message("m-invalid", map[string]any{"external_user_id": "ext-2", "user_category": "BOSS"}, nil),
	)
	out, err := h(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("batch: %+v %v", out, err)
	}
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users = %d, want 1", n)
	}
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	for _, m := range dead {
		reason := m.MessageAttributes[api.AttrFailureReason].StringValue
		if reason == nil || *reason == "" || *m.MessageAttributes[api.AttrOperation].StringValue != "create-natural-user" {
			t.Fatalf("dead letter without its reason: %+v", m.MessageAttributes)
		}
	}
}

func TestQueueRetriesTransientFailuresWithoutDuplicates(t *testing.T) {
	e := testenv.New(t)
	h := api.SQS(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", Status: 503})
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-1", naturalBody("ext-1", "PAYER"), nil))
	out, _ := h(e.Ctx, ev)
	if len(out.BatchItemFailures) != 1 || out.BatchItemFailures[0].ItemIdentifier != "m-1" {
		t.Fatalf("want m-1 retried, got %+v", out)
	}
	if len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatal("a transient failure was dead-lettered")
	}
	e.Fake.ClearFaults()
	out, _ = h(e.Ctx, ev)
	if len(out.BatchItemFailures) != 0 {
		t.Fatalf("redelivery failed: %+v", out)
	}
	if n, r := e.Fake.Count("users"), countRecords(t, e, "ext-1", records.KindUserNatural); n != 1 || r != 1 {
		t.Fatalf("users %d, records %d, want 1 and 1", n, r)
	}
}

func TestMangopayRefusalIs422AndRecorded(t *testing.T) {
	e := testenv.New(t)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", Status: 400, Times: 1})
	resp := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), nil))
	problemFields(t, resp, http.StatusUnprocessableEntity)
	recs, _, _ := e.Deps.Service.Records.ListByOwner(e.Ctx, "ext-1", records.KindUserNatural, 10, "")
	if len(recs) != 1 || recs[0].SyncState != records.SyncFailed || recs[0].SyncError == "" {
		t.Fatalf("records %+v", recs)
	}
}

func TestCreateLegalUserEveryType(t *testing.T) {
	e := testenv.New(t)
	h := api.HTTP(e.Deps.Service.CreateLegalUserOp(), e.Deps.API)
	addr := map[string]any{"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
	for i, lpt := range operations.LegalPersonTypes() {
		body := map[string]any{
			"external_user_id": fmt.Sprintf("org-%d", i), "user_category": "OWNER", "terms_and_conditions_accepted": true,
			"legal_person_type": lpt, "name": "Acme " + lpt, "email": "legal@example.com", "headquarters_address": addr,
			"company_number":       "123456789",
			"legal_representative": map[string]any{"first_name": "Ann", "last_name": "Lee", "birthday": "1980-01-02", "nationality": "FR", "country_of_residence": "FR"},
		}
		rec := record(t, call(t, h, testenv.Request("POST", "/users/legal", nil, body, nil)), http.StatusCreated)
		if rec.User.LegalPersonType != lpt || rec.User.HeadquartersAddress.City != "Paris" || rec.User.LegalRepresentative.LastName != "Lee" {
			t.Fatalf("%s: %+v", lpt, rec.User)
		}
	}
	bad := map[string]any{"external_user_id": "org-x", "user_category": "OWNER", "terms_and_conditions_accepted": true,
		"legal_person_type": "BUSINESS", "name": "Acme", "email": "legal@example.com",
		"legal_representative": map[string]any{"first_name": "Ann", "last_name": "Lee"}}
	fields := problemFields(t, call(t, h, testenv.Request("POST", "/users/legal", nil, bad, nil)), http.StatusBadRequest)
	wantFields(t, fields, "headquarters_address", "company_number", "legal_representative.birthday")
}

func TestUpdateUserSyncsTheRecord(t *testing.T) {
	e := testenv.New(t)
	user := record(t, call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), nil)), 201)
	upd := api.HTTP(e.Deps.Service.UpdateUserOp(), e.Deps.API)
	params := map[string]string{"user_id": user.ID}
	resp := call(t, upd, testenv.Request("PUT", "/users/"+user.ID, params, map[string]any{
		"user_category": "OWNER", "terms_and_conditions_accepted": true, "first_name": "Alexandra",
		"birthday": "1990-04-21", "nationality": "FR", "country_of_residence": "FR"}, nil))
	got := record(t, resp, http.StatusOK)
	if got.User.Natural.FirstName != "Alexandra" || got.User.UserCategory != "OWNER" || got.Version != user.Version+1 {
		t.Fatalf("updated record %+v %+v", got.User, got.User.Natural)
	}
	raw, _ := e.Fake.Object("users", user.MangopayID)
	if !containsAll(string(raw), `"FirstName":"Alexandra"`, `"UserCategory":"OWNER"`) {
		t.Fatalf("Mangopay still has %s", raw)
	}
	tests := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"user_category": "PAYER"}, "user_category"},
		{map[string]any{"terms_and_conditions_accepted": false}, "terms_and_conditions_accepted"},
		{map[string]any{"name": "Acme"}, "name"},
	}
	for _, tt := range tests {
		fields := problemFields(t, call(t, upd, testenv.Request("PUT", "/users/"+user.ID, params, tt.body, nil)), http.StatusBadRequest)
		wantFields(t, fields, tt.field)
	}
	missing := call(t, upd, testenv.Request("PUT", "/users/usn_01JZZZZZZZZZZZZZZZZZZZZZZZ", map[string]string{"user_id": "usn_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, map[string]any{"first_name": "X"}, nil))
	problemFields(t, missing, http.StatusNotFound)
}

func TestGetUserFromRecordOrRefreshed(t *testing.T) {
	e := testenv.New(t)
	user := record(t, call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "OWNER"), nil)), 201)
	get := api.HTTP(e.Deps.Service.GetUserOp(), e.Deps.API)
	if err := e.Fake.SetKYCLevel(user.MangopayID, "REGULAR"); err != nil {
		t.Fatal(err)
	}
	plain := record(t, call(t, get, testenv.Request("GET", "/users/"+user.ID, map[string]string{"user_id": user.ID}, nil, nil)), 200)
	if plain.User.KYCLevel != "LIGHT" {
		t.Fatalf("plain GET should answer from the record, got %s", plain.User.KYCLevel)
	}
	before := len(e.Fake.Requests())
	req := testenv.Request("GET", "/users/"+user.ID, map[string]string{"user_id": user.ID}, nil, nil)
	req.QueryStringParameters = map[string]string{"refresh": "true"}
	fresh := record(t, call(t, get, req), 200)
	if fresh.User.KYCLevel != "REGULAR" || len(e.Fake.Requests()) != before+1 {
		t.Fatalf("refresh: level %s, %d Mangopay calls", fresh.User.KYCLevel, len(e.Fake.Requests())-before)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, user.ID)
	if stored.User.KYCLevel != "REGULAR" {
		t.Fatal("refresh was not stored")
	}
	bad := call(t, get, testenv.Request("GET", "/users/../etc", map[string]string{"user_id": "../etc"}, nil, nil))
	wantFields(t, problemFields(t, bad, http.StatusBadRequest), "user_id")
}

func TestCrashAfterMangopayAnsweredIsRecoveredWithoutASecondUser(t *testing.T) {
	e := testenv.New(t)
	// Mangopay creates the user but its answer is lost, and our write of
	// the answer fails once: the retry must find the first user through
	// the same Idempotency-Key, not create a second one.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", DropAfterCommit: true, Times: 1})
	e.Faults.Arm("DynamoDB", "PutItem", awstest.FaultHook{Fail: func(in any) error {
		if state, ok := in.(*dynamodb.PutItemInput).Item["sync_state"].(*ddbtypes.AttributeValueMemberS); ok && state.Value == "SYNCED" {
			return awstest.ErrInjected
		}
		return nil
	}})
	req := testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), map[string]string{"idempotency-key": "crash-test-key-1"})
	first := call(t, createNatural(e), req)
	if first.StatusCode != http.StatusServiceUnavailable && first.StatusCode != http.StatusInternalServerError {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	rec := record(t, call(t, createNatural(e), req), http.StatusCreated)
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("users at Mangopay = %d, want 1", n)
	}
	if n := countRecords(t, e, "ext-1", records.KindUserNatural); n != 1 || rec.SyncState != records.SyncSynced {
		t.Fatalf("records = %d, state %s", n, rec.SyncState)
	}
}

func TestReplayedRefusalCarriesTheSameProblem(t *testing.T) {
	e := testenv.New(t)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", Status: 400, Times: 1})
	req := testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"), map[string]string{"idempotency-key": "refused-once-0001"})
	first := call(t, createNatural(e), req)
	problemFields(t, first, http.StatusUnprocessableEntity)
	again := call(t, createNatural(e), req)
	problemFields(t, again, http.StatusUnprocessableEntity)
	if again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay %q (headers %v), want the first answer %q", again.Body, again.Headers, first.Body)
	}
	if n := e.Fake.Count("users"); n != 0 {
		t.Fatalf("users at Mangopay = %d", n)
	}
}

func TestWorkForAUserNotYetAtMangopayIsRetriedNotDeadLettered(t *testing.T) {
	e := testenv.New(t)
	resp := call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "PAYER"),
		map[string]string{"prefer": "respond-async"}))
	user := record(t, resp, http.StatusAccepted)
	wallet := api.SQS(e.Deps.Service.CreateWalletOp(), e.Deps.API)
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("w-1", map[string]any{"user_id": user.ID, "description": "main", "currency": "EUR"}, nil))
	out, _ := wallet(e.Ctx, ev)
	if len(out.BatchItemFailures) != 1 || len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatalf("a wallet for a pending user must be retried, not dead-lettered: %+v", out)
	}
	userQueue := e.Messages(t, e.Queue)
	if out, _ := api.SQS(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)(e.Ctx, testenv.SQSEvent(userQueue...)); len(out.BatchItemFailures) != 0 {
		t.Fatalf("user worker: %+v", out)
	}
	if out, _ := wallet(e.Ctx, ev); len(out.BatchItemFailures) != 0 {
		t.Fatalf("the retried wallet message failed: %+v", out)
	}
	if n := e.Fake.Count("wallets"); n != 1 {
		t.Fatalf("wallets = %d", n)
	}
}
