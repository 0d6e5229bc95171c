package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The scheduled and on-demand jobs around hooks, as Lambda handlers of
// their events (an EventBridge Scheduler payload, or an invocation by hand
// with `aws lambda invoke`).

// ReconcileJob is functions/reconcile-hooks: each run reconciles
// GET /events since the last run (see ReconcileSinceLastRun). The event's
// content is ignored.
func (h *Hooks) ReconcileJob(now func() time.Time) func(context.Context, json.RawMessage) (ReconcileReport, error) {
	return func(ctx context.Context, _ json.RawMessage) (ReconcileReport, error) {
		return h.ReconcileSinceLastRun(ctx, now())
	}
}

// RegisterJob is functions/register-hooks: it creates or repairs the
// Mangopay hook of every event type we handle, pointing at hookURL (the
// deployed URL with its secret token). It runs daily, so a hook Mangopay
// set INVALID after 100 failed deliveries is repaired the next day, and
// can be invoked by hand after a deployment.
func (h *Hooks) RegisterJob(hookURL string) (func(context.Context, json.RawMessage) (RegisterReport, error), error) {
	if hookURL == "" {
		return nil, errors.New("register-hooks: HOOK_URL is not set: give the deployed https://.../hooks/<token> URL")
	}
	return func(ctx context.Context, _ json.RawMessage) (RegisterReport, error) {
		rep, err := h.RegisterHooks(ctx, hookURL)
		if err != nil {
			return rep, fmt.Errorf("registering hooks: %w", err)
		}
		return rep, nil
	}, nil
}

// CheckReceiver says what receive-hook lacks to start: the secret token
// and the processing queue.
func (h *Hooks) CheckReceiver() error {
	if len(h.Token) < MinHookTokenLen {
		return fmt.Errorf("receive-hook: HOOK_TOKEN must hold the secret hook token (at least %d characters)", MinHookTokenLen)
	}
	if q, ok := h.Queue.(interface{ Configured() bool }); ok && !q.Configured() {
		return errors.New("receive-hook: HOOK_QUEUE_URL must name the process-hook queue")
	}
	return nil
}
