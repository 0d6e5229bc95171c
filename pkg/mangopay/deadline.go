package mangopay

import (
	"context"
	"time"
)

// callDeadlineKey is the context key of WithCallDeadline.
type callDeadlineKey struct{}

// WithCallDeadline returns a context under which every Mangopay call
// (each attempt and the retries between them) ends by t, earlier than the
// context's own deadline: the caller keeps the time after t to record
// the outcome and answer before its invocation's deadline. A call cut
// this way fails with context.DeadlineExceeded (a transient error).
func WithCallDeadline(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, callDeadlineKey{}, t)
}

// callContext applies WithCallDeadline's deadline, if any, to ctx.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if t, ok := ctx.Value(callDeadlineKey{}).(time.Time); ok {
		return context.WithDeadline(ctx, t)
	}
	return ctx, func() {}
}
