package api

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// memQueue is a Sender that keeps what it is sent.
type memQueue struct {
	mu   sync.Mutex
	sent []sentMessage
}

type sentMessage struct {
	body  string
	attrs map[string]string
}

func (q *memQueue) Send(_ context.Context, body string, attrs map[string]string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, sentMessage{body, attrs})
	return nil
}

// memClaims grants every claim (each fuzzed batch is new) and counts.
type memClaims struct{ begun, completed int }

func (c *memClaims) BeginIdempotent(_ context.Context, _, _, _, subject string) (records.IdemAnswer, error) {
	c.begun++
	return records.IdemAnswer{State: records.IdemNew, Token: "t", Subject: subject}, nil
}

func (c *memClaims) CompleteIdempotent(context.Context, string, string, string, []byte, int) error {
	c.completed++
	return nil
}

func (c *memClaims) ReleaseIdempotent(context.Context, string, string, string) error { return nil }

// FuzzSQSMessage: whatever a message holds (body, Idempotency-Key
// attribute), the queue handler does not panic, runs it or dead-letters
// it at once with a reason naming the bad field (never retries bad
// input), and a good message in the same batch still runs.
func FuzzSQSMessage(f *testing.F) {
	for _, s := range []struct{ body, key string }{
		{`{"name":"a"}`, ""}, {`{"name":"a","idempotency_key":"k-1"}`, ""}, {`{"name":"a"}`, "k-2"},
		{`{"name":"a","idempotency_key":5}`, ""}, {`{"name":"a","idempotency_key":"has space"}`, ""},
		{`{"name":"a"}`, "has space"}, {`{}`, ""}, {`null`, ""}, {``, ""}, {`[]`, ""}, {`{"name":1}`, ""},
		{`{"name":"a","extra":true}`, ""}, {`{"name":"a"}{}`, ""}, {`{"name":"a","user_id":"../x"}`, ""},
		{`{"idempotency_key":"` + strings.Repeat("k", 300) + `","name":"a"}`, ""},
	} {
		f.Add(s.body, s.key)
	}
	f.Fuzz(func(t *testing.T, body, key string) {
		var ran []string
		op := Operation[echoInput]{Name: "echo", Run: func(_ context.Context, in *echoInput, c Call) (Result, error) {
			ran = append(ran, in.Name)
			return OK(in), nil
		}}
		dlq := &memQueue{}
		claims := &memClaims{}
		h := SQS(op, Deps{Log: discard(), DeadLetters: dlq, Claims: claims})
		attrs := map[string]string{}
		if key != "" {
			attrs[AttrIdempotencyKey] = key
		}
		fuzzed := events.SQSMessage{MessageId: "m-fuzzed", Body: body, EventSource: "aws:sqs", MessageAttributes: map[string]events.SQSMessageAttribute{}}
		for k, v := range attrs {
			fuzzed.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: &v}
		}
		good := events.SQSMessage{MessageId: "m-good", Body: `{"name":"good-message"}`, EventSource: "aws:sqs"}
		resp, err := h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{fuzzed, good}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch answer %+v %v: bad input must not be retried", resp, err)
		}
		if len(ran) == 0 || ran[len(ran)-1] != "good-message" {
			t.Fatalf("the good message did not run after the fuzzed one (ran %q)", ran)
		}
		switch {
		case len(ran) == 2 && len(dlq.sent) == 0: // the fuzzed message ran
		case len(ran) == 1 && len(dlq.sent) == 1:
			if claims.begun != 1 {
				t.Fatalf("%d idempotency claims for one valid message: bad input took a claim", claims.begun)
			}
			m := dlq.sent[0]
			reason := m.attrs[AttrFailureReason]
			if m.body != body || !strings.HasPrefix(reason, "400 Invalid request") || !strings.Contains(reason, "; ") ||
				m.attrs[AttrOperation] != "echo" || m.attrs["Source-Message-Id"] != "m-fuzzed" {
				t.Fatalf("dead-lettered %+v: want the message as sent, with a 400 reason naming the field", m)
			}
		default:
			t.Fatalf("ran %q, dead-lettered %d", ran, len(dlq.sent))
		}
	})
}
