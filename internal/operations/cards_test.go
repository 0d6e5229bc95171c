package operations_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Sandbox cards (reference §21.3): one that pays without 3-D Secure, one
// that always asks for it. cpCVV is what the browser types; neither may
// ever appear in our logs or records.
const (
	cpFrictionlessPAN = "4970107111111119"
	cpChallengePAN    = "4970105181818183"
	cpCVV             = "737"
)

// cpExpiry is a card expiry two years ahead, MMYY.
func cpExpiry() string { return time.Now().AddDate(2, 0, 0).Format("0106") }

// cpUser creates a PAYER natural user through its operation.
func cpUser(t *testing.T, e *testenv.Env, ext string) *records.Record {
	t.Helper()
	return record(t, call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody(ext, "PAYER"), nil)), http.StatusCreated)
}

// cpWallet creates a wallet of the user at Mangopay and its record, as
// create-wallet keeps it (owner's external id, ParentID the user record).
func cpWallet(t *testing.T, e *testenv.Env, user *records.Record, currency string) *records.Record {
	t.Helper()
	var raw json.RawMessage
	w, err := e.Deps.Service.MP.CreateWallet(e.Ctx, &mangopay.WalletCreate{Owners: []string{user.MangopayID},
		Description: "test wallet", Currency: currency}, mangopay.WithRawResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	rec := &records.Record{Kind: records.KindWallet, OwnerRef: user.OwnerRef, ParentID: user.ID, MangopayID: w.ID,
		SyncState: records.SyncSynced, Raw: raw, Wallet: &records.Wallet{Description: "test wallet", Currency: currency,
			Balance: records.Money{Currency: currency}}}
	if err := e.Deps.Service.Records.Create(e.Ctx, rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// cpRegistration creates a card registration over HTTP.
func cpRegistration(t *testing.T, e *testenv.Env, user *records.Record, currency string) *operations.CardRegistrationAnswer {
	t.Helper()
	resp := call(t, api.HTTP(e.Deps.Service.CreateCardRegistrationOp(), e.Deps.API),
		testenv.Request("POST", "/users/"+user.ID+"/card-registrations", map[string]string{"user_id": user.ID},
			map[string]any{"currency": currency}, nil))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create card registration: %d %s", resp.StatusCode, resp.Body)
	}
	var reg operations.CardRegistrationAnswer
	testenv.Decode(t, resp.Body, &reg)
	return &reg
}

// cpTokenize posts the card form to the registration's URL as the browser
// does, with net/http, and returns the vault's plain-text answer.
func cpTokenize(t *testing.T, reg *operations.CardRegistrationAnswer, pan string) string {
	t.Helper()
	res, err := http.PostForm(reg.CardRegistrationURL, url.Values{
		"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {pan}, "cardExpirationDate": {cpExpiry()}, "cardCvx": {cpCVV},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func cpComplete(e *testenv.Env, regID string, body map[string]any) events.APIGatewayV2HTTPRequest {
	return testenv.Request("PUT", "/card-registrations/"+regID, map[string]string{"card_registration_id": regID}, body, nil)
}

// cpCard registers a card of the user through the whole flow.
func cpCard(t *testing.T, e *testenv.Env, user *records.Record, pan, currency string) *records.Record {
	t.Helper()
	reg := cpRegistration(t, e, user, currency)
	data := cpTokenize(t, reg, pan)
	resp := call(t, api.HTTP(e.Deps.Service.CompleteCardRegistrationOp(), e.Deps.API),
		cpComplete(e, reg.ID, map[string]any{"registration_data": data}))
	return record(t, resp, http.StatusOK)
}

// cpRequests counts the requests the fake got with this method whose path
// contains part.
func cpRequests(e *testenv.Env, method, part string) int {
	n := 0
	for _, r := range e.Fake.Requests() {
		if r.Method == method && strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

// cpNoCardData fails if text holds the card number, the CVV as a value, or
// the vault's token.
func cpNoCardData(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range append([]string{cpFrictionlessPAN, cpChallengePAN, `"` + cpCVV + `"`, "=" + cpCVV, "cardCvx", "cardNumber"}, secrets...) {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("%s contains %q", where, s)
		}
	}
}

func TestCardRegistrationFlowAsABrowser(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	reg := cpRegistration(t, e, user, "EUR")
	if reg.Kind != records.KindCardRegistration || reg.SyncState != records.SyncSynced || reg.Status != "CREATED" ||
		reg.ParentID != user.ID || reg.OwnerRef != "buyer-1" || reg.CardRegistration.Currency != "EUR" {
		t.Fatalf("registration record %+v", reg.Record)
	}
	if reg.AccessKey == "" || reg.PreregistrationData == "" || !strings.HasPrefix(reg.CardRegistrationURL, e.Fake.URL+"/") {
		t.Fatalf("the browser did not get what it needs: %+v", reg)
	}
	// The tokenization values go to the browser, never to the table.
	stored, err := e.Deps.Service.Records.Get(e.Ctx, reg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if raw := string(stored.Raw); strings.Contains(raw, reg.AccessKey) || strings.Contains(raw, reg.PreregistrationData) || !strings.Contains(raw, records.Redacted) {
		t.Fatalf("stored raw payload keeps tokenization secrets: %s", raw)
	}

	data := cpTokenize(t, reg, cpFrictionlessPAN)
	if !strings.HasPrefix(data, "data=") {
		t.Fatalf("vault answered %q", data)
	}
	complete := api.HTTP(e.Deps.Service.CompleteCardRegistrationOp(), e.Deps.API)
	card := record(t, call(t, complete, cpComplete(e, reg.ID, map[string]any{"registration_data": data, "card_holder_name": "Alex Smith"})), http.StatusOK)
	if card.Kind != records.KindCard || card.SyncState != records.SyncSynced || card.OwnerRef != "buyer-1" || card.ParentID != reg.ID {
		t.Fatalf("card record %+v", card)
	}
	c := card.Card
	if c.Alias != "497010XXXXXX1119" || c.ExpirationDate != cpExpiry() || c.CardProvider != "VISA" || !c.Active ||
		c.Validity != "UNKNOWN" || c.Currency != "EUR" || c.CardType != "CB_VISA_MASTERCARD" || c.Fingerprint == "" {
		t.Fatalf("card part %+v", c)
	}
	// The card is the one Mangopay made for this registration.
	var mpReg struct{ CardId, Status string }
	raw, _ := e.Fake.Object("cardregistrations", reg.MangopayID)
	_ = json.Unmarshal(raw, &mpReg)
	if mpReg.Status != "VALIDATED" || card.MangopayID != mpReg.CardId {
		t.Fatalf("card %s, Mangopay's registration %+v", card.MangopayID, mpReg)
	}
	regRec, _ := e.Deps.Service.Records.Get(e.Ctx, reg.ID)
	if regRec.Status != "VALIDATED" || regRec.ResultCode != "000000" || regRec.CardRegistration.CardID != card.MangopayID {
		t.Fatalf("registration after completion %+v %+v", regRec, regRec.CardRegistration)
	}

	// Completing again answers the same card, without asking Mangopay to
	// complete anything.
	puts := cpRequests(e, "PUT", "/cardregistrations/")
	again := record(t, call(t, complete, cpComplete(e, reg.ID, map[string]any{"registration_data": data})), http.StatusOK)
	if again.ID != card.ID || again.MangopayID != card.MangopayID || e.Fake.Count("cards") != 1 || cpRequests(e, "PUT", "/cardregistrations/") != puts {
		t.Fatalf("second completion: %s/%s, %d cards, %d PUTs", again.ID, again.MangopayID, e.Fake.Count("cards"), cpRequests(e, "PUT", "/cardregistrations/")-puts)
	}
	if n := countRecords(t, e, "buyer-1", records.KindCard); n != 1 {
		t.Fatalf("%d card records", n)
	}
	cpNoCardData(t, "logs", e.Logs(), strings.TrimPrefix(data, "data="))
	cardRec, _ := json.Marshal(card)
	cpNoCardData(t, "card record", string(cardRec)+string(regRec.Raw), strings.TrimPrefix(data, "data="))
}

func TestCompleteCardRegistrationTakesNoCardIDFromTheCaller(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	victim := cpCard(t, e, cpUser(t, e, "someone-else"), cpFrictionlessPAN, "EUR")
	reg := cpRegistration(t, e, user, "EUR")
	complete := api.HTTP(e.Deps.Service.CompleteCardRegistrationOp(), e.Deps.API)
	resp := call(t, complete, cpComplete(e, reg.ID, map[string]any{"registration_data": "data=whatever", "card_id": victim.ID}))
	wantFields(t, problemFields(t, resp, http.StatusBadRequest), "card_id")
	resp = call(t, complete, cpComplete(e, reg.ID, map[string]any{"registration_data": "card=" + victim.MangopayID}))
	wantFields(t, problemFields(t, resp, http.StatusBadRequest), "registration_data")
	if n := countRecords(t, e, "buyer-1", records.KindCard); n != 0 {
		t.Fatalf("%d cards for buyer-1", n)
	}
}

func TestCardRegistrationRefusedIs422WithTheResultCode(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	reg := cpRegistration(t, e, user, "EUR")
	data := cpTokenize(t, reg, "4970107111111118") // fails the Luhn check
	if data != "errorCode=02625" {
		t.Fatalf("vault answered %q", data)
	}
	complete := api.HTTP(e.Deps.Service.CompleteCardRegistrationOp(), e.Deps.API)
	for range 2 {
		resp := call(t, complete, cpComplete(e, reg.ID, map[string]any{"registration_data": data}))
		wantFields(t, problemFields(t, resp, http.StatusUnprocessableEntity), "registration_data")
		if !strings.Contains(resp.Body, "105202") {
			t.Fatalf("answer without the ResultCode: %s", resp.Body)
		}
	}
	if n := cpRequests(e, "PUT", "/cardregistrations/"); n != 1 {
		t.Fatalf("%d completions sent to Mangopay, want 1", n)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, reg.ID)
	if stored.Status != "ERROR" || stored.ResultCode != "105202" || stored.ResultMessage == "" || stored.CardRegistration.CardID != "" {
		t.Fatalf("stored registration %+v", stored)
	}
	if e.Fake.Count("cards") != 0 || countRecords(t, e, "buyer-1", records.KindCard) != 0 {
		t.Fatal("a card was made")
	}
}

func TestCardRegistrationThroughTheQueue(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	create := api.SQS(e.Deps.Service.CreateCardRegistrationOp(), e.Deps.API)
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-reg-1", map[string]any{"user_id": user.ID, "currency": "EUR", "card_type": "CB_VISA_MASTERCARD"}, nil))
	for range 2 { // delivered twice: one registration
		if out, err := create(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("create worker: %+v %v", out, err)
		}
	}
	recs, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, "buyer-1", records.KindCardRegistration, 10, "")
	if err != nil || len(recs) != 1 || recs[0].SyncState != records.SyncSynced || e.Fake.Count("cardregistrations") != 1 {
		t.Fatalf("registrations %+v %v, %d at Mangopay", recs, err, e.Fake.Count("cardregistrations"))
	}
	// The browser part, with what the fake holds for the registration.
	var mp struct{ AccessKey, PreregistrationData, CardRegistrationURL string }
	raw, _ := e.Fake.Object("cardregistrations", recs[0].MangopayID)
	_ = json.Unmarshal(raw, &mp)
	data := cpTokenize(t, &operations.CardRegistrationAnswer{AccessKey: mp.AccessKey, PreregistrationData: mp.PreregistrationData,
		CardRegistrationURL: mp.CardRegistrationURL}, cpFrictionlessPAN)

	complete := api.SQS(e.Deps.Service.CompleteCardRegistrationOp(), e.Deps.API)
	ev = testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-complete-1", map[string]any{"card_registration_id": recs[0].ID, "registration_data": data}, nil))
	for range 3 {
		if out, err := complete(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("complete worker: %+v %v", out, err)
		}
	}
	if e.Fake.Count("cards") != 1 || countRecords(t, e, "buyer-1", records.KindCard) != 1 || len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatalf("cards %d at Mangopay, %d records", e.Fake.Count("cards"), countRecords(t, e, "buyer-1", records.KindCard))
	}
	// A refused registration can never pass: it is dead-lettered with why.
	reg2 := cpRegistration(t, e, user, "EUR")
	ev = testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-complete-2", map[string]any{"card_registration_id": reg2.ID, "registration_data": "errorCode=02627"}, nil))
	if out, _ := complete(e.Ctx, ev); len(out.BatchItemFailures) != 0 {
		t.Fatalf("refusal retried: %+v", out)
	}
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 1 || !strings.Contains(*dead[0].MessageAttributes[api.AttrFailureReason].StringValue, "105204") {
		t.Fatalf("dead letters %+v", dead)
	}
}

func TestGetCardRefreshesFromMangopay(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	wallet := cpWallet(t, e, user, "EUR")
	card := cpCard(t, e, user, cpFrictionlessPAN, "EUR")
	// A payment makes the card VALID at Mangopay; our record does not know.
	record(t, call(t, api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), nil)), http.StatusCreated)
	get := api.HTTP(e.Deps.Service.GetCardOp(), e.Deps.API)
	before := cpRequests(e, "GET", "/cards/")
	got := record(t, call(t, get, testenv.Request("GET", "/cards/"+card.ID, map[string]string{"card_id": card.ID}, nil, nil)), http.StatusOK)
	if got.Card.Validity != "VALID" || got.Card.Alias != card.Card.Alias || got.Card.ExpirationDate != cpExpiry() || cpRequests(e, "GET", "/cards/") != before+1 {
		t.Fatalf("refreshed card %+v", got.Card)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, card.ID)
	if stored.Card.Validity != "VALID" || stored.Version != card.Version+1 {
		t.Fatalf("stored card %+v v%d", stored.Card, stored.Version)
	}
	missing := call(t, get, testenv.Request("GET", "/cards/crd_01JZZZZZZZZZZZZZZZZZZZZZZZ", map[string]string{"card_id": "crd_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, nil, nil))
	problemFields(t, missing, http.StatusNotFound)
	bad := call(t, get, testenv.Request("GET", "/cards/"+wallet.ID, map[string]string{"card_id": wallet.ID}, nil, nil))
	wantFields(t, problemFields(t, bad, http.StatusBadRequest), "card_id")
}

func TestDeactivateCardOverHTTPAndQueue(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	wallet := cpWallet(t, e, user, "EUR")
	card := cpCard(t, e, user, cpFrictionlessPAN, "EUR")
	del := api.HTTP(e.Deps.Service.DeactivateCardOp(), e.Deps.API)
	got := record(t, call(t, del, testenv.Request("DELETE", "/cards/"+card.ID, map[string]string{"card_id": card.ID}, nil, nil)), http.StatusOK)
	if got.Card.Active {
		t.Fatalf("card still active: %+v", got.Card)
	}
	raw, _ := e.Fake.Object("cards", card.MangopayID)
	if !strings.Contains(string(raw), `"Active":false`) {
		t.Fatalf("Mangopay's card %s", raw)
	}
	// Again, through the queue: the record says it is done; nothing is sent.
	puts := cpRequests(e, "PUT", "/cards/")
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-del-1", map[string]any{"card_id": card.ID}, nil))
	if out, err := api.SQS(e.Deps.Service.DeactivateCardOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	if cpRequests(e, "PUT", "/cards/") != puts || len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatal("deactivated twice at Mangopay")
	}
	// Paying with it fails at Mangopay (101410), stored on the pay-in.
	pay := record(t, call(t, api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), nil)), http.StatusCreated)
	if pay.Status != "FAILED" || pay.ResultCode != "101410" {
		t.Fatalf("pay-in with a deactivated card: %s %s", pay.Status, pay.ResultCode)
	}
}

func TestDeactivateCardAfterALostAnswer(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	card := cpCard(t, e, user, cpFrictionlessPAN, "EUR")
	del := api.HTTP(e.Deps.Service.DeactivateCardOp(), e.Deps.API)
	req := testenv.Request("DELETE", "/cards/"+card.ID, map[string]string{"card_id": card.ID}, nil, nil)
	// Mangopay deactivates the card, but its answer never arrives.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "PUT", Path: "/cards/", DropAfterCommit: true, Times: 1})
	if first := call(t, del, req); first.StatusCode < 500 {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, card.ID)
	if !stored.Card.Active {
		t.Fatal("the record changed without Mangopay's answer")
	}
	// The retry finds the card already inactive and stores that.
	got := record(t, call(t, del, req), http.StatusOK)
	if got.Card.Active {
		t.Fatalf("retry: %+v", got.Card)
	}
}

func TestCardRegistrationSecretsAreNeverStoredButReplayed(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-secrets")
	h := api.HTTP(e.Deps.Service.CreateCardRegistrationOp(), e.Deps.API)
	req := testenv.Request("POST", "/users/"+user.ID+"/card-registrations", map[string]string{"user_id": user.ID},
		map[string]any{"currency": "EUR"}, map[string]string{"idempotency-key": "card-reg-replay-1"})
	var first, again operations.CardRegistrationAnswer
	testenv.Decode(t, call(t, h, req).Body, &first)
	testenv.Decode(t, call(t, h, req).Body, &again)
	if first.AccessKey == "" || again.AccessKey != first.AccessKey || again.ID != first.ID || again.CardRegistrationURL != first.CardRegistrationURL {
		t.Fatalf("replay %+v, want the first registration %+v with its browser values", again, first)
	}
	if n := e.Fake.Count("cardregistrations"); n != 1 {
		t.Fatalf("card registrations at Mangopay = %d", n)
	}
	out, err := dynamodb.NewFromConfig(e.AWS).Scan(e.Ctx, &dynamodb.ScanInput{TableName: aws.String(e.Vars["TABLE_NAME"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		text := itemText(item)
		if strings.Contains(text, first.AccessKey) || strings.Contains(text, first.PreregistrationData) {
			t.Fatalf("the table holds the registration's access key or data: %s", text)
		}
	}
}

// itemText is every string and binary value of a DynamoDB item, as text.
func itemText(item map[string]ddbtypes.AttributeValue) string {
	var b strings.Builder
	var walk func(ddbtypes.AttributeValue)
	walk = func(v ddbtypes.AttributeValue) {
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			b.WriteString(x.Value + "\n")
		case *ddbtypes.AttributeValueMemberB:
			b.Write(append(x.Value, '\n'))
		case *ddbtypes.AttributeValueMemberM:
			for _, y := range x.Value {
				walk(y)
			}
		case *ddbtypes.AttributeValueMemberL:
			for _, y := range x.Value {
				walk(y)
			}
		}
	}
	for _, v := range item {
		walk(v)
	}
	return b.String()
}
