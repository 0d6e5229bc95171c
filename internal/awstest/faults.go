package awstest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Faults makes chosen AWS calls fail, as a network or service failure
// would, without reaching the server: a test arms it, the code under test
// sees the SDK return an error. Add Middleware to aws.Config.APIOptions.
// It is safe for concurrent use.
type Faults struct {
	mu    sync.Mutex
	armed map[string][]*armedHook
	dups  map[string]int
}

// DuplicateNext makes the next n calls of service/operation be sent twice,
// the caller seeing only the second answer: what an SDK retry does after
// a first attempt that reached the server but whose answer was lost.
func (f *Faults) DuplicateNext(service, operation string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dups == nil {
		f.dups = map[string]int{}
	}
	f.dups[key(service, operation)] += n
}

// duplicate reports whether this call is to be sent twice.
func (f *Faults) duplicate(service, operation string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := key(service, operation)
	if f.dups[k] == 0 {
		return false
	}
	f.dups[k]--
	return true
}

// armedHook is a hook waiting for its call.
type armedHook struct {
	FaultHook
	used atomic.Bool
}

// FaultHook decides whether a call fails: it gets the call's input and
// returns the error to fail with, or nil to let the call through. A hook
// stays armed until it has failed one call, or for good with Keep.
type FaultHook struct {
	Fail func(input any) error
	Keep bool
}

// ErrInjected is the error injected calls fail with by default.
var ErrInjected = fmt.Errorf("awstest: injected failure")

// FailNext makes the next n calls of service/operation (e.g. "DynamoDB",
// "UpdateItem") fail with ErrInjected.
func (f *Faults) FailNext(service, operation string, n int) {
	for range n {
		f.Arm(service, operation, FaultHook{Fail: func(any) error { return ErrInjected }})
	}
}

// Arm queues a hook for the next call of service/operation.
func (f *Faults) Arm(service, operation string, h FaultHook) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed == nil {
		f.armed = map[string][]*armedHook{}
	}
	k := key(service, operation)
	f.armed[k] = append(f.armed[k], &armedHook{FaultHook: h})
}

// Clear disarms everything.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed = nil
}

// fire runs the armed hooks of a call in order, outside the lock (a hook
// may itself call AWS), and returns the first error one gives, disarming
// that hook unless it is kept; of two calls racing for one hook, only one
// fails.
func (f *Faults) fire(service, operation string, input any) error {
	f.mu.Lock()
	hooks := append([]*armedHook(nil), f.armed[key(service, operation)]...)
	f.mu.Unlock()
	for _, h := range hooks {
		err := h.Fail(input)
		if err == nil {
			continue
		}
		if h.Keep {
			return err
		}
		if h.used.CompareAndSwap(false, true) {
			f.disarm(service, operation, h)
			return err
		}
	}
	return nil
}

func (f *Faults) disarm(service, operation string, h *armedHook) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := key(service, operation)
	for i, x := range f.armed[k] {
		if x == h {
			f.armed[k] = append(f.armed[k][:i:i], f.armed[k][i+1:]...)
			return
		}
	}
}

// Middleware adds the fault step to a client's stack, first of all (so a
// hook never runs under another step's lock), before the request is
// signed and sent.
func (f *Faults) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awstest.Faults",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			if err := f.fire(svc, op, in.Parameters); err != nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}
			if f.duplicate(svc, op) {
				_, _, _ = next.HandleInitialize(ctx, in) // the attempt whose answer is lost
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}
