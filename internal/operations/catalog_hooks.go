package operations

import (
	"context"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
)

// The hook operations. They hang off Hooks, not Service: they need the
// secret token and the processing queue.

// ReceiveHookOp is the receiving function: GET /hooks/{token}. Prefer
// HTTPHandler, which answers a wrong token before decoding.
func (h *Hooks) ReceiveHookOp() api.Operation[ReceiveHookInput] {
	return api.Operation[ReceiveHookInput]{Name: "receive-hook", Run: h.ReceiveHook}
}

// ProcessHookOp is the processing function, fed by the receiving
// function's queue (api.SQS).
func (h *Hooks) ProcessHookOp() api.Operation[HookMessage] {
	return api.Operation[HookMessage]{Name: "process-hook", Run: func(ctx context.Context, m *HookMessage, _ api.Call) (api.Result, error) {
		rep, err := h.ProcessHook(ctx, *m)
		if err != nil {
			return api.Result{}, err
		}
		return api.OK(rep), nil
	}}
}
