package lambdaruntime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// probeBinary is testdata/probe, built once by TestMain.
var probeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaruntime-probe-")
	if err != nil {
		panic(err)
	}
	probeBinary = filepath.Join(dir, "bootstrap")
	out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", probeBinary, "./testdata/probe").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("building the probe function: " + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func probeConfig(t *testing.T) Config {
	t.Helper()
	return Config{Name: "probe", Binary: probeBinary, Env: []string{"GREETING=hello"}, Timeout: 5 * time.Second}
}

type reply struct {
	Echo      string `json:"echo"`
	Env       string `json:"env"`
	RequestID string `json:"request_id"`
	Deadline  bool   `json:"deadline"`
}

func invoke(t *testing.T, p interface {
	Invoke(context.Context, []byte) (Result, error)
}, event string) (Result, reply) {
	t.Helper()
	res, err := p.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	var r reply
	if res.Err == nil {
		if err := json.Unmarshal(res.Payload, &r); err != nil {
			t.Fatalf("answer %q: %v", res.Payload, err)
		}
	}
	return res, r
}

func TestProcessServesEventsAsLambdaDoes(t *testing.T) {
	p, err := Start(probeConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	first, r := invoke(t, p, `{"echo":"one","env":"GREETING"}`)
	if r.Echo != "one" || r.Env != "hello" || r.RequestID != first.RequestID || !r.Deadline {
		t.Fatalf("first answer %+v (request %s): want the echo, the configured env, the request id and a deadline", r, first.RequestID)
	}
	if !first.Cold || first.Init <= 0 || first.SinceStart < first.Init+first.Duration-time.Millisecond {
		t.Fatalf("first invocation %+v: want a cold start with its init and total durations", first)
	}
	second, r2 := invoke(t, p, `{"echo":"two","env":"AWS_LAMBDA_FUNCTION_NAME"}`)
	if second.Cold || second.Init != 0 || r2.Echo != "two" || r2.Env != "probe" || second.RequestID == first.RequestID {
		t.Fatalf("second invocation %+v %+v: want a warm answer with a new request id", second, r2)
	}
	_, r3 := invoke(t, p, `{"env":"AWS_CA_BUNDLE"}`)
	if r3.Env != "" {
		t.Fatal("the caller's AWS_CA_BUNDLE leaked into the function's environment")
	}
}

func TestHandlerErrorsAreReturnedAsFunctionErrors(t *testing.T) {
	p, err := Start(probeConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	res, _ := invoke(t, p, `{"fail":"no money"}`)
	if res.Err == nil || res.Err.Message != "no money" || res.Err.Type == "" {
		t.Fatalf("got %+v, want the handler's error", res.Err)
	}
	if _, r := invoke(t, p, `{"echo":"still here"}`); r.Echo != "still here" {
		t.Fatal("the process did not serve the next event after a handler error")
	}
}

func TestCrashAndTimeoutEndTheProcess(t *testing.T) {
	cfg := probeConfig(t)
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{"exit":true}`)); !errors.Is(err, ErrExited) {
		t.Fatalf("crash: got %v, want ErrExited", err)
	}
	cfg.Timeout = 300 * time.Millisecond
	p, err = Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{"hang":true}`)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("hang: got %v, want ErrTimeout", err)
	}
	<-p.Done() // the process was killed
}

func TestFunctionStartsProcessesUpToItsConcurrency(t *testing.T) {
	f := &Function{Config: probeConfig(t), Concurrency: 2}
	t.Cleanup(func() { f.Close() })
	var wg sync.WaitGroup
	colds := make(chan bool, 6)
	for range 6 {
		wg.Go(func() {
			res, _ := invoke(t, f, `{"echo":"x"}`)
			colds <- res.Cold
		})
	}
	wg.Wait()
	close(colds)
	n := 0
	for c := range colds {
		if c {
			n++
		}
	}
	if n < 1 || n > 2 {
		t.Fatalf("%d cold starts for 6 invocations at concurrency 2", n)
	}
	if _, err := f.Invoke(context.Background(), []byte(`{"exit":true}`)); !errors.Is(err, ErrExited) {
		t.Fatalf("crash: %v", err)
	}
	if res, r := invoke(t, f, `{"echo":"after"}`); r.Echo != "after" {
		t.Fatalf("after a crash the function must start a fresh process: %+v", res)
	}
}
