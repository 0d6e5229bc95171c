package lambdaruntime

import (
	"context"
	"errors"
	"sync"
)

// Function runs invocations of one function on a pool of processes,
// starting a new one (a cold start) when every running one is busy, up to
// Concurrency, as Lambda scales. A process that crashed or timed out is
// dropped; the next invocation starts a fresh one.
type Function struct {
	Config
	// Concurrency caps the processes running at once (default 1).
	Concurrency int

	mu     sync.Mutex
	idle   []*Process
	slots  chan struct{}
	closed bool
}

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("lambdaruntime: function closed")

// Invoke runs one event on an idle process, or a new one.
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	p, err := f.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	res, err := p.Invoke(ctx, payload)
	f.release(p)
	return res, err
}

func (f *Function) acquire(ctx context.Context) (*Process, error) {
	f.mu.Lock()
	if f.slots == nil {
		n := f.Concurrency
		if n <= 0 {
			n = 1
		}
		f.slots = make(chan struct{}, n)
	}
	slots := f.slots
	f.mu.Unlock()
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		<-slots
		return nil, ErrClosed
	}
	for len(f.idle) > 0 {
		p := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if p.Alive() {
			return p, nil
		}
	}
	p, err := Start(f.Config)
	if err != nil {
		<-slots
		return nil, err
	}
	return p, nil
}

func (f *Function) release(p *Process) {
	f.mu.Lock()
	if p.Alive() && !f.closed {
		f.idle = append(f.idle, p)
	} else {
		go p.Close()
	}
	f.mu.Unlock()
	<-f.slots
}

// Close stops every idle process; busy ones stop when they answer.
func (f *Function) Close() error {
	f.mu.Lock()
	f.closed = true
	idle := f.idle
	f.idle = nil
	f.mu.Unlock()
	for _, p := range idle {
		p.Close()
	}
	return nil
}
