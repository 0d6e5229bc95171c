package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Claims is the idempotency store (records.Store implements it).
type Claims interface {
	BeginIdempotent(ctx context.Context, scope, key, fingerprint, subject string) (records.IdemAnswer, error)
	CompleteIdempotent(ctx context.Context, scope, key, token string, response []byte, status int) error
	ReleaseIdempotent(ctx context.Context, scope, key, token string) error
}

// Sender puts a message on a queue.
type Sender interface {
	Send(ctx context.Context, body string, attrs map[string]string) error
}

// Deps are what the handlers need besides the operation.
type Deps struct {
	// Claims stores idempotency claims and answers.
	Claims Claims
	// IDs mints the ids of the records creates write.
	IDs interface{ NewID(records.Kind) string }
	// Queue is the operation's own queue (async creates hand work to it).
	Queue Sender
	// DeadLetters receives messages that can never succeed, with the reason.
	DeadLetters Sender
	// Log receives one line per request or message.
	Log *slog.Logger
	// MaxReceiveCount is the queue's maxReceiveCount (0 = unknown): a
	// message failing at its last reception is dead-lettered with its
	// reason instead of being redriven by SQS without one.
	MaxReceiveCount int
}

// Message attributes used on the queues.
const (
	AttrIdempotencyKey = "Idempotency-Key"
	AttrClaim          = "Claim-Token"
	AttrRecordID       = "Record-Id"
	AttrFailureReason  = "Failure-Reason"
	AttrOperation      = "Operation"
)

// answer is the encoded outcome of one request.
type answer struct {
	status  int
	body    []byte
	err     *Error
	headers map[string]string
	// queued is true when an async create handed its work to the queue.
	queued bool
	// recordID is the record the request wrote or read, for the log.
	recordID string
	// cause is the error behind err, for the log only.
	cause error
}

// execute runs op for in under the idempotency protocol: without a key it
// just runs; with one, the same request gets the stored answer, a
// different request with the same key a 409, and a duplicate while the
// first still runs a 409 to retry later. Never a second execution.
func execute[T any](ctx context.Context, d *Deps, op *Operation[T], in *T, call Call) answer {
	if call.Claim != "" { // an async create handed over by its HTTP request
		return finish(ctx, d, op, call, run(ctx, d, op, in, call))
	}
	proposed, reused := "", false
	if op.Create {
		// A message redriven from the DLQ names the record its request
		// wrote: it is continued, even once the key's claim has expired.
		proposed = d.IDs.NewID(op.Kind)
		if k, ok := records.KindOfID(call.RecordID); ok && k == op.Kind {
			proposed, reused = call.RecordID, true
		}
	}
	if call.Key == "" {
		call.RecordID, call.Fresh = proposed, op.Create && !reused
		return run(ctx, d, op, in, call)
	}
	body, _ := json.Marshal(in)
	ans, err := d.Claims.BeginIdempotent(ctx, op.Name, call.Key, records.Fingerprint([]byte(op.Name), body), proposed)
	if err != nil {
		return failed(fmt.Errorf("idempotency claim: %w", err))
	}
	switch ans.State {
	case records.IdemDone:
		if op.RerunOnReplay {
			call.RecordID = ans.Subject
			return run(ctx, d, op, in, call)
		}
		return answer{status: ans.Status, body: ans.Response, headers: map[string]string{"Idempotent-Replayed": "true"}}
	case records.IdemConflict:
		return failed(&Error{Status: http.StatusConflict, Title: "Idempotency-Key reused",
			Detail: "this Idempotency-Key was already used for a different request; use a new key for a new request."})
	case records.IdemInProgress:
		a := failed(&Error{Status: http.StatusConflict, Title: "Request in progress", Transient: true,
			Detail: fmt.Sprintf("the first request with this Idempotency-Key is still running (record %s); send it again later for its answer.", ans.Subject)})
		a.headers = map[string]string{"Retry-After": retryAfter(ans.LeaseUntil)}
		return a
	}
	call.RecordID, call.Claim = ans.Subject, ans.Token
	call.Fresh = op.Create && !ans.Resumed && ans.Subject == proposed && !reused
	return finish(ctx, d, op, call, run(ctx, d, op, in, call))
}

// finish stores a final answer under the claim, or releases the claim when
// the failure may pass (later, or once the user acted), so a retry runs
// again. A queued async create keeps its claim: the worker finishes it.
func finish[T any](ctx context.Context, d *Deps, op *Operation[T], call Call, a answer) answer {
	switch {
	case a.queued:
	case a.err == nil || a.err.Permanent() && !a.err.UserAction:
		body := a.body
		if op.RerunOnReplay {
			body = nil
		}
		if err := d.Claims.CompleteIdempotent(ctx, op.Name, call.Key, call.Claim, body, a.status); err != nil && !errors.Is(err, records.ErrConflict) {
			d.Log.ErrorContext(ctx, "storing idempotent answer failed", "operation", op.Name, "error", err.Error())
		}
	default:
		if err := d.Claims.ReleaseIdempotent(ctx, op.Name, call.Key, call.Claim); err != nil && !errors.Is(err, records.ErrConflict) {
			d.Log.ErrorContext(ctx, "releasing idempotency claim failed", "operation", op.Name, "error", err.Error())
		}
	}
	return a
}

// run calls the operation once and encodes what it returns.
func run[T any](ctx context.Context, d *Deps, op *Operation[T], in *T, call Call) answer {
	a := runOp(ctx, d, op, in, call)
	a.recordID = call.RecordID
	return a
}

func runOp[T any](ctx context.Context, d *Deps, op *Operation[T], in *T, call Call) answer {
	res, err := op.Run(ctx, in, call)
	if err != nil {
		return failed(err)
	}
	body, err := json.Marshal(res.Body)
	if err != nil {
		return failed(fmt.Errorf("encoding the answer: %w", err))
	}
	a := answer{status: res.Status, body: body}
	if call.Async && res.Status == http.StatusAccepted {
		if err := handOver(ctx, d, in, call); err != nil {
			return failed(err)
		}
		a.queued = true
	}
	return a
}

// handOver queues the rest of an async create, with the claim and record.
func handOver[T any](ctx context.Context, d *Deps, in *T, call Call) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	attrs := map[string]string{AttrRecordID: call.RecordID}
	if call.Key != "" {
		attrs[AttrIdempotencyKey], attrs[AttrClaim] = call.Key, call.Claim
	}
	if err := d.Queue.Send(ctx, string(body), attrs); err != nil {
		return fmt.Errorf("queueing the async request: %w", err)
	}
	return nil
}

func failed(err error) answer {
	e := classify(err)
	// The body is kept so that an idempotent replay of this answer carries it.
	body := problem.ResponseDetails(problem.Details{Status: e.Status, Title: e.Title, Detail: e.Detail,
		Errors: e.Fields, RedirectURL: e.RedirectURL}).Body
	a := answer{status: e.Status, err: e, cause: err, body: []byte(body)}
	if e.Status == http.StatusServiceUnavailable {
		a.headers = map[string]string{"Retry-After": "2"}
	}
	return a
}

// retryAfter is the whole seconds until t, at least 1.
func retryAfter(t time.Time) string {
	s := int(time.Until(t).Seconds())
	return fmt.Sprint(max(1, min(s, 60)))
}
