package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

const scaToken = "0123456789abcdef-sca-token"

// scaOp fails as the client does when Mangopay asks for the user's SCA.
func scaOp() Operation[echoInput] {
	return Operation[echoInput]{Name: "echo", Run: func(context.Context, *echoInput, Call) (Result, error) {
		err := &mangopay.SCARequiredError{StatusCode: 401, RedirectURL: "http://127.0.0.1:9/sca?token=" + scaToken}
		return Result{}, fmt.Errorf("reading the wallet: %w", err)
	}}
}

// countingClaims grants every claim and counts completions and releases.
type countingClaims struct{ memClaims }

func (c *countingClaims) ReleaseIdempotent(context.Context, string, string, string) error {
	c.completed-- // a release is counted as a negative completion
	return nil
}

// TestSCARequiredIsA403WithRedirectURL: the HTTP answer is a 403 problem
// naming what to do, with the URL in redirect_url only; the log line
// holds no token.
func TestSCARequiredIsA403WithRedirectURL(t *testing.T) {
	var logs bytes.Buffer
	h := HTTP(scaOp(), Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	req := events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`}
	req.RequestContext.HTTP.Method = "GET"
	resp, err := h(context.Background(), req)
	if err != nil || resp.StatusCode != http.StatusForbidden || resp.Headers["Content-Type"] != problem.ContentType || resp.Headers["Retry-After"] != "" {
		t.Fatalf("got %d %v %s %v", resp.StatusCode, resp.Headers, resp.Body, err)
	}
	var d problem.Details
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Status != 403 || d.Title != "Strong customer authentication required" || !strings.Contains(d.Detail, "redirect_url") ||
		strings.Contains(d.Detail, scaToken) || d.RedirectURL != "http://127.0.0.1:9/sca?token="+scaToken {
		t.Fatalf("problem %+v", d)
	}
	if !strings.Contains(logs.String(), `"status":403`) || strings.Contains(logs.String(), scaToken) {
		t.Fatalf("log: %s", logs.String())
	}
}

// TestSCARequiredIsDeadLetteredNotRetried: on a queue the message goes to
// the dead-letter queue at once with its reason (no token in it), and its
// idempotency claim is released, not completed, so that a redrive after
// the user's SCA runs again.
func TestSCARequiredIsDeadLetteredNotRetried(t *testing.T) {
	var logs bytes.Buffer
	dlq, claims := &memQueue{}, &countingClaims{}
	h := SQS(scaOp(), Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil)), DeadLetters: dlq, Claims: claims})
	resp, err := h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: `{"name":"a"}`, EventSource: "aws:sqs"}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batch answer %+v %v: want no retry", resp, err)
	}
	if len(dlq.sent) != 1 {
		t.Fatalf("dead-lettered %d messages, want 1", len(dlq.sent))
	}
	reason := dlq.sent[0].attrs[AttrFailureReason]
	if !strings.HasPrefix(reason, "403 Strong customer authentication required") || strings.Contains(reason, scaToken) {
		t.Fatalf("reason %q", reason)
	}
	if claims.begun != 1 || claims.completed != -1 {
		t.Fatalf("claims begun %d, completed-released %d: want the claim released", claims.begun, claims.completed)
	}
	if strings.Contains(logs.String(), scaToken) {
		t.Fatalf("log: %s", logs.String())
	}
}
