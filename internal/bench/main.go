package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Main is cmd/bench: it parses args, runs every measurement and writes
// BENCHMARKS.md and BENCHMARKS.json into -root.
func Main(ctx context.Context, args []string, lg *log.Logger) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := Options{Log: lg}
	fs.StringVar(&o.Root, "root", ".", "repository root")
	fs.IntVar(&o.Starts, "starts", 20, "cold starts per function")
	fs.IntVar(&o.Warm, "warm", 100, "warm invocations per binary (memory)")
	fs.IntVar(&o.Overhead, "overhead", 1000, "in-process invocations per operation (own overhead)")
	only := fs.String("only", "", "comma-separated functions to measure (default all)")
	recs := fs.String("records", "1000,10000,100000", "re-check table sizes")
	fs.IntVar(&o.Peers, "peers", 100, "sequences per client in the peer comparison (0: skip)")
	skip := fs.String("skip", "", "comma-separated parts to skip: binaries, inprocess")
	render := fs.Bool("render", false, "only rewrite BENCHMARKS.md from BENCHMARKS.json (after a change to the report's text)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *render {
		raw, err := os.ReadFile(filepath.Join(o.Root, "BENCHMARKS.json"))
		if err != nil {
			return err
		}
		var r Report
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("bench: BENCHMARKS.json: %w", err)
		}
		var md strings.Builder
		r.WriteMarkdown(&md)
		return os.WriteFile(filepath.Join(o.Root, "BENCHMARKS.md"), []byte(md.String()), 0o644)
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	for _, s := range strings.Split(*recs, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			o.Records = append(o.Records, n)
		}
	}
	started := time.Now()
	r := &Report{Machine: ThisMachine()}
	phase := func(name string, since time.Time) {
		r.Phases = append(r.Phases, Phase{Name: name, Took: time.Since(since).Round(100 * time.Millisecond).String()})
		o.Log.Printf("phase %q took %s", name, time.Since(since).Round(100*time.Millisecond))
	}
	bins, inproc := !strings.Contains(*skip, "binaries"), !strings.Contains(*skip, "inprocess")
	l, err := StartLocal()
	if err != nil {
		return err
	}
	defer l.Close()
	build := filepath.Join(o.Root, "build", "bench")
	folders, err := Folders(o.Root)
	if err != nil {
		return err
	}
	measured := folders
	if len(o.Only) > 0 {
		measured = o.Only
	}
	plans, err := Plans(o.Root, measured)
	if err != nil {
		return err
	}

	// 1. The re-check scaling (its own moto, latency-bound: 50 ms per
	// Mangopay call) runs through phases 1 and 2.
	t := time.Now()
	var recheck sync.WaitGroup
	if inproc {
		recheck.Add(1)
		go func() { defer recheck.Done(); MeasureRechecks(ctx, o, r) }()
	}
	if bins {
		o.Log.Printf("building %d functions for amd64 into %s", len(folders), build)
		if err := Build(ctx, o.Root, filepath.Join(build, "amd64"), "amd64"); err != nil {
			return err
		}
		phase("amd64 build (∥ re-check scaling)", t)
	}

	// 2. The arm64 build (sizes) next to the warm invocations (peak RSS
	// and round-trip counts: neither is a time).
	var envs []*FunctionEnv
	if bins {
		t = time.Now()
		var buildErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if buildErr = Build(ctx, o.Root, filepath.Join(build, "arm64"), "arm64"); buildErr == nil {
				r.Sizes, buildErr = Sizes(filepath.Join(build, "arm64"), folders)
			}
		}()
		envs, err = MeasureWarmAll(ctx, o, l, filepath.Join(build, "amd64"), plans, 3, r)
		wg.Wait()
		if err != nil {
			return err
		}
		if buildErr != nil {
			return buildErr
		}
		phase("arm64 build ∥ warm invocations (∥ re-check scaling)", t)
	}
	t = time.Now()
	recheck.Wait()
	phase("rest of the re-check scaling", t)

	// 3. Quiet: what is timed runs alone.
	if bins {
		t = time.Now()
		MeasureColdAll(ctx, o, envs, plans, r)
		phase("cold starts", t)
	}
	if inproc {
		t = time.Now()
		if err := MeasureOverheadAll(ctx, o, l, r); err != nil {
			return err
		}
		phase("own overhead", t)
	}
	if o.Peers > 0 {
		t = time.Now()
		if err := BuildCommand(ctx, o.Root, filepath.Join(build, "bench-peer"), "./cmd/bench-peer"); err != nil {
			return err
		}
		r.Peers = MeasurePeers(ctx, o.Root, filepath.Join(build, "bench-peer"), o.Peers)
		for _, p := range r.Peers {
			o.Log.Printf("peer %-40s %d calls in %.2f s (%.0f/s), VmHWM %.1f MiB %s", p.Client, p.Calls, p.Seconds, p.PerSecond, mib(p.MaxRSS), p.Error)
		}
		phase("peer comparison", t)
	}
	r.Took = time.Since(started).Round(time.Second).String()
	raw, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(o.Root, "BENCHMARKS.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	var md strings.Builder
	r.WriteMarkdown(&md)
	return os.WriteFile(filepath.Join(o.Root, "BENCHMARKS.md"), []byte(md.String()), 0o644)
}
