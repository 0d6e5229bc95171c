package operations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// EventRetention is how far back Mangopay's GET /events can look.
const EventRetention = 45 * 24 * time.Hour

// ReconcileOverlap is how far before the last run's end each run starts
// reading: an event may be listed a little after its Date. What the
// overlap reads twice is skipped by the notifications' de-duplication.
const ReconcileOverlap = 15 * time.Minute

// ReconcileReport says what one reconciliation run did.
type ReconcileReport struct {
	// After and Before are the window read (Unix seconds, both excluded,
	// as Mangopay's AfterDate and BeforeDate).
	After  int64 `json:"after"`
	Before int64 `json:"before"`
	// Events were listed; Handled of them are of a type we process.
	Events  int `json:"events"`
	Handled int `json:"handled"`
	// Delivered were already received (by a hook or an earlier run) and
	// processed; Processed were processed by this run (Missed of them no
	// hook had delivered), Changed of them changed a record.
	Delivered int `json:"delivered"`
	Processed int `json:"processed"`
	Missed    int `json:"missed"`
	Changed   int `json:"changed"`
	Unknown   int `json:"unknown"`
	// Waiting were received by a hook a moment ago and are left to the
	// processing queue.
	Waiting int      `json:"waiting"`
	Failed  int      `json:"failed"`
	Errors  []string `json:"errors,omitempty"`
	// Next is the since of the next run (this run's now) when the run
	// finished; it stays the given since when events failed, so the next
	// run reads them again.
	Next time.Time `json:"next"`
}

// Reconcile reads GET /events from since (minus ReconcileOverlap, and no
// further back than Mangopay keeps events) to now, every page, and runs
// each event of a type we handle through the same path as a hook: the
// notification is saved (de-duplicated on EventType, RessourceId, Date,
// so an event a hook delivered is skipped) and processed here. It returns
// the since of the next run in the report's Next.
func (h *Hooks) Reconcile(ctx context.Context, since, now time.Time) (ReconcileReport, error) {
	rep := ReconcileReport{Next: since}
	after := since.Add(-ReconcileOverlap)
	if oldest := now.Add(-EventRetention + time.Hour); after.Before(oldest) {
		after = oldest
	}
	// AfterDate and BeforeDate exclude their second: -1 and +1 include
	// the edges.
	rep.After, rep.Before = after.Unix()-1, now.Unix()+1
	failed := false
	for page := 1; ; page++ {
		// Oldest first, in a closed window: pages do not shift while new
		// events arrive.
		p, err := h.S.MP.ListEvents(ctx, &mangopay.ListOptions{Page: page, PerPage: 100, Sort: "Date:ASC",
			Filters: mangopay.EventFilters("", rep.After, rep.Before)})
		if err != nil {
			return rep, fmt.Errorf("reconcile: listing Mangopay's events (page %d): %w", page, err)
		}
		for _, ev := range p.Items {
			rep.Events++
			if !HandledEventType(ev.EventType) {
				continue
			}
			rep.Handled++
			if err := h.reconcileOne(ctx, ev, &rep); err != nil {
				failed = true
				rep.Failed++
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s %d: %v", ev.EventType, ev.ResourceID, ev.Date, err))
			}
		}
		if page >= p.TotalPages || len(p.Items) == 0 {
			break
		}
	}
	if !failed {
		rep.Next = now
	}
	return rep, nil
}

// reconcileOne handles one listed event.
func (h *Hooks) reconcileOne(ctx context.Context, ev mangopay.Event, rep *ReconcileReport) error {
	m := HookMessage{EventType: ev.EventType, RessourceID: ev.ResourceID, Date: ev.Date}
	n, isNew, err := h.S.Records.SaveHookNotification(ctx, m.EventType, m.RessourceID, m.date())
	if err != nil {
		return err
	}
	switch {
	case !isNew && n.ProcessedAt != nil:
		rep.Delivered++
		return nil
	case !isNew && h.S.now().Sub(n.ReceivedAt) < h.requeueAfter():
		rep.Waiting++
		return nil
	}
	r, err := h.ProcessHook(ctx, m)
	if err != nil {
		return err
	}
	if r.Skipped {
		rep.Delivered++
		return nil
	}
	rep.Processed++
	if isNew {
		rep.Missed++
	}
	if r.Changed {
		rep.Changed++
	}
	if r.Outcome == HookOutcomeUnknown {
		rep.Unknown++
	}
	return nil
}

// ReconcileCursor names the records cursor of the reconciliation.
const ReconcileCursor = "hooks-reconcile"

// ReconcileSinceLastRun reconciles from where the last run stopped (the
// records cursor; a day back on the first run) up to now, then moves the
// cursor. A run that processed nothing new still moves it; a run with a
// failed event does not (Reconcile's Next stays put), so the next run
// reads that event again.
func (h *Hooks) ReconcileSinceLastRun(ctx context.Context, now time.Time) (ReconcileReport, error) {
	since, err := h.S.Records.GetCursor(ctx, ReconcileCursor)
	if errors.Is(err, records.ErrNotFound) {
		since, err = now.Add(-24*time.Hour), nil
	}
	if err != nil {
		return ReconcileReport{}, err
	}
	rep, err := h.Reconcile(ctx, since, now)
	if err != nil {
		return rep, err
	}
	if err := h.S.Records.SetCursor(ctx, ReconcileCursor, rep.Next); err != nil && !errors.Is(err, records.ErrConflict) {
		return rep, err
	}
	return rep, nil
}
