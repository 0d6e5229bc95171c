package chaos_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// message is one SQS message of one function's queue.
type message struct {
	id    string
	fn    string // the function whose queue it is on
	body  string
	attrs map[string]string
	// acked is set once a delivery of it was acknowledged.
	acked bool
}

// delivery is one copy of a message SQS hands out (at-least-once: a
// message may be delivered again while or after another copy is
// processed); receives counts its receptions.
type delivery struct {
	m        *message
	receives int
}

// queueSim plays SQS and the Lambda event source mapping for the
// functions' queues, in rounds: each round delivers every visible copy,
// shuffled, in batches of batchSize, to workers concurrent invocations;
// a copy whose invocation died, or that the handler reported as a batch
// item failure, is visible again in the next round, which starts after
// the visibility timeout (the stack's clock is advanced by it). A copy
// received maxReceiveCount times without success is redriven to the
// dead-letter queue by SQS (without a reason).
type queueSim struct {
	s        *stack
	handlers map[string]lambda.Handler
	workers  int
	rng      *rand.Rand
	mu       sync.Mutex // guards rng and the stats
	// deathRate is the share of invocations given a death plan at one of
	// points.
	deathRate float64
	points    []point
	// beforeBatch, when set, runs before each invocation (e.g. to inject
	// Mangopay faults).
	beforeBatch func(rng *rand.Rand, batch []*delivery)
	stats       simStats
}

// simStats are the figures of a run.
type simStats struct {
	Messages, Deliveries, Invocations, Rounds int
	Acked, ItemFailures, Redriven             int
	Planned                                   int
	Deaths                                    map[point]int
	Late                                      int
	MaxReceives                               int
	Errors                                    []string
	Wall                                      time.Duration
	redriven                                  []*message
}

func (q *queueSim) intn(n int) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.rng.IntN(n)
}

// run delivers every message 1 to maxCopies times until each copy is
// acknowledged or redriven.
func (q *queueSim) run(t *testing.T, msgs []*message, maxCopies int) {
	t.Helper()
	start := time.Now()
	q.stats.Deaths = map[point]int{}
	q.stats.Messages = len(msgs)
	rounds := map[int][]*delivery{}
	for _, m := range msgs {
		n := 1 + q.intn(maxCopies)
		for c := range n {
			r := 0
			if c > 0 {
				r = q.intn(3) // a duplicate comes at once or rounds later
			}
			rounds[r] = append(rounds[r], &delivery{m: m})
		}
	}
	for r := 0; len(rounds) > 0; r++ {
		ds := rounds[r]
		delete(rounds, r)
		if len(ds) == 0 {
			continue
		}
		q.stats.Rounds++
		q.rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
		retry := q.round(t, ds)
		for _, d := range retry {
			if d.receives >= maxReceiveCount {
				q.stats.Redriven++
				q.stats.redriven = append(q.stats.redriven, d.m)
				continue
			}
			rounds[r+1] = append(rounds[r+1], d)
		}
		q.s.clock.Advance(visibilityTimeout + time.Second)
		if r > 200 {
			t.Fatalf("still %d copies to deliver after %d rounds", len(rounds[r+1]), r)
		}
	}
	q.stats.Wall = time.Since(start)
}

// round delivers ds and returns the copies to deliver again.
func (q *queueSim) round(t *testing.T, ds []*delivery) []*delivery {
	t.Helper()
	// One function's batches hold only its own queue's messages.
	var batches [][]*delivery
	byFn := map[string][]*delivery{}
	var fns []string
	for _, d := range ds {
		if _, ok := byFn[d.m.fn]; !ok {
			fns = append(fns, d.m.fn)
		}
		byFn[d.m.fn] = append(byFn[d.m.fn], d)
	}
	for _, fn := range fns {
		for b := range slices.Chunk(byFn[fn], batchSize) {
			batches = append(batches, b)
		}
	}
	q.rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	work := make(chan []*delivery)
	var mu sync.Mutex
	var retry []*delivery
	var wg sync.WaitGroup
	for range max(1, q.workers) {
		wg.Go(func() {
			for b := range work {
				again := q.deliver(t, b)
				mu.Lock()
				retry = append(retry, again...)
				mu.Unlock()
			}
		})
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	return retry
}

// deliver invokes the function with one batch and returns the copies SQS
// would make visible again.
func (q *queueSim) deliver(t *testing.T, batch []*delivery) []*delivery {
	var ev events.SQSEvent
	for _, d := range batch {
		d.receives++
		msg := events.SQSMessage{MessageId: d.m.id, Body: d.m.body, EventSource: "aws:sqs",
			EventSourceARN:    "arn:aws:sqs:eu-west-1:123456789012:" + d.m.fn,
			Attributes:        map[string]string{"ApproximateReceiveCount": strconv.Itoa(d.receives)},
			MessageAttributes: map[string]events.SQSMessageAttribute{}}
		for k, v := range d.m.attrs {
			msg.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
		}
		ev.Records = append(ev.Records, msg)
	}
	var p *plan
	q.mu.Lock()
	if q.deathRate > 0 && q.rng.Float64() < q.deathRate {
		p = &plan{at: q.points[q.rng.IntN(len(q.points))]}
		q.stats.Planned++
	}
	if q.beforeBatch != nil {
		q.beforeBatch(q.rng, batch)
	}
	q.mu.Unlock()
	res := invoke(context.Background(), q.handlers[batch[0].m.fn], ev, p)
	if res.died == nil && p != nil && p.at == beforeAck {
		res.died = &death{beforeAck}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Invocations++
	q.stats.Deliveries += len(batch)
	for _, d := range batch {
		q.stats.MaxReceives = max(q.stats.MaxReceives, d.receives)
	}
	switch {
	case res.died != nil:
		q.stats.Deaths[res.died.at]++
		return batch
	case res.late:
		q.stats.Late++
		return batch
	case res.err != nil:
		q.stats.Errors = append(q.stats.Errors, res.err.Error())
		return batch
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.out, &resp); err != nil {
		q.stats.Errors = append(q.stats.Errors, "decoding the batch response: "+err.Error())
		return batch
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var again []*delivery
	for _, d := range batch {
		if failed[d.m.id] {
			q.stats.ItemFailures++
			again = append(again, d)
			continue
		}
		q.stats.Acked++
		d.m.acked = true
	}
	return again
}

// deaths is the total of fired deaths.
func (st *simStats) deaths() int {
	n := 0
	for _, c := range st.Deaths {
		n += c
	}
	return n
}
