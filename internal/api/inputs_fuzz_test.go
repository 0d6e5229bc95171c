package api_test

// Fuzzing of every operation's request decoding and validation: the
// strict decoder (problem.Decode, api's merge of path and query values),
// internal/validate and each input type's Validate, through the real HTTP
// handler (api.HTTP) of every operation of the catalog, with the
// operation's Run replaced by a probe: the loop stays in-process and
// shows whether the operation would have run.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// probe is one operation's handler with Run replaced: ran says whether
// the operation was reached, input is what it was given (as JSON).
type probe struct {
	name   string
	method string
	fields map[string]bool // the input type's JSON field names
	handle func(events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse
	ran    bool
	input  []byte
}

// ids mints record ids for creates (api.Deps.IDs).
type ids struct{ g *records.IDGenerator }

func (i ids) NewID(k records.Kind) string { return i.g.New(k) }

func newProbe[T any, PT interface {
	*T
	api.Input
}](op api.Operation[T]) *probe {
	p := &probe{name: op.Name, method: routeMethod(op.Name), fields: jsonNames(reflect.TypeOf((*T)(nil)).Elem())}
	op.Run = func(_ context.Context, in *T, _ api.Call) (api.Result, error) {
		p.ran = true
		p.input, _ = json.Marshal(in)
		return api.OK(in), nil
	}
	d := api.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), IDs: ids{records.NewIDGenerator(nil)}}
	h := api.HTTP[T, PT](op, d)
	p.handle = func(req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		p.ran, p.input = false, nil
		resp, err := h(context.Background(), req)
		if err != nil {
			panic(err) // the HTTP handler answers every request
		}
		return resp
	}
	return p
}

// routeMethod is the HTTP method of an operation's route (openapi.yaml).
func routeMethod(name string) string {
	switch {
	case strings.HasPrefix(name, "get-"), name == "receive-hook":
		return http.MethodGet
	case strings.HasPrefix(name, "deactivate-"):
		return http.MethodDelete
	case name == "update-user", name == "complete-card-registration":
		return http.MethodPut
	}
	return http.MethodPost
}

// catalog is every operation, sorted by name (TestCatalogIsComplete).
func catalog() []*probe {
	s, h := &operations.Service{}, &operations.Hooks{}
	all := []*probe{
		newProbe(s.CreateNaturalUserOp()), newProbe(s.CreateLegalUserOp()), newProbe(s.UpdateUserOp()), newProbe(s.GetUserOp()),
		newProbe(s.CreateBankAccountOp()), newProbe(s.GetBankAccountOp()), newProbe(s.DeactivateBankAccountOp()),
		newProbe(s.CreateWalletOp()), newProbe(s.GetWalletOp()),
		newProbe(s.CreateCardRegistrationOp()), newProbe(s.CompleteCardRegistrationOp()), newProbe(s.GetCardOp()), newProbe(s.DeactivateCardOp()),
		newProbe(s.CreateCardPayInOp()), newProbe(s.CreateWebPayInOp()), newProbe(s.CreateBankWirePayInOp()), newProbe(s.GetPayInOp()),
		newProbe(s.CreatePreauthorizationOp()), newProbe(s.GetPreauthorizationOp()), newProbe(s.CancelPreauthorizationOp()), newProbe(s.CapturePreauthorizationOp()),
		newProbe(s.CreateDocumentOp()), newProbe(s.AddPageOp()), newProbe(s.SubmitDocumentOp()), newProbe(s.GetDocumentOp()),
		newProbe(s.CreateAndSubmitDocumentOp()), newProbe(s.GetKYCRequirementsOp()),
		newProbe(s.CreateTransferOp()), newProbe(s.GetTransferOp()), newProbe(s.RefundPayInOp()), newProbe(s.RefundTransferOp()),
		newProbe(s.GetRefundOp()), newProbe(s.CreatePayoutOp()), newProbe(s.GetPayoutOp()),
		newProbe(h.ReceiveHookOp()), newProbe(h.ProcessHookOp()),
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	return all
}

// TestCatalogIsComplete: the fuzz catalog holds every ...Op method of
// operations.Service and operations.Hooks, so a new operation cannot be
// left out of the fuzzing.
func TestCatalogIsComplete(t *testing.T) {
	want := map[string]bool{}
	for _, v := range []any{&operations.Service{}, &operations.Hooks{}} {
		rv := reflect.ValueOf(v)
		for i := 0; i < rv.NumMethod(); i++ {
			m := rv.Type().Method(i)
			if !strings.HasSuffix(m.Name, "Op") || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 {
				continue
			}
			op := rv.Method(i).Call(nil)[0]
			if op.Kind() == reflect.Struct && op.FieldByName("Name").IsValid() {
				want[op.FieldByName("Name").String()] = true
			}
		}
	}
	got := map[string]bool{}
	for _, p := range catalog() {
		got[p.name] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("catalog() has %v; the ...Op methods are %v", keys(got), keys(want))
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonNames are the JSON names of a struct's fields (embedded structs
// flattened).
func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k := range jsonNames(f.Type) {
				out[k] = true
			}
		case name != "":
			out[name] = true
		case f.IsExported():
			out[f.Name] = true
		}
	}
	return out
}

// request builds the API Gateway request of a route: named values go in
// the path parameters (the merge makes path and query alike).
func request(method string, body []byte, named map[string]string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", Body: string(body), PathParameters: named,
		Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method = method
	return req
}

// parseNamed reads "k=v&k2=v2" into single values.
func parseNamed(s string) map[string]string {
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range q {
		out[k] = v[0]
	}
	return out
}

// bodyKeys are the object keys at any depth of a JSON body (an unknown
// nested field is named by its own key).
func bodyKeys(body []byte) map[string]bool {
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				out[k] = true
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // 1e309 is a key's value too
	var v any
	if dec.Decode(&v) == nil {
		walk(v)
	}
	return out
}

var fieldRoot = regexp.MustCompile(`^[^.\[]+`)

// checkAnswer is the property every request must have: a 200 reached
// the operation exactly with a round-tripping input; anything else is a
// 400 problem+json naming fields of the input, the body or the path, and
// the operation was not reached.
func checkAnswer(t *testing.T, p *probe, body []byte, named map[string]string, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	switch resp.StatusCode {
	case http.StatusOK:
		if !p.ran {
			t.Fatalf("%s: 200 without running the operation", p.name)
		}
		in := p.input
		again := p.handle(request(p.method, in, nil))
		if again.StatusCode != http.StatusOK || string(p.input) != string(in) {
			t.Fatalf("%s: the decoded input %s does not round-trip: %d %s, then %s", p.name, in, again.StatusCode, again.Body, p.input)
		}
	case http.StatusBadRequest:
		if p.ran {
			t.Fatalf("%s: 400 after running the operation", p.name)
		}
		if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
			t.Fatalf("%s: 400 with Content-Type %q", p.name, ct)
		}
		var d problem.Details
		if err := json.Unmarshal([]byte(resp.Body), &d); err != nil || d.Status != 400 || d.Title == "" || len(d.Errors) == 0 {
			t.Fatalf("%s: 400 body %s (%v): want a problem with status 400 and field errors", p.name, resp.Body, err)
		}
		known := bodyKeys(body)
		for _, e := range d.Errors {
			root := fieldRoot.FindString(e.Field)
			given := func(k string) bool { return known[k] || hasKey(named, k) }
			if e.Reason == "" || !(root == "body" || p.fields[root] || given(root) || given(e.Field)) {
				t.Fatalf("%s: field error %+v names no field of the request (body %q, named %v)", p.name, e, body, named)
			}
		}
	default:
		t.Fatalf("%s: answered %d %s; bad input must be a 400", p.name, resp.StatusCode, resp.Body)
	}
}

// hasKey reports whether m has key k, comparing keys as JSON carries
// them (invalid UTF-8 replaced).
func hasKey(m map[string]string, k string) bool {
	for key := range m {
		if key == k || jsonString(key) == k {
			return true
		}
	}
	return false
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// placeholderRE is an events/ placeholder ({{NAME}}).
var placeholderRE = regexp.MustCompile(`\{\{([A-Z0-9_]+)\}\}`)

// placeholderID stands for a placeholder: an id of the kind its name
// says, or a plain value.
func placeholderID(g *records.IDGenerator, name string) string {
	kinds := []struct {
		word string
		kind records.Kind
	}{
		{"LEGAL_USER", records.KindUserLegal}, {"USER", records.KindUserNatural}, {"BANK_ACCOUNT", records.KindBankAccount},
		{"WALLET", records.KindWallet}, {"CARD_REGISTRATION", records.KindCardRegistration}, {"CARD", records.KindCard},
		{"PAYIN", records.KindPayIn}, {"PREAUTHORIZATION", records.KindPreauthorization}, {"REFUND", records.KindRefund},
		{"TRANSFER", records.KindTransfer}, {"PAYOUT_ID", records.KindPayout}, {"PAGE", records.KindPage}, {"DOCUMENT", records.KindDocument},
	}
	for _, k := range kinds {
		if strings.Contains(name, k.word) && strings.HasSuffix(name, "_ID") {
			return g.New(k.kind)
		}
	}
	return "data=abc123"
}

// eventSeeds are the bodies and path values of the events/ samples of
// each operation (HTTP requests, and SQS message bodies).
func eventSeeds(t testing.TB, ops []*probe) (seeds []struct {
	op    int
	body  []byte
	named string
}) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json: %v", err)
	}
	g := records.NewIDGenerator(nil)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		raw = placeholderRE.ReplaceAllFunc(raw, func(m []byte) []byte { return []byte(placeholderID(g, string(m[2:len(m)-2]))) })
		op := -1
		for i, p := range ops {
			base := filepath.Base(file)
			if rest, ok := strings.CutPrefix(base, p.name); ok && (rest[0] == '.' || rest[0] == '-') && (op < 0 || len(p.name) > len(ops[op].name)) {
				op = i
			}
		}
		if op < 0 {
			continue // re-check and hook jobs: no operation input
		}
		var ev struct {
			Body           string            `json:"body"`
			PathParameters map[string]string `json:"pathParameters"`
			Query          map[string]string `json:"queryStringParameters"`
			Records        []struct {
				Body string `json:"body"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		named := url.Values{}
		for k, v := range ev.PathParameters {
			named.Set(k, v)
		}
		for k, v := range ev.Query {
			named.Set(k, v)
		}
		add := func(body, named string) {
			seeds = append(seeds, struct {
				op    int
				body  []byte
				named string
			}{op, []byte(body), named})
		}
		if len(ev.Records) == 0 {
			add(ev.Body, named.Encode())
		}
		for _, r := range ev.Records {
			add(r.Body, "")
		}
	}
	return seeds
}

// badBodies are seeds every operation gets: wrong types, numbers out of
// range, unknown fields, broken JSON.
var badBodies = []string{
	``, `null`, `[]`, `"x"`, `{`, `{"a":1}{}`, `{"unknown_field":1}`,
	`{"debited_funds":{"amount":-1,"currency":"EUR"},"fees":{"amount":0,"currency":"EUR"}}`,
	`{"debited_funds":{"amount":1e309,"currency":"EUR"}}`,
	`{"debited_funds":{"amount":99999999999999999999,"currency":"EUR"}}`,
	`{"debited_funds":{"amount":"100","currency":"EUR"}}`,
	`{"debited_funds":{"amount":100,"currency":"EUR"},"fees":{"amount":10,"currency":"GBP"}}`,
	`{"debited_funds":{"amount":100,"currency":"EUR"},"fees":{"amount":101,"currency":"EUR"}}`,
	`{"iban":"FR7630004000031234567890144","bic":"BNPAFRP"}`,
	`{"file":"not base64!"}`, `{"file":"aGVsbG8="}`,
	`{"tag":` + `"` + strings.Repeat("x", 300) + `"}`,
}

// badNamed are path values every operation gets: traversal, encodings,
// very long ids.
var badNamed = []string{
	"user_id=../../etc/passwd", "user_id=%252e%252e%252f", "wallet_id=" + strings.Repeat("w", 5000),
	"document_id=doc_../x", "payout_id=pyo_01%00", "refresh=maybe", "EventType=x&Date=-1",
}

func FuzzOperationInputs(f *testing.F) {
	ops := catalog()
	for _, s := range eventSeeds(f, ops) {
		f.Add(uint8(s.op), s.body, s.named)
	}
	for i := range ops {
		for _, b := range badBodies {
			f.Add(uint8(i), []byte(b), "")
		}
		for _, n := range badNamed {
			f.Add(uint8(i), []byte(`{}`), n)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, body []byte, namedQuery string) {
		p := ops[int(i)%len(ops)]
		named := parseNamed(namedQuery)
		resp := p.handle(request(p.method, body, named))
		checkAnswer(t, p, body, named, resp)
	})
}
