package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/lambdaruntime"
)

// Plan is the event one function is measured with: a sample of events/
// (filled by the Fixture), or Inline.
type Plan struct {
	Folder string
	File   string
	// Renew names the placeholders made anew for each event: the records a
	// function uses up (a card it deactivates, a hold it captures).
	Renew []string
	// Inline is the whole event, for the re-checks (a manual run, "force",
	// so that it does its work at any hour).
	Inline []byte
}

// renew lists, per function, what each of its events uses up.
var renew = map[string][]string{
	"add-page":                   {"DOCUMENT_ID"},
	"cancel-preauthorization":    {"CANCEL_PREAUTHORIZATION_ID"},
	"capture-preauthorization":   {"PREAUTHORIZATION_ID"},
	"complete-card-registration": {"CARD_REGISTRATION_ID", "REGISTRATION_DATA"},
	"deactivate-bank-account":    {"BANK_ACCOUNT_ID"},
	"deactivate-card":            {"DEACTIVATE_CARD_ID"},
	"refund-payin":               {"PAYIN_ID"},
	"refund-transfer":            {"TRANSFER_ID"},
	"submit-document":            {"SUBMITTABLE_DOCUMENT_ID"},
}

// Plans picks each function's event: its HTTP sample (events/<f>.json),
// else its queue sample (process-hook), else its schedule's Input; the
// re-checks get a forced run of their bucket.
func Plans(root string, folders []string) ([]Plan, error) {
	var out []Plan
	for _, f := range folders {
		p := Plan{Folder: f, Renew: renew[f]}
		switch f {
		case "recheck-documents":
			p.Inline = []byte(`{"bucket":"DOCUMENT","force":true}`)
		case "recheck-transactions":
			p.Inline = []byte(`{"bucket":"TRANSACTION","force":true}`)
		case "get-kyc-requirements":
			// The legal user's: the natural user gathers a document per
			// create-document and add-page event of the run, and this
			// function re-reads each one at Mangopay (see BENCHMARKS.md).
			p.File = "get-kyc-requirements-legal.json"
		default:
			for _, name := range []string{f + ".json", f + "-sqs.json"} {
				if _, err := os.Stat(filepath.Join(root, "events", name)); err == nil {
					p.File = name
					break
				}
			}
			if p.File == "" {
				return nil, fmt.Errorf("bench: no sample event for %s", f)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (p Plan) event(ctx context.Context, fx *Fixture) ([]byte, error) {
	if p.Inline != nil {
		return p.Inline, nil
	}
	return fx.Event(ctx, p.File, p.Renew...)
}

// ColdStart is one function's cold starts.
type ColdStart struct {
	Function string `json:"function"`
	Event    string `json:"event"`
	// Init is process start to the first request for an event; First,
	// process start to the first answer.
	Init  Summary `json:"init"`
	First Summary `json:"first_response"`
	// Calls are the round trips of the first (cold) invocation.
	Calls    map[string]int `json:"cold_calls"`
	Failures int            `json:"failures"`
	Error    string         `json:"error,omitempty"`
}

// MeasureColdStarts starts fn's binary n times, each time with a new
// event, and times its init and first answer.
func MeasureColdStarts(ctx context.Context, b *Binaries, fx *Fixture, c *Counter, p Plan, n int) ColdStart {
	cs := ColdStart{Function: p.Folder, Event: p.File}
	if p.Inline != nil {
		cs.Event = string(p.Inline)
	}
	var inits, firsts []time.Duration
	for i := range n {
		ev, err := p.event(ctx, fx)
		if err != nil {
			cs.Failures++
			cs.Error = err.Error()
			continue
		}
		proc, err := b.Start(p.Folder)
		if err != nil {
			cs.Failures++
			cs.Error = err.Error()
			continue
		}
		c.Reset()
		res, err := proc.Invoke(ctx, ev)
		if i == 0 {
			cs.Calls = c.Counts()
		}
		proc.Close()
		if err == nil {
			err = Check(p.Folder, res)
		}
		if err != nil {
			cs.Failures++
			cs.Error = err.Error()
			continue
		}
		inits, firsts = append(inits, res.Init), append(firsts, res.SinceStart)
	}
	cs.Init, cs.First = Summarize(inits), Summarize(firsts)
	return cs
}

// Warm is one function's warm invocations.
type Warm struct {
	Function string `json:"function"`
	// Calls are the round trips of one warm invocation, per service;
	// Ops, per operation.
	Calls map[string]int `json:"calls"`
	Ops   []string       `json:"ops"`
	// PeakRSS is VmHWM after Invocations warm invocations.
	PeakRSS     int64 `json:"peak_rss_bytes"`
	Invocations int   `json:"invocations"`
	Failures    int   `json:"failures"`
	// Renewed counts the extra invocations refused for a used-up record
	// (then repeated with a fresh one; not among Invocations).
	Renewed int    `json:"renewed"`
	Error   string `json:"error,omitempty"`
}

// MeasureWarm starts fn once, counts the round trips of its second
// (first warm) invocation, then runs n more warm invocations (events with
// fresh keys, nothing renewed) and reads its peak RSS.
func MeasureWarm(ctx context.Context, b *Binaries, fx *Fixture, c *Counter, p Plan, n int) Warm {
	w := Warm{Function: p.Folder}
	fail := func(err error) {
		w.Failures++
		if w.Error == "" {
			w.Error = err.Error()
		}
	}
	proc, err := b.Start(p.Folder)
	if err != nil {
		fail(err)
		return w
	}
	defer proc.Close()
	invoke := func(count bool, renewing bool) error {
		var ev []byte
		var err error
		if p.Inline != nil {
			ev = p.Inline
		} else if renewing {
			ev, err = fx.Event(ctx, p.File, p.Renew...)
		} else {
			ev, err = fx.Event(ctx, p.File)
		}
		if err != nil {
			return err
		}
		if count {
			c.Reset()
		}
		var res lambdaruntime.Result
		res, err = proc.Invoke(ctx, ev)
		if count {
			w.Calls, w.Ops = c.Counts(), c.Ops()
		}
		if err == nil {
			err = Check(p.Folder, res)
		}
		return err
	}
	if err := invoke(false, true); err != nil { // cold
		fail(err)
	}
	if err := invoke(true, true); err != nil { // the warm invocation counted
		fail(err)
	}
	for range n {
		// A record the function uses up (a hold it captures, a transfer it
		// refunds in full) is made anew only once it is used up: an
		// invocation refused for it (4xx) is repeated with a fresh one,
		// and only the repeat counts, so every counted invocation did its
		// work and succeeded.
		err := invoke(false, false)
		if err != nil && len(p.Renew) > 0 && strings.Contains(err.Error(), ": HTTP 4") {
			w.Renewed++
			err = invoke(false, true)
		}
		if err != nil {
			fail(err)
		}
	}
	w.Invocations = n + 1
	if w.PeakRSS, err = PeakRSS(proc.Pid()); err != nil {
		fail(err)
	}
	return w
}

// Size is one function's arm64 artefact.
type Size struct {
	Function string `json:"function"`
	Binary   int64  `json:"binary_bytes"`
	Zip      int64  `json:"zip_bytes"`
}

// Folders lists root/functions' folders, sorted.
func Folders(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
