package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Handler returns the single Lambda handler of an operation that is
// reached both through its HTTP route and through its queue: it tells an
// API Gateway request from an SQS batch by the event's shape.
func Handler[T any, PT interface {
	*T
	Input
}](op Operation[T], d Deps) func(context.Context, json.RawMessage) (any, error) {
	onHTTP, onSQS := HTTP[T, PT](op, d), SQS[T, PT](op, d)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		switch kindOf(raw) {
		case "sqs":
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decoding the SQS event: %w", err)
			}
			return onSQS(ctx, ev)
		case "http":
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, fmt.Errorf("decoding the API Gateway request: %w", err)
			}
			return onHTTP(ctx, req)
		}
		return nil, fmt.Errorf("%s: unsupported event: expected an API Gateway HTTP API (payload 2.0) request or an SQS batch", op.Name)
	}
}

// kindOf tells the event kinds apart: "sqs", "http", "s3" or "".
func kindOf(raw json.RawMessage) string {
	var probe struct {
		Records []struct {
			EventSource  string `json:"eventSource"`
			EventSource2 string `json:"EventSource"`
		} `json:"Records"`
		RequestContext struct {
			HTTP struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	if len(probe.Records) > 0 {
		switch probe.Records[0].EventSource {
		case "aws:sqs":
			return "sqs"
		case "aws:s3":
			return "s3"
		}
	}
	if probe.RequestContext.HTTP.Method != "" {
		return "http"
	}
	return ""
}
