// Package api turns an operation into the Lambda handlers of its HTTP route
// (API Gateway HTTP API, payload 2.0) and of its SQS queue. Both faces share
// one strict decoder, one validator, one idempotency protocol and one
// mapping of errors to answers, so an operation is written once, as a plain
// function of its typed input.
package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Input is what an operation's input type implements: it checks its own
// fields, adding each problem to v.
type Input interface {
	Validate(v *validate.Errors)
}

// Operation is one Lambda's operation.
type Operation[T any] struct {
	// Name is the operation's name, e.g. "create-natural-user". It scopes
	// idempotency keys and names the operation in logs.
	Name string
	// Create marks an operation that creates an object: it answers 201, and
	// may be asked to answer at once with 202 and finish through its queue.
	Create bool
	// Kind is the kind of record a create writes.
	Kind records.Kind
	// RerunOnReplay keeps the answer out of the idempotency store (it
	// holds values that must not be stored, such as a card registration's
	// access key): a replay runs the operation again on the same record,
	// which must then answer from Mangopay without creating anything.
	RerunOnReplay bool
	// Run performs the operation.
	Run func(ctx context.Context, in *T, call Call) (Result, error)
}

// Call describes how the operation was invoked.
type Call struct {
	// Key is the caller's idempotency key, "" when none was given.
	Key string
	// RecordID is the id of the record a create must write: the same for
	// every retry of the same request.
	RecordID string
	// Fresh is true when RecordID was minted for this very call (no key,
	// or a new claim that is not a takeover): no earlier attempt can have
	// written it, so a create need not look for it.
	Fresh bool
	// Async asks a create to write its PENDING record, queue the rest of
	// the work and answer 202.
	Async bool
	// Claim is the idempotency claim held for this request ("" when none);
	// an async create passes it to its queue so the worker completes it.
	Claim string
	// Source is "http" or "sqs".
	Source string
}

// Result is an operation's answer.
type Result struct {
	Status int
	Body   any
}

// OK, Created and Accepted build results.
func OK(body any) Result       { return Result{Status: http.StatusOK, Body: body} }
func Created(body any) Result  { return Result{Status: http.StatusCreated, Body: body} }
func Accepted(body any) Result { return Result{Status: http.StatusAccepted, Body: body} }

// Error is an answer other than success that an operation chooses: it
// carries the HTTP status and the field errors, and tells a queue whether
// trying again could ever help.
type Error struct {
	Status int
	Title  string
	Detail string
	Fields []problem.FieldError
	// Transient marks a 4xx that a later retry may pass (a duplicate of a
	// request still running).
	Transient bool
	// RedirectURL, when set, is where the caller must send its user before
	// trying again: the answer's redirect_url member. It may carry a token
	// and is never part of Error(), which is logged and becomes a dead
	// letter's reason.
	RedirectURL string
	// UserAction marks a refusal only the user can lift (strong customer
	// authentication): permanent for a queue (dead-lettered, not retried),
	// but not kept as the idempotent answer of the request, so that the
	// same request passes once the user acted.
	UserAction bool
}

// Error describes the problem.
func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, e.Title)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f.Field, f.Reason)
	}
	return s
}

// Permanent reports whether repeating the same request can never succeed.
func (e *Error) Permanent() bool {
	return !e.Transient && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// Invalid is a 400 naming the bad fields.
func Invalid(fields ...problem.FieldError) error {
	return &Error{Status: http.StatusBadRequest, Title: "Invalid request",
		Detail: "Correct the fields listed in errors and send the request again.", Fields: fields}
}

// InvalidField is a 400 for one field.
func InvalidField(field, format string, args ...any) error {
	return Invalid(problem.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// NotFound is a 404 for an unknown id.
func NotFound(what, id string) error {
	return &Error{Status: http.StatusNotFound, Title: "Not found", Detail: fmt.Sprintf("no %s with id %q", what, id)}
}

// Conflict is a 409: the request contradicts the state of a record.
func Conflict(detail string) error {
	return &Error{Status: http.StatusConflict, Title: "Conflict", Detail: detail}
}

// asError finds an *Error in err's chain.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
