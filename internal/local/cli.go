package local

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const usage = `usage:
  lambda-local run    [-addr 127.0.0.1:3000] [-v] [-no-clock]   serve the function set locally until Ctrl-C
  lambda-local demo   [-v]                                        run the marketplace story end to end
  lambda-local invoke -fn NAME -event FILE [-vars K=V,...] [-v]   run one function's binary on one event
`

// Main runs the command line of cmd/lambda-local and returns its exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout)
	case "invoke":
		err = cmdInvoke(ctx, args[1:], stdout)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "lambda-local:", err)
		return 1
	}
	return 0
}

// mangopayFromEnv reads a real Mangopay's endpoint and credentials, if
// given: MANGOPAY_BASE_URL, MANGOPAY_CLIENT_ID and MANGOPAY_API_KEY.
func mangopayFromEnv(o *Options) {
	o.MangopayBaseURL = os.Getenv("MANGOPAY_BASE_URL")
	o.MangopayClientID = os.Getenv("MANGOPAY_CLIENT_ID")
	o.MangopayAPIKey = os.Getenv("MANGOPAY_API_KEY")
}

func cmdRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	addr := fs.String("addr", DefaultAddr, "the HTTP API's listen address (127.0.0.1 only)")
	verbose := fs.Bool("v", false, "also print the functions' own log lines")
	noClock := fs.Bool("no-clock", false, "run the schedules only on demand")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*addr, "127.0.0.1:") {
		return fmt.Errorf("-addr %s: the local stack listens on 127.0.0.1 only", *addr)
	}
	opts := Options{Addr: *addr, Out: out, Verbose: *verbose, Clock: !*noClock}
	mangopayFromEnv(&opts)
	started := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	state := filepath.Join(s.root, "build", "local", "stack.json")
	if b, err := json.MarshalIndent(s.state(), "", "  "); err == nil {
		_ = os.WriteFile(state, b, 0o600)
	}
	defer os.Remove(state)
	fmt.Fprintf(out, "ready in %s; try: curl -s %s/users/natural -H 'Idempotency-Key: k1' -d @events/... (see README). Ctrl-C stops.\n",
		time.Since(started).Round(time.Millisecond), s.APIURL)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping...")
	return nil
}

func cmdDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "also print the invocations and the functions' log lines")
	addr := fs.String("addr", "127.0.0.1:0", "the HTTP API's listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var stackOut io.Writer = io.Discard
	if *verbose {
		stackOut = out
	}
	started := time.Now()
	s, err := Start(ctx, Options{Addr: *addr, Out: stackOut, Verbose: *verbose})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(out, "local stack up in %s: API %s, fake Mangopay %s, moto %s\n", time.Since(started).Round(time.Millisecond),
		s.APIURL, s.MangopayURL, s.MotoURL)
	rep, err := RunDemo(ctx, s, out)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if len(rep.Mismatches) > 0 {
		return fmt.Errorf("%d expected outcome(s) not met", len(rep.Mismatches))
	}
	fmt.Fprintf(out, "demo passed in %s (after the build)\n", time.Since(started).Round(time.Millisecond))
	return nil
}

// stackState is build/local/stack.json, written by run for invoke.
type stackState struct {
	Info
	PID int                 `json:"pid"`
	Env map[string][]string `json:"env"`
}

func (s *Stack) state() stackState {
	st := stackState{Info: s.Info(), PID: os.Getpid(), Env: map[string][]string{}}
	for n := range s.Functions {
		st.Env[n] = s.Env(n)
	}
	return st
}

var errNoState = errors.New("no running stack")
