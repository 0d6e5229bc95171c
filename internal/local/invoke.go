package local

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/lambdaruntime"
)

// InvokeResult is what one `invoke` run did.
type InvokeResult struct {
	lambdaruntime.Result
	// Event is the event sent, placeholders filled.
	Event []byte
}

// InvokeBinary builds nothing: it starts a fresh process of the
// function's binary with the environment env, runs one event through the
// Runtime API (a cold start) and stops the process.
func InvokeBinary(ctx context.Context, root, name string, env []string, timeout time.Duration, event []byte, logs io.Writer) (lambdaruntime.Result, error) {
	p, err := lambdaruntime.Start(lambdaruntime.Config{Name: name, Binary: filepath.Join(BinDir(root), name), Env: env, Timeout: timeout, Output: logs})
	if err != nil {
		return lambdaruntime.Result{}, err
	}
	defer p.Close()
	return p.Invoke(ctx, event)
}

func cmdInvoke(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fn := fs.String("fn", "", "the function (its folder in functions/)")
	eventFile := fs.String("event", "", "the event file (e.g. events/create-natural-user.json)")
	vars := fs.String("vars", "", "placeholder values, NAME=value,NAME=value (the rest are made on a transient stack)")
	verbose := fs.Bool("v", false, "print the function's log lines and the stack's invocations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fn == "" || *eventFile == "" {
		return fmt.Errorf("invoke needs -fn and -event (make invoke FN=create-natural-user EVENT=events/create-natural-user.json)")
	}
	given := map[string]string{}
	for _, kv := range strings.FieldsFunc(*vars, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-vars %q: want NAME=value", kv)
		}
		given[k] = v
	}
	root, err := Root(".")
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(*eventFile)
	if err != nil {
		return err
	}
	logs := io.Discard
	if *verbose {
		logs = &lineWriter{w: out, prefix: "  " + *fn + " | "}
	}
	var res lambdaruntime.Result
	var event []byte
	if st, ok := runningStack(ctx, root); ok {
		env, ok := st.Env[*fn]
		if !ok {
			return fmt.Errorf("%w: %s", ErrUnknownFunction, *fn)
		}
		fmt.Fprintf(out, "using the running stack at %s (make run)\n", st.APIURL)
		if event, err = fillGiven(raw, given); err != nil {
			return err
		}
		if err := Build(ctx, root, []string{*fn}); err != nil {
			return err
		}
		res, err = InvokeBinary(ctx, root, *fn, env, 5*time.Minute, event, logs)
		if err != nil {
			return err
		}
	} else {
		var stackOut io.Writer = io.Discard
		if *verbose {
			stackOut = out
		}
		fmt.Fprintln(out, "no running stack (make run): starting a transient one")
		s, err := Start(ctx, Options{Addr: "127.0.0.1:0", Out: stackOut})
		if err != nil {
			return err
		}
		defer s.Close()
		spec, ok := s.Functions[*fn]
		if !ok {
			return fmt.Errorf("%w: %s", ErrUnknownFunction, *fn)
		}
		if event, err = NewFiller(s, given).Load(ctx, *eventFile, nil, false); err != nil {
			return err
		}
		res, err = InvokeBinary(ctx, root, *fn, s.Env(*fn), spec.Timeout, event, logs)
		if err != nil {
			return err
		}
	}
	printResult(out, *fn, res)
	if res.Err != nil {
		return fmt.Errorf("%s returned an error", *fn)
	}
	return nil
}

func printResult(out io.Writer, fn string, res lambdaruntime.Result) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, res.Payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(res.Payload)
	}
	fmt.Fprintf(out, "%s answered (request %s):\n%s\n", fn, res.RequestID, pretty.String())
	fmt.Fprintf(out, "init %s (cold start), handler %s, process start to answer %s\n",
		res.Init.Round(100*time.Microsecond), res.Duration.Round(100*time.Microsecond), res.SinceStart.Round(100*time.Microsecond))
}

// fillGiven fills the placeholders from given only.
func fillGiven(raw []byte, given map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-2])
		v, ok := given[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		b, _ := json.Marshal(v)
		return b[1 : len(b)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("with a running stack, give the placeholders: VARS='%s=...' (or stop make run to let invoke make them)", strings.Join(missing, "=...,"))
	}
	return out, nil
}

// runningStack reads build/local/stack.json if its API answers.
func runningStack(ctx context.Context, root string) (stackState, bool) {
	var st stackState
	b, err := os.ReadFile(filepath.Join(root, "build", "local", "stack.json"))
	if err != nil || json.Unmarshal(b, &st) != nil || !strings.HasPrefix(st.APIURL, "http://127.0.0.1:") {
		return st, false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.APIURL+"/__local/", nil)
	if err != nil {
		return st, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, false
	}
	resp.Body.Close()
	return st, resp.StatusCode == http.StatusOK
}
