package bench

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

// BenchmarkRoundTrips backs the report's round trips of one warm
// invocation: per function, the real bootstrap (built for this machine)
// through the local Runtime API, in a FunctionEnv of its own, one warm
// invocation per iteration (records it uses up made anew outside the
// timer), with calls/op per service counted at the proxies.
// One function: go test -run '^$' -bench 'RoundTrips/create-wallet$' ./internal/bench
func BenchmarkRoundTrips(b *testing.B) {
	folders, err := Folders(root)
	if err != nil {
		b.Fatal(err)
	}
	plans, err := Plans(root, folders)
	if err != nil {
		b.Fatal(err)
	}
	names, err := TemplateEnvNames(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range plans {
		b.Run(p.Folder, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			// The fixture's helpers (create-natural-user, ...) run as
			// binaries too: build them on demand.
			e, err := NewFunctionEnv(ctx, awstest.Endpoint(), LocalConfig(awstest.Endpoint()), p.Folder, awstest.NewAccountID(), dir, root, names, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			built := map[string]bool{}
			e.Bin.Prepare = func(folder string) error {
				if built[folder] {
					return nil
				}
				built[folder] = true
				return BuildFunction(ctx, root, dir, runtime.GOARCH, folder)
			}
			invoke := func() {
				ev, err := p.event(ctx, e.Fx)
				if err != nil {
					b.Fatal(err)
				}
				e.Counter.Reset()
				b.StartTimer()
				_, err = e.Bin.Invoke(ctx, p.Folder, ev)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			invoke() // cold: the secret and the token
			total := map[string]int{}
			b.ResetTimer()
			b.StopTimer()
			for range b.N {
				invoke()
				for k, v := range e.Counter.Counts() {
					total[k] += v
				}
			}
			for _, s := range Services {
				b.ReportMetric(float64(total[s])/float64(b.N), s+"-calls/op")
			}
		})
	}
}

// BenchmarkRecheck backs the re-check scaling at a small size: each
// iteration seeds a table of 1 000 records (10 due pay-ins) in a moto
// account of its own and runs recheck-transactions' handler once against
// the fake with 50 ms per call and Mangopay's limits on; it reports the
// items read, the calls and the run's time (seeding excluded) per run.
func BenchmarkRecheck(b *testing.B) {
	ctx := context.Background()
	base := LocalConfig(awstest.Endpoint()) // recheckScale picks the account
	var read, mp, ddb int
	var took time.Duration
	for i := range b.N {
		rc := Recheck{Records: 1000, Pending: 10}
		if err := recheckScale(ctx, root, base, awstest.NewAccountID(), strconv.Itoa(i), &rc); err != nil {
			b.Fatal(err)
		}
		read, mp, ddb, took = read+rc.ItemsRead, mp+rc.Calls[Mangopay], ddb+rc.Calls[DynamoDB], took+rc.Took
	}
	b.ReportMetric(float64(read)/float64(b.N), "items-read/op")
	b.ReportMetric(float64(mp)/float64(b.N), "Mangopay-calls/op")
	b.ReportMetric(float64(ddb)/float64(b.N), "DynamoDB-calls/op")
	b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "run-ns/op")
}
