package operations_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// A batch whose first message meets a Mangopay that does not answer
// returns before the invocation's deadline: the Mangopay call is cut
// short, the messages not started are reported as batch item failures
// (delivered again later), and nothing is dead-lettered or created.
func TestSQSBatchReturnsBeforeItsDeadline(t *testing.T) {
	e := testenv.New(t)
	e.Fake.InjectFault(mangopaytest.Fault{Method: http.MethodPost, Path: "/users", Latency: time.Hour})
	var ev events.SQSEvent
	for _, id := range []string{"m-1", "m-2", "m-3"} {
		ev.Records = append(ev.Records, testenv.Message(id, naturalBody("ext-"+id, "PAYER"), nil))
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 2*time.Second)
	defer cancel()
	done := make(chan struct{})
	var out events.SQSEventResponse
	var err error
	go func() {
		defer close(done)
		out, err = api.SQS(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)(ctx, ev)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		<-done
		t.Fatal("the handler was still running at its deadline")
	}
	if err != nil || len(out.BatchItemFailures) != 3 {
		t.Fatalf("got %+v %v, want the 3 messages back as batch item failures", out, err)
	}
	if n := e.Fake.Count("users"); n != 0 {
		t.Fatalf("Mangopay created %d users", n)
	}
	if dead := e.Messages(t, e.DLQ); len(dead) != 0 {
		t.Fatalf("%d messages dead-lettered", len(dead))
	}
}

// A message failing transiently at its last reception (the queue's
// maxReceiveCount) is dead-lettered by the function with its last error
// as the reason, instead of being redriven by SQS without one; before
// that it is retried. Redriven from the dead-letter queue (a new message
// id), it keeps its first id's idempotency key: Mangopay, which executed
// the create before the connection dropped, is not asked to create twice.
func TestLastReceptionIsDeadLetteredWithItsReason(t *testing.T) {
	e := testenv.New(t)
	h := api.SQS(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	e.Fake.InjectFault(mangopaytest.Fault{Method: http.MethodPost, Path: "/users", DropAfterCommit: true})
	msg := testenv.Message("m-first", naturalBody("ext-last", "PAYER"), nil)
	for _, c := range []struct {
		receives string
		failures int
		dead     int
	}{{"4", 1, 0}, {"5", 0, 1}} {
		msg.Attributes = map[string]string{"ApproximateReceiveCount": c.receives}
		out, err := h(e.Ctx, events.SQSEvent{Records: []events.SQSMessage{msg}})
		if err != nil || len(out.BatchItemFailures) != c.failures {
			t.Fatalf("reception %s: %+v %v, want %d batch item failures", c.receives, out, err, c.failures)
		}
		dead := e.Messages(t, e.DLQ)
		if len(dead) != c.dead {
			t.Fatalf("reception %s: %d dead letters, want %d", c.receives, len(dead), c.dead)
		}
		if c.dead == 0 {
			continue
		}
		attrs := dead[0].MessageAttributes
		reason := aws.ToString(attrs[api.AttrFailureReason].StringValue)
		if !strings.Contains(reason, "last reception (5 of 5)") || !strings.Contains(reason, "503") {
			t.Fatalf("reason %q", reason)
		}
		if src := aws.ToString(attrs[api.AttrSourceMessageID].StringValue); src != "m-first" {
			t.Fatalf("Source-Message-Id %q", src)
		}
		// Redriven (a new message id, the attributes kept) once Mangopay is back.
		e.Fake.ClearFaults()
		redriven := testenv.SQSEvent(dead...)
		redriven.Records[0].MessageId = "m-redriven"
		out, err = h(e.Ctx, redriven)
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("redriven: %+v %v", out, err)
		}
	}
	if n := e.Fake.Count("users"); n != 1 {
		t.Fatalf("Mangopay holds %d users, want 1", n)
	}
}
