package bench

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	skip := fs.String("skip", "", "comma-separated parts to skip: binaries, inprocess")
	if err := fs.Parse(args); err != nil {
		return err
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
	if !strings.Contains(*skip, "binaries") {
		if err := MeasureBinaries(ctx, o, r); err != nil {
			return err
		}
	}
	if !strings.Contains(*skip, "inprocess") {
		if err := MeasureInProcess(ctx, o, r); err != nil {
			return err
		}
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
