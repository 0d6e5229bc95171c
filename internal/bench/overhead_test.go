package bench

import (
	"context"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// BenchmarkOverhead backs the report's round trips and own overhead: one
// warm in-process invocation per iteration, with calls/op per service and
// own-ns/op (wall time minus time in HTTP calls).
func BenchmarkOverhead(b *testing.B) {
	for _, op := range OverheadOps {
		b.Run(op, func(b *testing.B) {
			ctx := context.Background()
			cfg := awstest.Config(b)
			fake := mangopaytest.NewServer(b)
			in, err := NewInProcess(ctx, cfg, fake, awstest.UniqueName(b, "b"), root)
			if err != nil {
				b.Fatal(err)
			}
			call, fx, c := in.Fixture.Call, in.Fixture, in.Counter
			warm := MeasureOverhead(ctx, call, fx, c, op, 1) // token, secret, records
			if warm.Error != "" {
				b.Fatal(warm.Error)
			}
			var own time.Duration
			total := map[string]int{}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				ev, err := fx.Event(ctx, op+".json")
				if err != nil {
					b.Fatal(err)
				}
				c.Reset()
				b.StartTimer()
				start := time.Now()
				if _, err := call(ctx, op, ev); err != nil {
					b.Fatal(err)
				}
				own += time.Since(start) - c.Wait()
				for k, v := range c.Counts() {
					total[k] += v
				}
			}
			b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "own-ns/op")
			for _, s := range Services {
				b.ReportMetric(float64(total[s])/float64(b.N), s+"-calls/op")
			}
		})
	}
}
