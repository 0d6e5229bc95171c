package outcomes

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// fakeBus fails the entries whose detail type is in fail.
type fakeBus struct {
	fail []string
	got  []ebtypes.PutEventsRequestEntry
}

func (b *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if slices.Contains(b.fail, aws.ToString(e.DetailType)) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("boom")})
			continue
		}
		b.got = append(b.got, e)
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String("e")})
	}
	return out, nil
}

type fakeClearer struct{ cleared []string }

func (c *fakeClearer) ClearOutbox(_ context.Context, _ string, ids []string) error {
	c.cleared = append(c.cleared, ids...)
	return nil
}

type fakeQueue struct{ bodies []string }

func (q *fakeQueue) Send(_ context.Context, body string, _ map[string]string) error {
	q.bodies = append(q.bodies, body)
	return nil
}

func TestPartialFailureClearsOnlyWhatWasPublished(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	r := &records.Record{ID: "doc_1", Kind: records.KindDocument, Outbox: []records.Outcome{
		{ID: "doc_1:DocumentValidated:3", DetailType: records.DocumentValidated, Detail: []byte(`{"id":"doc_1"}`), At: at},
		{ID: "doc_1:DocumentOutOfDate:4", DetailType: records.DocumentOutOfDate, Detail: []byte(`{"id":"doc_1"}`), At: at},
	}}
	bus, clr, q := &fakeBus{fail: []string{records.DocumentOutOfDate}}, &fakeClearer{}, &fakeQueue{}
	p := &Publisher{EventBridge: bus, Records: clr, PayoutQueue: q}
	err := p.Publish(context.Background(), r)
	if err == nil || len(bus.got) != 1 || !slices.Equal(clr.cleared, []string{"doc_1:DocumentValidated:3"}) ||
		len(r.Outbox) != 1 || r.Outbox[0].DetailType != records.DocumentOutOfDate || len(q.bodies) != 0 {
		t.Fatalf("err %v, put %d, cleared %v, left %+v, queue %v", err, len(bus.got), clr.cleared, r.Outbox, q.bodies)
	}
	e := bus.got[0]
	if aws.ToString(e.EventBusName) != "default" || aws.ToString(e.Source) != "lambda-mangopay" || !e.Time.Equal(at) || len(e.Resources) != 0 {
		t.Fatalf("entry %+v", e)
	}
}

func TestPayoutQueueFailureKeepsTheEntry(t *testing.T) {
	r := &records.Record{ID: "pyo_1", Kind: records.KindPayout, Outbox: []records.Outcome{
		{ID: "pyo_1:PayoutSucceeded:3", DetailType: records.PayoutSucceeded, Detail: []byte(`{}`)}}}
	clr := &fakeClearer{}
	p := &Publisher{EventBridge: &fakeBus{}, Bus: "payments", Records: clr, PayoutQueue: failingQueue{}}
	if err := p.Publish(context.Background(), r); err == nil || len(clr.cleared) != 0 || len(r.Outbox) != 1 {
		t.Fatalf("err %v, cleared %v", err, clr.cleared)
	}
}

type failingQueue struct{}

func (failingQueue) Send(context.Context, string, map[string]string) error { return errors.New("down") }
