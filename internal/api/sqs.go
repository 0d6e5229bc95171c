package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
)

// SQSHandler is the Lambda handler of an operation's queue.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// SQS returns the handler of op's queue. A message body is the same JSON
// as the HTTP body, with path ids as fields; the idempotency key is the
// Idempotency-Key message attribute or an "idempotency_key" field, and
// defaults to the SQS message id, so a redelivered message never runs
// twice. A message that can never succeed goes to the dead-letter queue at
// once with its reason; a transient failure is reported as a batch item
// failure and retried; neither holds up the rest of the batch.
func SQS[T any, PT interface {
	*T
	Input
}](op Operation[T], d Deps) SQSHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, msg := range ev.Records {
			if !handleMessage[T, PT](ctx, &op, &d, msg) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			}
		}
		return resp, nil
	}
}

// handleMessage processes one message and reports whether it is done with
// (succeeded, or dead-lettered); false asks SQS to deliver it again.
func handleMessage[T any, PT interface {
	*T
	Input
}](ctx context.Context, op *Operation[T], d *Deps, msg events.SQSMessage) bool {
	start := time.Now()
	call := Call{Source: "sqs", Key: attr(msg, AttrIdempotencyKey), Claim: attr(msg, AttrClaim), RecordID: attr(msg, AttrRecordID)}
	var a answer
	body, key, fields := splitKey([]byte(msg.Body))
	if fields == nil {
		var in *T
		if in, fields = decode[T, PT](body, nil); fields == nil {
			if call.Key == "" {
				call.Key = key
			}
			if call.Key == "" {
				call.Key = "sqs:" + msg.MessageId
			}
			a = execute(ctx, d, op, in, call)
		}
	}
	if fields != nil {
		a = failed(Invalid(fields...))
	}
	logLine(ctx, d.Log, op.Name, call, a, start)
	if a.err == nil || a.queued {
		return true
	}
	if !a.err.Permanent() {
		return false
	}
	return deadLetter(ctx, d, op.Name, msg, a.err)
}

// deadLetter sends msg to the dead-letter queue with the reason; false if
// that failed, so the message is retried rather than lost.
func deadLetter(ctx context.Context, d *Deps, name string, msg events.SQSMessage, e *Error) bool {
	reason := e.Error()
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	attrs := map[string]string{AttrFailureReason: reason, AttrOperation: name, "Source-Message-Id": msg.MessageId}
	if err := d.DeadLetters.Send(ctx, msg.Body, attrs); err != nil {
		d.Log.ErrorContext(ctx, "dead-lettering failed", "operation", name, "message_id", msg.MessageId, "error", err.Error())
		return false
	}
	return true
}

// splitKey removes an "idempotency_key" field from a message body.
func splitKey(body []byte) ([]byte, string, []problem.FieldError) {
	var obj map[string]json.RawMessage
	if errs := problem.Decode(body, &obj); errs != nil {
		return nil, "", errs
	}
	raw, ok := obj["idempotency_key"]
	if !ok {
		return body, "", nil
	}
	var key string
	if err := json.Unmarshal(raw, &key); err != nil || !validKey(key) {
		return nil, "", []problem.FieldError{{Field: "idempotency_key", Reason: "must be a string of 1 to 255 printable characters"}}
	}
	delete(obj, "idempotency_key")
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, "", []problem.FieldError{{Field: "body", Reason: fmt.Sprintf("cannot re-encode: %v", err)}}
	}
	return out, key, nil
}

// attr reads a string message attribute.
func attr(msg events.SQSMessage, name string) string {
	if a, ok := msg.MessageAttributes[name]; ok && a.StringValue != nil {
		return *a.StringValue
	}
	return ""
}
