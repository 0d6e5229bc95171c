package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// S3Handler handles an S3 event notification (e.g. objects uploaded
// through a presigned URL). It returns an error only when a retry may
// help: Lambda then retries the event (asynchronous invocation).
type S3Handler func(context.Context, events.S3Event) error

// HandlerWithS3 is Handler for an operation that S3 event notifications
// also reach: an S3 event goes to onS3, an API Gateway request or an SQS
// batch to the operation as in Handler.
func HandlerWithS3[T any, PT interface {
	*T
	Input
}](op Operation[T], d Deps, onS3 S3Handler) func(context.Context, json.RawMessage) (any, error) {
	other := Handler[T, PT](op, d)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		if kindOf(raw) != "s3" {
			return other(ctx, raw)
		}
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decoding the S3 event: %w", err)
		}
		start := time.Now()
		err := onS3(ctx, ev)
		attrs := []any{"request_id", requestID(ctx), "operation", op.Name, "source", "s3",
			"objects", len(ev.Records), "duration_ms", time.Since(start).Milliseconds()}
		if err != nil {
			d.Log.ErrorContext(ctx, "request", append(attrs, "error", err.Error())...)
			return nil, fmt.Errorf("%s: S3 event: %w", op.Name, err)
		}
		d.Log.InfoContext(ctx, "request", attrs...)
		return nil, nil
	}
}
