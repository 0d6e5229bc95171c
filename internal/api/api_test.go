package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
)

type echoInput struct {
	UserID  string `json:"user_id"`
	Name    string `json:"name"`
	Refresh bool   `json:"refresh,omitempty"`
}

func (in *echoInput) Validate(v *validate.Errors) { v.Required("name", in.Name) }

func echoOp() Operation[echoInput] {
	return Operation[echoInput]{Name: "echo", Run: func(_ context.Context, in *echoInput, c Call) (Result, error) {
		if in.Name == "missing" {
			return Result{}, NotFound("thing", in.UserID)
		}
		return OK(map[string]any{"in": in, "source": c.Source}), nil
	}}
}

func invoke(t *testing.T, h func(context.Context, json.RawMessage) (any, error), event any) string {
	t.Helper()
	raw, _ := json.Marshal(event)
	out, err := lambda.NewHandler(h).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return string(out)
}

func TestHandlerTellsHTTPFromSQS(t *testing.T) {
	h := Handler(echoOp(), Deps{Log: discard()})
	req := events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`, PathParameters: map[string]string{"user_id": "u1"},
		QueryStringParameters: map[string]string{"refresh": "true"}}
	req.RequestContext.HTTP.Method = "GET"
	out := invoke(t, h, req)
	if !strings.Contains(out, `"statusCode":200`) || !strings.Contains(out, `\"user_id\":\"u1\"`) || !strings.Contains(out, `\"refresh\":true`) {
		t.Fatalf("http answer %s", out)
	}
	for want, ev := range map[string]any{
		"sqs":  events.SQSEvent{Records: []events.SQSMessage{{EventSource: "aws:sqs"}}},
		"s3":   events.S3Event{Records: []events.S3EventRecord{{EventSource: "aws:s3"}}},
		"http": req,
		"":     map[string]any{"detail-type": "Scheduled Event"},
	} {
		raw, _ := json.Marshal(ev)
		if got := kindOf(raw); got != want {
			t.Errorf("kindOf(%s) = %q, want %q", raw, got, want)
		}
	}
	raw, _ := json.Marshal(map[string]any{"detail-type": "Scheduled Event"})
	if _, err := lambda.NewHandler(h).Invoke(context.Background(), raw); err == nil || !strings.Contains(err.Error(), "unsupported event") {
		t.Fatalf("want an unsupported-event error, got %v", err)
	}
}

func TestHTTPAnswers(t *testing.T) {
	h := HTTP(echoOp(), Deps{Log: discard()})
	tests := []struct {
		name   string
		body   string
		params map[string]string
		status int
		want   string
	}{
		{"ok", `{"name":"a"}`, map[string]string{"user_id": "u1"}, 200, `"user_id":"u1"`},
		{"path value repeated in the body", `{"name":"a","user_id":"u2"}`, map[string]string{"user_id": "u1"}, 400, `"field":"user_id"`},
		{"validation", `{}`, nil, 400, `"field":"name"`},
		{"unknown field", `{"name":"a","x":1}`, nil, 400, `"field":"x"`},
		{"not found", `{"name":"missing"}`, map[string]string{"user_id": "u9"}, 404, `no thing with id \"u9\"`},
		// JSON null is not an object: refused, not a panic on the nil map
		// the path values are merged into (found by FuzzOperationInputs).
		{"null body with a path value", `null`, map[string]string{"user_id": "u1"}, 400, `"field":"body"`},
		{"null body", `null`, nil, 400, `"field":"body"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := events.APIGatewayV2HTTPRequest{Body: tt.body, PathParameters: tt.params}
			resp, err := h(context.Background(), req)
			if err != nil || resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.want) {
				t.Fatalf("got %d %s %v, want %d with %s", resp.StatusCode, resp.Body, err, tt.status, tt.want)
			}
			if tt.status >= 400 && resp.Headers["Content-Type"] != "application/problem+json" {
				t.Fatalf("content type %v", resp.Headers)
			}
		})
	}
	bad := events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`, Headers: map[string]string{"Idempotency-Key": "has space"}}
	if resp, _ := h(context.Background(), bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "Idempotency-Key") {
		t.Fatalf("bad key: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestSplitKeyTakesTheKeyOutOfTheBody(t *testing.T) {
	body, key, errs := splitKey([]byte(`{"name":"a","idempotency_key":"k-1"}`))
	if errs != nil || key != "k-1" || strings.Contains(string(body), "idempotency_key") {
		t.Fatalf("got %s %q %v", body, key, errs)
	}
	if _, _, errs := splitKey([]byte(`{"idempotency_key":5}`)); len(errs) != 1 || errs[0].Field != "idempotency_key" {
		t.Fatalf("got %v", errs)
	}
}

func TestGETIgnoresIdempotencyKeys(t *testing.T) {
	// No Claims in Deps: taking a claim would panic.
	h := HTTP(echoOp(), Deps{Log: discard()})
	req := events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`, Headers: map[string]string{"idempotency-key": "read-twice-0001"}}
	req.RequestContext.HTTP.Method = "GET"
	for range 2 {
		if resp, err := h(context.Background(), req); err != nil || resp.StatusCode != 200 || resp.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("GET with a key: %d %v %v", resp.StatusCode, resp.Headers, err)
		}
	}
}

// A body sent as something other than JSON is refused, naming
// Content-Type, before anything runs; JSON types with parameters or a
// +json suffix, and no Content-Type at all, are accepted.
func TestHTTPRefusesNonJSONContentTypes(t *testing.T) {
	h := HTTP(echoOp(), Deps{Log: discard()})
	for ct, want := range map[string]int{
		"application/x-www-form-urlencoded": 400, "text/plain": 400, "multipart/form-data; boundary=x": 400, "not a type": 400,
		"application/json": 200, "application/json; charset=utf-8": 200, "application/merge-patch+json": 200, "": 200,
	} {
		req := events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`, Headers: map[string]string{}}
		if ct != "" {
			req.Headers["content-type"] = ct
		}
		resp, _ := h(context.Background(), req)
		if resp.StatusCode != want || (want == 400 && !strings.Contains(resp.Body, `"field":"Content-Type"`)) {
			t.Errorf("Content-Type %q: %d %s, want %d", ct, resp.StatusCode, resp.Body, want)
		}
	}
}
