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

// Warm reads the credentials and obtains an OAuth token, as the first
// call would, so that a cold start can fetch both ahead of it. A call
// made meanwhile shares the fetches under way rather than repeating them.
func (b *HTTPBackend) Warm(ctx context.Context) error {
	_, _, err := b.token(ctx)
	return err
}

// Warm fetches the backend's credentials and token ahead of the first
// call (see HTTPBackend.Warm); a no-op for other backends.
func (c *Client) Warm(ctx context.Context) error {
	if w, ok := c.backend.(interface{ Warm(context.Context) error }); ok {
		return w.Warm(ctx)
	}
	return nil
}
