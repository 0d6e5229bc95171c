package outcomes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Source is the source of every event we publish.
const Source = "lambda-mangopay"

// DefaultBus is the bus used when none is configured.
const DefaultBus = "default"

// EventBridgeAPI is the part of the EventBridge client the Publisher uses.
type EventBridgeAPI interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Clearer removes published entries from a record's outbox;
// *records.Store implements it.
type Clearer interface {
	ClearOutbox(ctx context.Context, id string, ids []string) error
}

// Publisher publishes the events of records' outboxes.
type Publisher struct {
	EventBridge EventBridgeAPI
	// Bus is the event bus name or ARN ("" means DefaultBus).
	Bus string
	// Source is the events' source ("" means Source).
	Source string
	// PayoutQueue, when set, also receives payout outcomes.
	PayoutQueue api.Sender
	Records     Clearer
	Log         *slog.Logger
	// Now is the clock that tells a stale outbox entry (default time.Now).
	Now func() time.Time
}

// StaleAfter is how long an outbox entry is left to the writer that
// decided it: that writer publishes it right after its write, so an entry
// older than this was left by a publish that failed or a writer that died,
// and the next write of the record publishes it.
const StaleAfter = records.OutboxRetryAfter

// QueueMessage is the body of a message on the payout outcome queue: the
// same fields as an EventBridge event's envelope.
type QueueMessage struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// maxEntries is PutEvents' limit of entries per call.
const maxEntries = 10

// Hook is the records.WithAfterWrite function. It publishes the events
// this write decided and the stale ones (see StaleAfter), never those a
// concurrent writer decided and is about to publish itself: two writers
// of one record would otherwise both publish them. It logs a failure,
// leaving the entries for a later write or the re-check; it never fails
// the write.
func (p *Publisher) Hook(ctx context.Context, r *records.Record) {
	var mine []records.Outcome
	for _, o := range r.Outbox {
		if o.At.Equal(r.UpdatedAt) || p.now().Sub(o.At) > StaleAfter {
			mine = append(mine, o)
		}
	}
	if err := p.publish(ctx, r, mine); err != nil {
		p.log().Warn("outcome events not published; a later write or the re-check retries them",
			"record_id", r.ID, "events", len(mine), "error", err.Error())
	}
}

// Publish puts every entry of r's outbox on the bus (and payout outcomes
// on PayoutQueue), then clears the published entries from the record and
// from r (r then matches the stored record: Outbox and RecheckAt). Entries
// that failed stay for a later attempt.
func (p *Publisher) Publish(ctx context.Context, r *records.Record) error {
	return p.publish(ctx, r, r.Outbox)
}

// publish puts these entries of r's outbox, then clears them (see Publish).
func (p *Publisher) publish(ctx context.Context, r *records.Record, entries []records.Outcome) error {
	if len(entries) == 0 {
		return nil
	}
	var done []string
	var errs []error
	for start := 0; start < len(entries); start += maxEntries {
		batch := entries[start:min(start+maxEntries, len(entries))]
		ok, err := p.putEvents(ctx, batch)
		if err != nil {
			errs = append(errs, err)
		}
		for _, o := range ok {
			if err := p.sendPayout(ctx, r.Kind, o); err != nil {
				errs = append(errs, err)
				continue
			}
			done = append(done, o.ID)
		}
	}
	if len(done) > 0 {
		if err := p.clear(ctx, r, done); err != nil {
			return errors.Join(append(errs, err)...)
		}
		kept := r.Outbox[:0:0]
		for _, o := range r.Outbox {
			if !slices.Contains(done, o.ID) {
				kept = append(kept, o)
			}
		}
		r.Outbox = kept
		if !r.NeedsPolling() { // as ClearOutbox did in the table
			r.RecheckAt = nil
		}
		for _, id := range done {
			p.log().Info("outcome event published", "record_id", r.ID, "event_id", id)
		}
	}
	return errors.Join(errs...)
}

// clear removes the published entries from r's outbox, starting from r
// (no re-read) when the Clearer can.
func (p *Publisher) clear(ctx context.Context, r *records.Record, done []string) error {
	if c, ok := p.Records.(interface {
		ClearOutboxFrom(ctx context.Context, cur *records.Record, ids []string) error
	}); ok {
		return c.ClearOutboxFrom(ctx, r, done)
	}
	return p.Records.ClearOutbox(ctx, r.ID, done)
}

// putEvents publishes a batch and returns the entries EventBridge took.
func (p *Publisher) putEvents(ctx context.Context, batch []records.Outcome) ([]records.Outcome, error) {
	in := &eventbridge.PutEventsInput{}
	for _, o := range batch {
		in.Entries = append(in.Entries, ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(p.bus()),
			Source:       aws.String(p.source()),
			DetailType:   aws.String(o.DetailType),
			Detail:       aws.String(string(o.Detail)),
			Time:         aws.Time(o.At),
		})
	}
	out, err := p.EventBridge.PutEvents(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("outcomes: PutEvents on %s: %w", p.bus(), err)
	}
	if out.FailedEntryCount == 0 {
		return batch, nil
	}
	var ok []records.Outcome
	var errs []error
	for i, e := range out.Entries {
		if i >= len(batch) {
			break
		}
		if e.ErrorCode != nil {
			errs = append(errs, fmt.Errorf("outcomes: event %s: %s: %s", batch[i].ID, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)))
			continue
		}
		ok = append(ok, batch[i])
	}
	return ok, errors.Join(errs...)
}

// sendPayout puts a payout outcome on PayoutQueue, if there is one.
func (p *Publisher) sendPayout(ctx context.Context, k records.Kind, o records.Outcome) error {
	if p.PayoutQueue == nil || k != records.KindPayout {
		return nil
	}
	body, err := json.Marshal(QueueMessage{ID: o.ID, DetailType: o.DetailType, Source: p.source(), Time: o.At, Detail: o.Detail})
	if err != nil {
		return err
	}
	if err := p.PayoutQueue.Send(ctx, string(body), map[string]string{"detail_type": o.DetailType, "event_id": o.ID}); err != nil {
		return fmt.Errorf("outcomes: payout queue: %w", err)
	}
	return nil
}

func (p *Publisher) bus() string {
	if p.Bus == "" {
		return DefaultBus
	}
	return p.Bus
}

func (p *Publisher) source() string {
	if p.Source == "" {
		return Source
	}
	return p.Source
}

func (p *Publisher) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Publisher) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
