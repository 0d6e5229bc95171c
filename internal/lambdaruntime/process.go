// Package lambdaruntime runs a function's real bootstrap binary as AWS
// Lambda does, without Docker: it starts the process with the Lambda
// environment and serves it the Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) on
// 127.0.0.1, handing it one event at a time and collecting its answer.
//
// A Process is one execution environment (one cold start, then warm
// invocations); a Function keeps a pool of them, started on demand up to
// a concurrency limit, as Lambda scales a function.
package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one function's execution environment.
type Config struct {
	// Name is the function's name (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// Binary is the path of the bootstrap executable.
	Binary string
	// Env is the function's own environment (KEY=value), added to the
	// variables Lambda sets. Nothing of the caller's environment is passed
	// on unless it is listed here (Lambda has no AWS_CA_BUNDLE, for one).
	Env []string
	// Timeout is the function's timeout (default 10 s): an invocation
	// still running then is killed with its process, as in Lambda.
	Timeout time.Duration
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 256).
	MemoryMB int
	// Output receives the process's stdout and stderr (its log lines);
	// nil discards them.
	Output io.Writer
}

// Result is the outcome of one invocation.
type Result struct {
	// RequestID is the invocation's Lambda-Runtime-Aws-Request-Id.
	RequestID string
	// Payload is the handler's answer (or the error document).
	Payload []byte
	// Err is set when the handler returned an error (POST .../error).
	Err *FunctionError
	// Cold is true for the first invocation of a process.
	Cold bool
	// Init is, for a cold invocation, the time from process start to its
	// first request for an event (Lambda's init phase).
	Init time.Duration
	// Duration is the time from handing the event over to the answer.
	Duration time.Duration
	// SinceStart is, for a cold invocation, process start to the answer.
	SinceStart time.Duration
}

// FunctionError is the error document a handler's failure posts.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// ErrExited reports that the process ended (crashed, exited in its init
// phase or was killed on a timeout) before answering.
var ErrExited = errors.New("lambdaruntime: the function's process exited before answering")

// ErrTimeout reports an invocation that ran past the function's timeout.
var ErrTimeout = errors.New("lambdaruntime: task timed out")

// Process is one running execution environment.
type Process struct {
	cfg     Config
	cmd     *exec.Cmd
	srv     *http.Server
	started time.Time
	events  chan *invocation
	done    chan struct{} // closed when the process has exited
	exitErr error

	mu       sync.Mutex
	inflight map[string]*invocation
	next     time.Time // when the process first asked for an event
	served   int
}

type invocation struct {
	id      string
	payload []byte
	handed  time.Time
	answer  chan answer
}

type answer struct {
	body []byte
	err  *FunctionError
	at   time.Time
}

var requestSeq atomic.Int64

// Start starts the binary and its Runtime API. The process runs its init
// phase at once; Invoke waits for it.
func Start(cfg Config) (*Process, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 256
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listening for the Runtime API: %w", err)
	}
	p := &Process{cfg: cfg, events: make(chan *invocation), done: make(chan struct{}), inflight: map[string]*invocation{}}
	p.srv = &http.Server{Handler: p.routes()}
	go p.srv.Serve(ln)

	p.cmd = exec.Command(cfg.Binary)
	p.cmd.Env = append(lambdaEnv(cfg, ln.Addr().String()), cfg.Env...)
	p.cmd.Stdout, p.cmd.Stderr = cfg.Output, cfg.Output
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.srv.Close()
		return nil, fmt.Errorf("lambdaruntime: starting %s: %w", cfg.Binary, err)
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.done)
		p.srv.Close()
	}()
	return p, nil
}

// lambdaEnv is what Lambda sets in every provided.al2023 environment.
func lambdaEnv(cfg Config, api string) []string {
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(cfg.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=/var/task",
		"TZ=:UTC",
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}
}

// Pid is the process id (to read its memory use, for one).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Close stops the process (SIGKILL, as Lambda ends an environment) and
// its Runtime API.
func (p *Process) Close() error {
	if p.Alive() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
	return nil
}

// Invoke hands the process one event and waits for its answer, the
// function's timeout or ctx. On a timeout the process is killed.
func (p *Process) Invoke(ctx context.Context, payload []byte) (Result, error) {
	inv := &invocation{id: fmt.Sprintf("%08x-local-%d", time.Now().UnixNano()&0xffffffff, requestSeq.Add(1)), payload: payload, answer: make(chan answer, 1)}
	timeout := time.NewTimer(p.cfg.Timeout)
	defer timeout.Stop()
	select {
	case p.events <- inv:
	case <-p.done:
		return Result{RequestID: inv.id}, p.exited()
	case <-ctx.Done():
		return Result{RequestID: inv.id}, ctx.Err()
	}
	select {
	case a := <-inv.answer:
		return p.result(inv, a), nil
	case <-p.done:
		return Result{RequestID: inv.id}, p.exited()
	case <-timeout.C:
		p.Close()
		return Result{RequestID: inv.id}, fmt.Errorf("%s after %s: %w", p.cfg.Name, p.cfg.Timeout, ErrTimeout)
	case <-ctx.Done():
		p.Close()
		return Result{RequestID: inv.id}, ctx.Err()
	}
}

func (p *Process) result(inv *invocation, a answer) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.served++
	r := Result{RequestID: inv.id, Payload: a.body, Err: a.err, Duration: a.at.Sub(inv.handed)}
	if p.served == 1 {
		r.Cold, r.Init, r.SinceStart = true, p.next.Sub(p.started), a.at.Sub(p.started)
	}
	return r
}

func (p *Process) exited() error {
	<-p.done
	if p.exitErr != nil {
		return fmt.Errorf("%s: %w (%v)", p.cfg.Name, ErrExited, p.exitErr)
	}
	return fmt.Errorf("%s: %w", p.cfg.Name, ErrExited)
}

const apiPrefix = "/2018-06-01/runtime/"

func (p *Process) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"invocation/next", p.serveNext)
	mux.HandleFunc("POST "+apiPrefix+"invocation/{id}/response", p.serveAnswer(false))
	mux.HandleFunc("POST "+apiPrefix+"invocation/{id}/error", p.serveAnswer(true))
	mux.HandleFunc("POST "+apiPrefix+"init/error", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(p.cfg.Output, io.LimitReader(r.Body, 1<<16))
		w.WriteHeader(http.StatusAccepted)
		go p.Close() // Lambda ends an environment whose init failed
	})
	return mux
}

func (p *Process) serveNext(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.next.IsZero() {
		p.next = time.Now()
	}
	p.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-p.events:
	case <-r.Context().Done():
		return
	case <-p.done:
		return
	}
	inv.handed = time.Now()
	p.mu.Lock()
	p.inflight[inv.id] = inv
	p.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.handed.Add(p.cfg.Timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:"+p.cfg.Name)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	w.Write(inv.payload)
}

func (p *Process) serveAnswer(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
		at := time.Now()
		p.mu.Lock()
		inv, ok := p.inflight[r.PathValue("id")]
		delete(p.inflight, r.PathValue("id"))
		p.mu.Unlock()
		if !ok {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		a := answer{body: body, at: at}
		if isError {
			a.err = &FunctionError{}
			if json.Unmarshal(body, a.err) != nil || a.err.Type == "" {
				a.err = &FunctionError{Type: "Unknown", Message: strings.TrimSpace(string(bytes.ToValidUTF8(body, nil)))}
			}
		} else if len(body) > 6<<20 {
			a.err = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response payload exceeds 6 MB"}
		}
		inv.answer <- a
		w.WriteHeader(http.StatusAccepted)
	}
}
