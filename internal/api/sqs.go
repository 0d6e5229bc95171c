package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// SQSHandler is the Lambda handler of an operation's queue.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// SQS returns the handler of op's queue. A message body is the same JSON
// as the HTTP body, with path ids as fields; the idempotency key is the
// Idempotency-Key message attribute or an "idempotency_key" field, and
// defaults to the SQS message id, so a redelivered message never runs
// twice. A message that can never succeed goes to the dead-letter queue at
// once with its reason; a transient failure is reported as a batch item
// failure and retried, except at the message's last reception (see
// Deps.MaxReceiveCount), when it goes to the dead-letter queue with its
// last error; neither holds up the rest of the batch.
//
// The batch runs within the invocation's deadline: messages at their last
// reception go first, a message is started only while more than a
// quarter of the time the invocation was given is left (the rest are
// reported as batch item failures, for a later delivery), and Mangopay
// calls end a tenth of that time before the deadline (see
// mangopay.WithCallDeadline), leaving time to record their outcome.
func SQS[T any, PT interface {
	*T
	Input
}](op Operation[T], d Deps) SQSHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		msgs := slices.Clone(ev.Records)
		slices.SortStableFunc(msgs, func(a, b events.SQSMessage) int { return receives(b) - receives(a) })
		budget := newBudget(ctx)
		for i, msg := range msgs {
			if budget.exhausted() {
				for _, rest := range msgs[i:] {
					if !outOfTime(ctx, &d, op.Name, rest) {
						resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rest.MessageId})
					}
				}
				break
			}
			if !handleMessage[T, PT](budget.callContext(ctx), &op, &d, msg) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			}
		}
		return resp, nil
	}
}

// budget is an invocation's time: its deadline and what it started with.
type budget struct {
	deadline time.Time
	given    time.Duration
}

func newBudget(ctx context.Context) budget {
	dl, ok := ctx.Deadline()
	if !ok {
		return budget{}
	}
	return budget{deadline: dl, given: time.Until(dl)}
}

// exhausted reports whether too little time is left to start a message:
// a quarter of what the invocation was given (a message's worst case,
// slow Mangopay answers and retries included, is cut shorter than that).
func (b budget) exhausted() bool {
	return !b.deadline.IsZero() && time.Until(b.deadline) < b.given/4
}

// callContext makes Mangopay calls end a tenth of the invocation's time
// before its deadline.
func (b budget) callContext(ctx context.Context) context.Context {
	if b.deadline.IsZero() {
		return ctx
	}
	return mangopay.WithCallDeadline(ctx, b.deadline.Add(-b.given/10))
}

// receives is a message's ApproximateReceiveCount (1 when unknown).
func receives(msg events.SQSMessage) int {
	n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// lastReception reports whether SQS redrives msg to the dead-letter queue
// if this reception fails.
func lastReception(d *Deps, msg events.SQSMessage) bool {
	return d.MaxReceiveCount > 0 && receives(msg) >= d.MaxReceiveCount
}

// outOfTime handles a message the invocation had no time to start: false
// to have it delivered again, or, at its last reception, dead-lettered
// with that reason (true).
func outOfTime(ctx context.Context, d *Deps, name string, msg events.SQSMessage) bool {
	if !lastReception(d, msg) {
		return false
	}
	return deadLetter(ctx, d, name, msg, fmt.Sprintf(
		"not started at its last reception (%d of %d): the invocation ran out of time; redrive it", receives(msg), d.MaxReceiveCount),
		attr(msg, AttrIdempotencyKey), attr(msg, AttrRecordID))
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
			if call.Key == "" { // a message redriven from the DLQ keeps its first id
				call.Key = sqsKeyPrefix + cmp.Or(attr(msg, AttrSourceMessageID), msg.MessageId)
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
	if a.err.Permanent() {
		return deadLetter(ctx, d, op.Name, msg, a.err.Error(), call.Key, a.recordID)
	}
	if !lastReception(d, msg) {
		return false
	}
	return deadLetter(ctx, d, op.Name, msg, fmt.Sprintf("failed at its last reception (%d of %d): %s", receives(msg), d.MaxReceiveCount, a.err.Error()),
		call.Key, a.recordID)
}

// sqsKeyPrefix starts the idempotency key of a message sent without one:
// "sqs:" and its (first) message id.
const sqsKeyPrefix = "sqs:"

// AttrSourceMessageID names, on a dead-lettered message, the message id it
// had on the operation's queue (its default idempotency key).
const AttrSourceMessageID = "Source-Message-Id"

// deadLetter sends msg to the dead-letter queue with the reason; false if
// that failed, so the message is retried rather than lost. The copy keeps
// the request's identity, so that a redrive continues the same request
// instead of starting another: its idempotency key (key; with none, the
// source message id is the key) and the record it wrote (recordID, ""
// if none), which a create reuses even once the key's claim has expired.
func deadLetter(ctx context.Context, d *Deps, name string, msg events.SQSMessage, reason, key, recordID string) bool {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	attrs := map[string]string{AttrFailureReason: reason, AttrOperation: name, AttrSourceMessageID: cmp.Or(attr(msg, AttrSourceMessageID), msg.MessageId)}
	if key != "" && !strings.HasPrefix(key, sqsKeyPrefix) {
		attrs[AttrIdempotencyKey] = key
	}
	if recordID != "" {
		attrs[AttrRecordID] = recordID
	}
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
