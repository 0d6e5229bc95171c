package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// RecheckEvent is what the EventBridge Scheduler schedule sends (its
// Input, verbatim): {"bucket":"TRANSACTION"}, or {"bucket":"PENDING"} for
// the hourly sweep of creates cut short. Force runs outside the
// weekday hours (a manual invocation).
type RecheckEvent struct {
	Bucket string `json:"bucket"`
	Force  bool   `json:"force,omitempty"`
}

// RecheckMessage is the body of one fan-out message on the function's own
// queue: ids of due records of one bucket.
type RecheckMessage struct {
	Bucket string   `json:"bucket"`
	IDs    []string `json:"ids"`
}

// RecheckHandler is the Lambda handler of a re-check function: the
// scheduled event re-checks what it can and queues the rest; the queue's
// batches are re-checked by the same function.
type RecheckHandler struct {
	Service *Service
	// Bucket is the bucket this function re-checks; the TRANSACTION
	// function also sweeps BucketPending (see Handles).
	Bucket string
	// Queue is the function's own queue (OPERATION_QUEUE_URL).
	Queue api.Sender
	// Budget bounds each invocation; Overflow is set to Queue for the
	// scheduled event.
	Budget RecheckBudget
	Log    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// NewRecheckHandler builds the handler of one bucket's function, reading
// the calendar's time zone from tz (RECHECK_TIME_ZONE; "" for the
// default): a bad name is an error at cold start.
func NewRecheckHandler(s *Service, bucket string, queue api.Sender, log *slog.Logger, tz string) (*RecheckHandler, error) {
	loc, err := RecheckLocation(tz)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if q, ok := queue.(api.Queue); ok && q.URL == "" {
		queue = nil // no queue configured: what the budget leaves stays due
	}
	return &RecheckHandler{Service: s, Bucket: bucket, Queue: queue, Log: log,
		Budget: RecheckBudget{MaxItems: 300, Location: loc}}, nil
}

func (h *RecheckHandler) now() time.Time {
	if h.Now == nil {
		return time.Now().UTC()
	}
	return h.Now().UTC()
}

// Handle tells an SQS batch from the scheduled event by its shape.
func (h *RecheckHandler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
		Bucket *string `json:"bucket"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("re-check: undecodable event: %w", err)
	}
	switch {
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decoding the SQS event: %w", err)
		}
		return h.HandleSQS(ctx, ev)
	case probe.Bucket != nil:
		var ev RecheckEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decoding the scheduled event: %w", err)
		}
		return h.HandleScheduled(ctx, ev)
	}
	return nil, fmt.Errorf("re-check %s: unsupported event: expected {\"bucket\":%q} from EventBridge Scheduler or an SQS batch", h.Bucket, h.Bucket)
}

// Handles reports whether the function re-checks bucket: its own, and
// for the TRANSACTION function the PENDING transactions as well.
func (h *RecheckHandler) Handles(bucket string) bool {
	return bucket == h.Bucket || (h.Bucket == records.BucketTransaction && bucket == records.BucketPending)
}

// HandleScheduled re-checks the due records up to the budget and sends
// the ids beyond it to the queue.
func (h *RecheckHandler) HandleScheduled(ctx context.Context, ev RecheckEvent) (RecheckReport, error) {
	if !h.Handles(ev.Bucket) {
		return RecheckReport{}, fmt.Errorf("this function re-checks bucket %s, not %q", h.Bucket, ev.Bucket)
	}
	b := h.Budget
	b.Force = ev.Force
	if h.Queue != nil {
		b.Overflow = func(ctx context.Context, ids []string) error {
			body, err := json.Marshal(RecheckMessage{Bucket: ev.Bucket, IDs: ids})
			if err != nil {
				return err
			}
			return h.Queue.Send(ctx, string(body), map[string]string{api.AttrOperation: "recheck-" + ev.Bucket})
		}
	}
	rep, err := h.Service.RecheckDue(ctx, ev.Bucket, h.now(), b)
	h.log(ctx, "scheduled", rep, err)
	return rep, err
}

// HandleSQS re-checks the ids of each message. A message is reported as a
// batch item failure (SQS delivers it again later) when one of its ids
// failed transiently or was not reached because the run stopped (time,
// allowance, a 429): the ids already done are skipped on redelivery, since
// they are no longer due.
func (h *RecheckHandler) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	stopped := ""
	for _, msg := range ev.Records {
		fail := func() {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
		if stopped != "" {
			fail()
			continue
		}
		var m RecheckMessage
		if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || !h.Handles(m.Bucket) {
			// Never passes: log it and let it go (nothing to dead-letter
			// beyond ids the next scheduled run reads again anyway).
			h.Log.ErrorContext(ctx, "re-check: bad queue message", "bucket", h.Bucket, "message_id", msg.MessageId, "body", msg.Body)
			continue
		}
		b := h.Budget
		b.Force = true
		rep, err := h.Service.RecheckIDs(ctx, m.IDs, h.now(), b)
		rep.Bucket = m.Bucket
		h.log(ctx, "queue", rep, err)
		if err != nil || len(rep.RetryIDs) > 0 {
			fail()
		}
		if rep.Stopped != "" {
			stopped = rep.Stopped
		}
	}
	return resp, nil
}

func (h *RecheckHandler) log(ctx context.Context, source string, rep RecheckReport, err error) {
	attrs := []any{"operation", "recheck", "source", source, "bucket", rep.Bucket, "items_read", rep.ItemsRead, "due", rep.Due,
		"rechecked", rep.Rechecked, "changed", rep.Changed, "unchanged", rep.Unchanged, "skipped", rep.Skipped,
		"failed", rep.Failed, "retry", rep.Retry, "queued", rep.Queued, "left", rep.Left, "pacer_delays", rep.Pacer.Delays}
	if rep.Stopped != "" {
		attrs = append(attrs, "stopped", rep.Stopped)
	}
	if len(rep.Errors) > 0 {
		attrs = append(attrs, "errors", rep.Errors)
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "re-check failed", append(attrs, "error", err.Error())...)
		return
	}
	h.Log.InfoContext(ctx, "re-check", attrs...)
}
