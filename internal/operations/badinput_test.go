package operations_test

// Bad input on real parts (moto and the fake Mangopay): every route
// answers every invalid request with a 400 problem+json naming the field,
// and nothing is written: no DynamoDB write, no SQS send, no S3 write, no
// EventBridge event, no Mangopay call. With CHAOS_REPORT_DIR set, the
// table of what was tried goes to 50-bad-input.md.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// writeCalls are the AWS calls that change something.
var writeCalls = []string{
	"DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem", "DynamoDB.TransactWriteItems", "DynamoDB.BatchWriteItem",
	"SQS.SendMessage", "SQS.SendMessageBatch", "S3.PutObject", "S3.DeleteObject", "S3.CopyObject", "EventBridge.PutEvents",
}

// badRoute is one route and how to call it.
type badRoute struct {
	name, method, path string
	param              string // its path parameter ("" for none)
	handler            func(s *operations.Service, h *operations.Hooks, d api.Deps) api.HTTPHandler
	// body is a valid body, which the cases spoil ("" for a route
	// without one).
	body map[string]any
}

// badCase is one invalid request: what it is, the field the answer must
// name, and how to make it from a route's valid request.
type badCase struct {
	what, field string
	make        func(r badRoute, id string) events.APIGatewayV2HTTPRequest
}

func badRequest(r badRoute, id string, body any, headers map[string]string) events.APIGatewayV2HTTPRequest {
	params := map[string]string{}
	path := r.path
	if r.param != "" {
		params[r.param] = id
		path = strings.Replace(path, "{"+r.param+"}", id, 1)
	}
	if m, ok := body.(map[string]any); ok && m == nil {
		body = nil // a route without a body
	}
	h := map[string]string{"idempotency-key": "bad-input-" + records.NewIDGenerator(nil).ULID()}
	for k, v := range headers {
		h[k] = v
	}
	return testenv.Request(r.method, path, params, body, h)
}

// with returns r's body with field set (nil deletes it).
func with(r badRoute, field string, value any) map[string]any {
	b := map[string]any{}
	for k, v := range r.body {
		b[k] = v
	}
	if value == nil {
		delete(b, field)
	} else {
		b[field] = value
	}
	return b
}

// raw is a body given as text.
func raw(s string) func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
	return func(r badRoute, id string) events.APIGatewayV2HTTPRequest { return badRequest(r, id, s, nil) }
}

func money(amount any, currency string) map[string]any {
	return map[string]any{"amount": amount, "currency": currency}
}

// pathCases spoil the id in the path; bodyCases the body of a route
// that has one.
var (
	pathCases = []badCase{
		{"path traversal in the id", "", func(r badRoute, _ string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, "../../etc/passwd", r.body, nil)
		}},
		{"encoded traversal in the id", "", func(r badRoute, _ string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, "%2e%2e%2f%2e%2e%2fx", r.body, nil)
		}},
		{"a 5000-character id", "", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id+strings.Repeat("A", 5000), r.body, nil)
		}},
		{"an id of another kind", "", func(r badRoute, _ string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, records.NewIDGenerator(nil).New(records.KindRefund)+"x", r.body, nil)
		}},
	}
	bodyCases = []badCase{
		{"empty body", "*", raw("")}, // each required field is named
		{"invalid JSON", "body", raw(`{"tag":`)},
		{"a JSON array", "body", raw(`[]`)},
		{"JSON null", "body", raw(`null`)},
		{"trailing data", "body", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			b, _ := json.Marshal(r.body)
			return badRequest(r, id, string(b)+"{}", nil)
		}},
		{"an unknown field", "surprise", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "surprise", true), nil)
		}},
		{"a huge body (7 MB)", "body", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "tag", strings.Repeat("x", 7<<20)), nil)
		}},
		{"the path id repeated in the body", "", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, r.param, id), nil)
		}},
		{"wrong content type", "Content-Type", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			b, _ := json.Marshal(r.body)
			return badRequest(r, id, string(b), map[string]string{"content-type": "application/x-www-form-urlencoded"})
		}},
		{"a bad Idempotency-Key", "Idempotency-Key", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, r.body, map[string]string{"idempotency-key": "has spaces in it"})
		}},
	}
	// amountCases apply to routes whose body moves money.
	amountCases = []badCase{
		{"a negative amount", "debited_funds.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money(-1, "EUR")), nil)
		}},
		{"an amount above int64 (2^63)", "debited_funds.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money(json.Number("9223372036854775808"), "EUR")), nil)
		}},
		{"an amount of 1e309", "debited_funds.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money(json.Number("1e309"), "EUR")), nil)
		}},
		{"a fractional amount", "debited_funds.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money(json.Number("10.5"), "EUR")), nil)
		}},
		{"an amount as a string", "debited_funds.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money("1000", "EUR")), nil)
		}},
		{"an unknown currency", "debited_funds.currency", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "debited_funds", money(1000, "XXX")), nil)
		}},
		{"fees in another currency", "fees.currency", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "fees", money(10, "GBP")), nil)
		}},
		{"fees above the amount", "fees.amount", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			b := with(r, "fees", money(1001, "EUR"))
			b["debited_funds"] = money(1000, "EUR")
			return badRequest(r, id, b, nil)
		}},
	}
	bankCases2 = []badCase{
		{"an IBAN with a wrong checksum", "iban", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "iban", "FR7630004000031234567890144"), nil)
		}},
		{"an IBAN with spaces", "iban", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "iban", "FR76 3000 4000 0312 3456 7890 143"), nil)
		}},
		{"a 7-character BIC", "bic", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "bic", "BNPAFRP"), nil)
		}},
		{"a lower-case BIC", "bic", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "bic", "bnpafrpp"), nil)
		}},
	}
	pageCases = []badCase{
		{"a page that is not base64", "file", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "file", "%PDF not base64!"), nil)
		}},
		{"a text file as a page", "file", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "file", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("hello ", 10000)))), nil)
		}},
		{"a GIF as a page", "file", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "file", base64.StdEncoding.EncodeToString(append([]byte("GIF89a"), make([]byte, 40<<10)...))), nil)
		}},
		{"an oversize page (7 000 001 bytes, over the 6 MiB request limit once in base64)", "body", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "file", base64.StdEncoding.EncodeToString(kycFile("%PDF-", pages.MaxSize+1, 1))), nil)
		}},
		{"an oversize presigned upload", "upload.size", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, map[string]any{"upload": map[string]any{"size": pages.MaxSize + 1}}, nil)
		}},
		{"both file and upload", "upload", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			return badRequest(r, id, with(r, "upload", map[string]any{"size": 1000}), nil)
		}},
	}
)

// badHandlers build each route's handler as its main does.
var badHandlers = map[string]func(s *operations.Service, h *operations.Hooks, d api.Deps) api.HTTPHandler{
	"add-page": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.AddPageOp(), d)
	},
	"cancel-preauthorization": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CancelPreauthorizationOp(), d)
	},
	"capture-preauthorization": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CapturePreauthorizationOp(), d)
	},
	"complete-card-registration": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CompleteCardRegistrationOp(), d)
	},
	"create-and-submit-document": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateAndSubmitDocumentOp(), d)
	},
	"create-bank-account": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateBankAccountOp(), d)
	},
	"create-bankwire-payin": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateBankWirePayInOp(), d)
	},
	"create-card-payin": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateCardPayInOp(), d)
	},
	"create-card-registration": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateCardRegistrationOp(), d)
	},
	"create-document": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateDocumentOp(), d)
	},
	"create-legal-user": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateLegalUserOp(), d)
	},
	"create-natural-user": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateNaturalUserOp(), d)
	},
	"create-payout": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreatePayoutOp(), d)
	},
	"create-preauthorization": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreatePreauthorizationOp(), d)
	},
	"create-transfer": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateTransferOp(), d)
	},
	"create-wallet": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateWalletOp(), d)
	},
	"create-web-payin": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.CreateWebPayInOp(), d)
	},
	"deactivate-bank-account": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.DeactivateBankAccountOp(), d)
	},
	"deactivate-card": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.DeactivateCardOp(), d)
	},
	"get-bank-account": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetBankAccountOp(), d)
	},
	"get-card": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetCardOp(), d)
	},
	"get-document": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetDocumentOp(), d)
	},
	"get-kyc-requirements": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetKYCRequirementsOp(), d)
	},
	"get-payin": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetPayInOp(), d)
	},
	"get-payout": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetPayoutOp(), d)
	},
	"get-preauthorization": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetPreauthorizationOp(), d)
	},
	"get-refund": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetRefundOp(), d)
	},
	"get-transfer": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetTransferOp(), d)
	},
	"get-user": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetUserOp(), d)
	},
	"get-wallet": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.GetWalletOp(), d)
	},
	"receive-hook": func(_ *operations.Service, h *operations.Hooks, d api.Deps) api.HTTPHandler { return h.HTTPHandler(d) },
	"refund-payin": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.RefundPayInOp(), d)
	},
	"refund-transfer": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.RefundTransferOp(), d)
	},
	"submit-document": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.SubmitDocumentOp(), d)
	},
	"update-user": func(s *operations.Service, _ *operations.Hooks, d api.Deps) api.HTTPHandler {
		return api.HTTP(s.UpdateUserOp(), d)
	},
}

// badPlaceholder stands for an events/ placeholder: an id of the kind
// its name says (the record need not exist: bad input is refused first).
func badPlaceholder(name string) string {
	for _, k := range []struct {
		word string
		kind records.Kind
	}{
		{"LEGAL_USER", records.KindUserLegal}, {"USER", records.KindUserNatural}, {"BANK_ACCOUNT", records.KindBankAccount},
		{"WALLET", records.KindWallet}, {"CARD_REGISTRATION", records.KindCardRegistration}, {"CARD", records.KindCard},
		{"PAYIN", records.KindPayIn}, {"PREAUTHORIZATION", records.KindPreauthorization}, {"REFUND", records.KindRefund},
		{"TRANSFER", records.KindTransfer}, {"PAYOUT", records.KindPayout}, {"DOCUMENT", records.KindDocument},
	} {
		if strings.Contains(name, k.word) && strings.HasSuffix(name, "_ID") {
			return records.NewIDGenerator(nil).New(k.kind)
		}
	}
	return "data=abc123"
}

// loadRoute reads a route and its valid body from events/<name>.json.
func loadRoute(t *testing.T, name string) badRoute {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(regexpPlaceholder.ReplaceAllStringFunc(string(b), func(m string) string { return badPlaceholder(m[2 : len(m)-2]) }))
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	method, path, _ := strings.Cut(ev.RouteKey, " ")
	r := badRoute{name: name, method: method, path: path, handler: badHandlers[name]}
	for k := range ev.PathParameters {
		r.param = k
	}
	if ev.Body != "" {
		if err := json.Unmarshal([]byte(ev.Body), &r.body); err != nil {
			t.Fatalf("%s body: %v", name, err)
		}
	}
	return r
}

var regexpPlaceholder = regexp.MustCompile(`\{\{[A-Z0-9_]+\}\}`)

// emptyBodyOK are the routes where an empty body is a valid request: a
// full refund, an update changing nothing.
var emptyBodyOK = map[string]bool{"refund-payin": true, "refund-transfer": true, "update-user": true}

// casesFor are the invalid requests tried on a route.
func casesFor(r badRoute) []badCase {
	var out []badCase
	if r.param != "" && r.name != "receive-hook" { // a wrong hook token is a plain 404 (hooks_test.go)
		for _, c := range pathCases {
			c.field = r.param
			out = append(out, c)
		}
	}
	if r.body != nil {
		for _, c := range bodyCases {
			if c.what == "empty body" && emptyBodyOK[r.name] {
				continue
			}
			if c.what == "the path id repeated in the body" {
				if r.param == "" {
					continue
				}
				c.field = r.param
			}
			out = append(out, c)
		}
	}
	if r.method == http.MethodGet && r.name != "receive-hook" {
		out = append(out, badCase{"refresh=maybe", "refresh", func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
			req := badRequest(r, id, nil, nil)
			req.QueryStringParameters = map[string]string{"refresh": "maybe"}
			return req
		}})
	}
	if _, ok := r.body["debited_funds"]; ok {
		for _, c := range amountCases {
			if _, fees := r.body["fees"]; fees || !strings.HasPrefix(c.field, "fees") {
				out = append(out, c)
			}
		}
	}
	if _, ok := r.body["iban"]; ok {
		out = append(out, bankCases2...)
	}
	if r.name == "add-page" {
		out = append(out, pageCases...)
	}
	if r.name == "receive-hook" {
		for _, q := range []struct{ what, field, name, value string }{
			{"a lower-case EventType", "EventType", "EventType", "payout_normal_succeeded"},
			{"a negative Date", "Date", "Date", "-1"},
			{"a Date past int64", "Date", "Date", "99999999999999999999"},
			{"path traversal in RessourceId", "RessourceId", "RessourceId", "../../x"},
			{"an unknown parameter", "Extra", "Extra", "1"},
		} {
			out = append(out, badCase{q.what, q.field, func(r badRoute, id string) events.APIGatewayV2HTTPRequest {
				req := badRequest(r, id, nil, nil)
				req.QueryStringParameters = map[string]string{"EventType": "PAYOUT_NORMAL_SUCCEEDED", "RessourceId": "po_m_1", "Date": "1700000000"}
				req.QueryStringParameters[q.name] = q.value
				return req
			}})
		}
	}
	return out
}

// badResult is one route's line of the report.
type badResult struct {
	route   string
	tried   []string
	answers map[int]int
	writes  int
	mpCalls int
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	e := testenv.New(t)
	hooks := newHooks(t, e)
	// add-page's page checks need a real document: made before counting.
	doc := kycCreateDocument(t, e, kycOwner(t, e, "bad-input"), "IDENTITY_PROOF", "")
	var names []string
	for name := range badHandlers {
		names = append(names, name)
	}
	sort.Strings(names)
	var report []badResult
	for _, name := range names {
		r := loadRoute(t, name)
		h := r.handler(e.Deps.Service, hooks, e.Deps.API)
		id := badPlaceholder(strings.ToUpper(r.param))
		switch r.name {
		case "add-page":
			id = doc.ID
		case "receive-hook":
			id = testHookToken
		}
		res := badResult{route: r.method + " " + r.path, answers: map[int]int{}}
		for _, c := range casesFor(r) {
			before, mpBefore := e.Calls.Snapshot(), len(e.Fake.Requests())
			resp := call(t, h, c.make(r, id))
			res.tried = append(res.tried, c.what)
			res.answers[resp.StatusCode]++
			after := e.Calls.Snapshot()
			writes := 0
			for _, w := range writeCalls {
				writes += after[w] - before[w]
			}
			mp := len(e.Fake.Requests()) - mpBefore
			res.writes += writes
			res.mpCalls += mp
			if resp.StatusCode != http.StatusBadRequest || resp.Headers["Content-Type"] != problem.ContentType {
				t.Errorf("%s, %s: %d %.300s; want a 400 problem+json naming %s", name, c.what, resp.StatusCode, resp.Body, c.field)
				continue
			}
			var d problem.Details
			testenv.Decode(t, resp.Body, &d)
			named := false
			for _, f := range d.Errors {
				named = named || f.Field == c.field || strings.HasPrefix(f.Field, c.field+".") || (c.field == "*" && f.Field != "")
			}
			if !named {
				t.Errorf("%s, %s: the answer names %+v, not %s", name, c.what, d.Errors, c.field)
			}
			if writes != 0 || mp != 0 {
				t.Errorf("%s, %s: %d AWS writes, %d Mangopay calls, want none (AWS calls %v -> %v)", name, c.what, writes, mp, before, after)
			}
		}
		report = append(report, res)
	}
	writeBadInputReport(t, report)
}

// writeBadInputReport writes 50-bad-input.md into CHAOS_REPORT_DIR.
func writeBadInputReport(t *testing.T, report []badResult) {
	dir := os.Getenv("CHAOS_REPORT_DIR")
	if dir == "" {
		return
	}
	var b strings.Builder
	total, refused := 0, 0
	for _, r := range report {
		total += len(r.tried)
		refused += r.answers[http.StatusBadRequest]
	}
	fmt.Fprintf(&b, "## Bad input\n\n")
	fmt.Fprintf(&b, "`TestBadInputIsRefusedAndWritesNothing` (internal/operations) sent %d invalid requests to the %d HTTP routes, "+
		"through their real handlers on moto and the fake Mangopay, each with an Idempotency-Key. "+
		"%d were answered 400 application/problem+json naming the offending field. "+
		"Every request was checked for zero AWS writes (DynamoDB Put/Update/Delete/Transact/BatchWrite, SQS sends, S3 Put/Delete/Copy, "+
		"EventBridge PutEvents) and zero Mangopay calls.\n\n", total, len(report), refused)
	fmt.Fprintf(&b, "| route | invalid inputs tried | answers | AWS writes | Mangopay calls |\n|---|---|---|---|---|\n")
	for _, r := range report {
		var ans []string
		for status, n := range r.answers {
			ans = append(ans, fmt.Sprintf("%d × %d", n, status))
		}
		sort.Strings(ans)
		fmt.Fprintf(&b, "| `%s` | %d: %s | %s | %d | %d |\n", r.route, len(r.tried), strings.Join(r.tried, "; "), strings.Join(ans, ", "), r.writes, r.mpCalls)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "50-bad-input.md"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
