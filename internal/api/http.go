package api

import (
	"bytes"
	"context"
	"mime"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
)

// HTTPHandler is the Lambda handler of an HTTP API route.
type HTTPHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// HTTP returns the handler of op's route. Path parameters and query
// parameters become input fields of the same name; the Idempotency-Key
// header makes the request safe to repeat; "Prefer: respond-async" makes a
// create answer 202 and finish through its queue.
func HTTP[T any, PT interface {
	*T
	Input
}](op Operation[T], d Deps) HTTPHandler {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		start := time.Now()
		a, call := serveHTTP[T, PT](ctx, &op, &d, req)
		logLine(ctx, d.Log, op.Name, call, a, start)
		return toHTTP(a), nil
	}
}

func serveHTTP[T any, PT interface {
	*T
	Input
}](ctx context.Context, op *Operation[T], d *Deps, req events.APIGatewayV2HTTPRequest) (answer, Call) {
	call := Call{Source: "http", Key: header(req.Headers, "idempotency-key")}
	if strings.EqualFold(req.RequestContext.HTTP.Method, "GET") {
		// A read is idempotent by itself: a key would only cost a claim
		// write and replay a stale answer.
		call.Key = ""
	}
	if call.Key != "" && !validKey(call.Key) {
		return failed(InvalidField("Idempotency-Key", "must be 1 to 255 printable characters without spaces, e.g. a UUID")), call
	}
	body, err := problem.Body(req)
	if err != nil {
		return failed(InvalidField("body", "%s", err.Error())), call
	}
	if ct := header(req.Headers, "content-type"); ct != "" && len(bytes.TrimSpace(body)) > 0 && !jsonType(ct) {
		return failed(InvalidField("Content-Type", "must be application/json for a JSON body")), call
	}
	in, fields := decode[T, PT](body, namedValues(req))
	if fields != nil {
		return failed(Invalid(fields...)), call
	}
	if op.Create && strings.Contains(strings.ToLower(header(req.Headers, "prefer")), "respond-async") {
		call.Async = true
		if call.Key == "" {
			call.Key = "async:" + d.IDs.NewID(op.Kind)
		}
	}
	return execute(ctx, d, op, in, call), call
}

// jsonType reports whether a Content-Type is JSON: application/json or a
// +json type, with any parameters.
func jsonType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// namedValues merges path parameters and single query parameters.
func namedValues(req events.APIGatewayV2HTTPRequest) map[string]string {
	named := make(map[string]string, len(req.PathParameters)+len(req.QueryStringParameters))
	for k, v := range req.QueryStringParameters {
		named[k] = v
	}
	for k, v := range req.PathParameters {
		named[k] = v
	}
	return named
}

// header reads a header case-insensitively (payload 2.0 lower-cases them,
// sam local and tests may not).
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// toHTTP renders an answer; errors become problem+json.
func toHTTP(a answer) events.APIGatewayV2HTTPResponse {
	ctype := "application/json"
	if a.status >= 400 {
		ctype = problem.ContentType
	}
	r := events.APIGatewayV2HTTPResponse{StatusCode: a.status, Body: string(a.body),
		Headers: map[string]string{"Content-Type": ctype}}
	for k, v := range a.headers {
		r.Headers[k] = v
	}
	return r
}

// requestID is the Lambda request id, "" outside Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// logLine writes the one log line of a request or message.
func logLine(ctx context.Context, log interface {
	InfoContext(context.Context, string, ...any)
}, name string, call Call, a answer, start time.Time) {
	attrs := []any{"request_id", requestID(ctx), "operation", name, "source", call.Source,
		"status", a.status, "duration_ms", time.Since(start).Milliseconds(),
		"idempotency_key", call.Key != "", "async", call.Async}
	if a.recordID != "" {
		attrs = append(attrs, "record_id", a.recordID)
	}
	if a.err != nil {
		attrs = append(attrs, "error", a.err.Title)
	}
	if a.cause != nil && a.status >= 500 {
		attrs = append(attrs, "cause", a.cause.Error())
	}
	log.InfoContext(ctx, "request", attrs...)
}
