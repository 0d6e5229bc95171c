package operations_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Magic numbers of the accepted page types.
const (
	kycPDF  = "%PDF-1.7\n"
	kycPNG  = "\x89PNG\r\n\x1A\n"
	kycJPEG = "\xFF\xD8\xFF\xE0"
)

// kycFile returns size bytes starting with magic; seed makes files differ.
func kycFile(magic string, size int, seed byte) []byte {
	b := bytes.Repeat([]byte{seed}, size)
	copy(b, magic)
	return b
}

func kycB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// kycOwner creates a natural OWNER through create-natural-user.
func kycOwner(t *testing.T, e *testenv.Env, ext string) *records.Record {
	t.Helper()
	h := api.HTTP(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	return record(t, call(t, h, testenv.Request("POST", "/users/natural", nil, naturalBody(ext, "OWNER"), nil)), http.StatusCreated)
}

// kycLegal creates a legal OWNER of a type through create-legal-user.
func kycLegal(t *testing.T, e *testenv.Env, ext, legalPersonType string) *records.Record {
	t.Helper()
	body := map[string]any{
		"external_user_id": ext, "user_category": "OWNER", "terms_and_conditions_accepted": true,
		"legal_person_type": legalPersonType, "name": "Acme", "email": "legal@example.com", "company_number": "123456789",
		"headquarters_address": map[string]any{"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"},
		"legal_representative": map[string]any{"first_name": "Ann", "last_name": "Lee", "birthday": "1980-01-02",
			"nationality": "FR", "country_of_residence": "FR"},
	}
	h := api.HTTP(e.Deps.Service.CreateLegalUserOp(), e.Deps.API)
	return record(t, call(t, h, testenv.Request("POST", "/users/legal", nil, body, nil)), http.StatusCreated)
}

// kycCreateDocument creates a document over HTTP and checks the answer.
func kycCreateDocument(t *testing.T, e *testenv.Env, user *records.Record, typ, tag string) *records.Record {
	t.Helper()
	h := api.HTTP(e.Deps.Service.CreateDocumentOp(), e.Deps.API)
	req := testenv.Request("POST", "/users/"+user.ID+"/documents", map[string]string{"user_id": user.ID},
		map[string]any{"type": typ, "tag": tag}, nil)
	return record(t, call(t, h, req), http.StatusCreated)
}

// kycAddPageReq is POST /documents/{id}/pages with a body.
func kycAddPageReq(doc *records.Record, body any, headers map[string]string) events.APIGatewayV2HTTPRequest {
	return testenv.Request("POST", "/documents/"+doc.ID+"/pages", map[string]string{"document_id": doc.ID}, body, headers)
}

// kycAddPage adds an inline page over HTTP and checks it was sent.
func kycAddPage(t *testing.T, e *testenv.Env, doc *records.Record, data []byte) *records.Record {
	t.Helper()
	h := api.HTTP(e.Deps.Service.AddPageOp(), e.Deps.API)
	page := record(t, call(t, h, kycAddPageReq(doc, map[string]any{"file": kycB64(data)}, nil)), http.StatusCreated)
	if page.Page == nil || page.Page.State != records.PageSent {
		t.Fatalf("page not sent: %+v", page.Page)
	}
	return page
}

// kycSubmitReq is POST /documents/{id}/submit.
func kycSubmitReq(doc *records.Record) events.APIGatewayV2HTTPRequest {
	return testenv.Request("POST", "/documents/"+doc.ID+"/submit", map[string]string{"document_id": doc.ID}, nil, nil)
}

// kycGetDocument reads a document over HTTP, refreshed or not.
func kycGetDocument(t *testing.T, e *testenv.Env, doc *records.Record, refresh bool) *records.Record {
	t.Helper()
	req := testenv.Request("GET", "/documents/"+doc.ID, map[string]string{"document_id": doc.ID}, nil, nil)
	if refresh {
		req.QueryStringParameters = map[string]string{"refresh": "true"}
	}
	return record(t, call(t, api.HTTP(e.Deps.Service.GetDocumentOp(), e.Deps.API), req), http.StatusOK)
}

// kycPagePOSTs returns the page uploads Mangopay received.
func kycPagePOSTs(e *testenv.Env) []mangopaytest.RecordedRequest {
	var out []mangopaytest.RecordedRequest
	for _, r := range e.Fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/pages") {
			out = append(out, r)
		}
	}
	return out
}

// kycPages returns the page records of a document, by number.
func kycPages(t *testing.T, e *testenv.Env, doc *records.Record) map[int]*records.Record {
	t.Helper()
	list, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, doc.ID, records.KindPage, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]*records.Record{}
	for i := range list {
		p, err := e.Deps.Service.Records.Get(e.Ctx, list[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[p.Page.Number]; dup {
			t.Fatalf("two pages numbered %d", p.Page.Number)
		}
		out[p.Page.Number] = p
	}
	return out
}

// kycObject reads an object of the pages bucket: its bytes and encryption;
// ok is false when there is none.
func kycObject(t *testing.T, e *testenv.Env, key string) ([]byte, string, bool) {
	t.Helper()
	out, err := e.S3().GetObject(e.Ctx, &s3.GetObjectInput{Bucket: aws.String(e.PagesBucket()), Key: aws.String(key)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchKey") {
			return nil, "", false
		}
		t.Fatal(err)
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(out.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), string(out.ServerSideEncryption), true
}

// kycObjectKeys lists the keys of the pages bucket under prefix.
func kycObjectKeys(t *testing.T, e *testenv.Env, prefix string) []string {
	t.Helper()
	out, err := e.S3().ListObjectsV2(e.Ctx, &s3.ListObjectsV2Input{Bucket: aws.String(e.PagesBucket()), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// kycInvoke feeds a raw event to a whole-function handler, as Lambda does.
func kycInvoke(t *testing.T, h func(context.Context, json.RawMessage) (any, error), ev any) (any, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return h(context.Background(), raw)
}

// kycDeadLetters receives the dead letters and checks each names the
// operation and a reason.
func kycDeadLetters(t *testing.T, e *testenv.Env, operation string) []string {
	t.Helper()
	var reasons []string
	for _, m := range e.Messages(t, e.DLQ) {
		reason, op := m.MessageAttributes[api.AttrFailureReason].StringValue, m.MessageAttributes[api.AttrOperation].StringValue
		if reason == nil || *reason == "" || op == nil || *op != operation {
			t.Fatalf("dead letter without its reason or operation: %+v", m.MessageAttributes)
		}
		reasons = append(reasons, *reason)
	}
	return reasons
}
