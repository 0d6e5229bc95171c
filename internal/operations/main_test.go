package operations_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// call invokes an HTTP handler as API Gateway would.
func call(t *testing.T, h api.HTTPHandler, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h(context.Background(), req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	return resp
}

// record decodes a record answer and checks its status code.
func record(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) *records.Record {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var r records.Record
	testenv.Decode(t, resp.Body, &r)
	return &r
}

// problemFields checks a problem+json answer and returns its bad fields.
func problemFields(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) []string {
	t.Helper()
	if resp.StatusCode != status || resp.Headers["Content-Type"] != problem.ContentType {
		t.Fatalf("got %d %v, want %d problem+json: %s", resp.StatusCode, resp.Headers, status, resp.Body)
	}
	var d problem.Details
	testenv.Decode(t, resp.Body, &d)
	fields := make([]string, len(d.Errors))
	for i, f := range d.Errors {
		fields[i] = f.Field
	}
	return fields
}

// wantFields checks that every field in want was named.
func wantFields(t *testing.T, got []string, want ...string) {
	t.Helper()
	joined := "," + strings.Join(got, ",") + ","
	for _, w := range want {
		if !strings.Contains(joined, ","+w+",") {
			t.Fatalf("fields %v do not name %q", got, w)
		}
	}
}

// countRecords counts the records of an owner, of a kind.
func countRecords(t *testing.T, e *testenv.Env, owner string, kind records.Kind) int {
	t.Helper()
	recs, _, err := e.Deps.Service.Records.ListByOwner(e.Ctx, owner, kind, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
