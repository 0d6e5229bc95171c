package operations

// The weekday re-checks: the scheduled functions read the records due in
// one bucket of the re-check index (records.DueForRecheck), bring each up
// to date from Mangopay, and give those still waiting (a document in
// review, a payout still CREATED) their next check on the next weekday
// run, in the platform's time zone (package schedule). Mangopay's rate
// limits bound the work (package pacing); what one invocation cannot do
// is handed to its queue (recheck_handler.go) or stays due for the next
// run.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/pacing"
	"github.com/lambda-mangopay/lambda-mangopay/internal/schedule"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Mangopay keeps an Idempotency-Key's answer 24 h after the first request
// with it. Our record is written before that request, so until 24 h after
// the record was created "not found" at GET /responses/{key} proves that
// no request with the key was processed; after that it proves nothing
// (the key may have been forgotten), and sending the request again under
// the same key could create the object a second time.
const (
	// PendingGiveUp is the age after which a transaction still PENDING
	// whose key Mangopay does not know is failed as "never reached
	// Mangopay", and after which a retry of its create is no longer sent
	// (it is settled through GET /responses/{key} instead).
	PendingGiveUp = 22 * time.Hour
	// PendingProofLimit is the age up to which "not found" is trusted as
	// proof: half an hour of margin before the 24 h for clock skew. The
	// hourly PENDING sweep reaches a record within an hour of
	// PendingGiveUp, well inside it.
	PendingProofLimit = 23*time.Hour + 30*time.Minute
)

// RecheckTimeZoneVar is the environment variable naming the re-check
// calendar's time zone (default schedule.DefaultTimeZone).
const RecheckTimeZoneVar = "RECHECK_TIME_ZONE"

// RecheckLocation parses a RECHECK_TIME_ZONE value ("" for the default).
func RecheckLocation(name string) (*time.Location, error) {
	return schedule.LoadLocation(name)
}

// RecheckBudget bounds one re-check run.
type RecheckBudget struct {
	// MaxItems is how many records this invocation re-checks itself; 0
	// means no bound other than the pacer's.
	MaxItems int
	// PageSize is how many due records are read per query. Default 100.
	PageSize int
	// Pacing tunes the rate-limit pacer.
	Pacing pacing.Config
	// Overflow receives, in batches of BatchSize, the ids of the due
	// records beyond MaxItems: the fan-out to the function's queue. Nil
	// leaves them due in the index for the next run.
	Overflow  func(ctx context.Context, ids []string) error
	BatchSize int
	// Location is the calendar's time zone; nil reads RECHECK_TIME_ZONE.
	Location *time.Location
	// Force runs outside the weekday hours (a manual run).
	Force bool
}

func (b *RecheckBudget) location() (*time.Location, error) {
	if b.Location != nil {
		return b.Location, nil
	}
	return RecheckLocation(os.Getenv(RecheckTimeZoneVar))
}

// RecheckReport says what one run did.
type RecheckReport struct {
	Bucket string `json:"bucket,omitempty"`
	// ItemsRead is what the index queries read (DynamoDB ScannedCount):
	// the due records, never the table.
	ItemsRead int `json:"items_read"`
	Due       int `json:"due"`
	// Rechecked records were read from Mangopay (or, for a PENDING one,
	// looked up by Idempotency-Key); Changed of them changed, Unchanged
	// got their next check.
	Rechecked int `json:"rechecked"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// Skipped were not due any more (a queued id already done) or are of
	// a kind the re-checks do not handle.
	Skipped int `json:"skipped"`
	// Failed could never pass (logged in Errors); Retry may pass later
	// (they stay due, or go back to the queue).
	Failed int `json:"failed"`
	Retry  int `json:"retry"`
	// Queued ids were handed to the queue; Left were not started because
	// the run stopped (they stay due).
	Queued int `json:"queued"`
	Left   int `json:"left"`
	// Stopped says why the run ended early ("" when it finished).
	Stopped string       `json:"stopped,omitempty"`
	Pacer   pacing.Stats `json:"pacer"`
	Errors  []string     `json:"errors,omitempty"`
	// RetryIDs are the ids a queue message must be delivered again for.
	RetryIDs []string `json:"-"`
}

// outcome of one record's re-check.
type outcome int

const (
	outChanged outcome = iota
	outUnchanged
	outSkipped
)

// recheckRun is one run's shared state.
type recheckRun struct {
	s     *Service
	now   time.Time
	loc   *time.Location
	pacer *pacing.Pacer
	mu    sync.Mutex
	rep   *RecheckReport
}

// RecheckDue re-checks the records of bucket (records.BucketDocument,
// BucketTransaction or BucketPending; BucketOther handles pages) due at
// now, page by page, under budget. It reads only the due records. A run on
// a weekend, or for documents outside 8-17, does nothing unless
// budget.Force; BucketPending runs every hour of every day.
func (s *Service) RecheckDue(ctx context.Context, bucket string, now time.Time, budget RecheckBudget) (RecheckReport, error) {
	rep := RecheckReport{Bucket: bucket}
	run, err := s.newRecheckRun(now, &budget, &rep)
	if err != nil {
		return rep, err
	}
	if !budget.Force && !recheckHours(bucket, now, run.loc) {
		rep.Stopped = "outside the re-check hours (weekdays; 8-17 for documents)"
		return rep, nil
	}
	size := budget.PageSize
	if size <= 0 {
		size = 100
	}
	token := ""
	var queue []records.Record // due beyond the budget, not yet sent
	taken := 0                 // records this invocation took on itself
	for {
		limit := size
		if budget.MaxItems > 0 && budget.Overflow == nil {
			limit = min(size, max(budget.MaxItems-taken, 1))
		}
		page, err := s.Records.DueForRecheck(ctx, bucket, now, limit, token)
		if err != nil {
			return rep, err
		}
		rep.ItemsRead += int(page.ScannedCount)
		mine, rest := page.Records, []records.Record(nil)
		if budget.MaxItems > 0 {
			room := max(budget.MaxItems-taken, 0)
			if room < len(mine) {
				mine, rest = mine[:room], mine[room:]
			}
		}
		taken += len(mine)
		rep.Due += len(page.Records)
		if len(mine) > 0 {
			started, stop := run.pacer.Run(ctx, len(mine), func(ctx context.Context, i int) error {
				return run.one(ctx, &mine[i], false)
			})
			if stop != nil {
				rep.Left += len(mine) - started + len(rest)
				rep.Stopped = stop.Error()
				break
			}
		}
		if len(rest) > 0 {
			if budget.Overflow == nil {
				rep.Left += len(rest)
				rep.Stopped = fmt.Sprintf("item budget of %d spent; the rest stays due for the next run", budget.MaxItems)
				break
			}
			queue = append(queue, rest...)
			if queue, err = overflow(ctx, budget, queue, false, &rep); err != nil {
				return rep, err
			}
		}
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	if _, err := overflow(ctx, budget, queue, true, &rep); err != nil {
		return rep, err
	}
	rep.Pacer = run.pacer.Stats()
	return rep, nil
}

// overflow hands ids to the queue in full batches, and the last partial
// one when flush; it returns what is left to send.
func overflow(ctx context.Context, b RecheckBudget, recs []records.Record, flush bool, rep *RecheckReport) ([]records.Record, error) {
	n := b.BatchSize
	if n <= 0 {
		n = 50
	}
	for len(recs) >= n || (flush && len(recs) > 0) {
		k := min(n, len(recs))
		ids := make([]string, k)
		for i := range ids {
			ids[i] = recs[i].ID
		}
		if err := b.Overflow(ctx, ids); err != nil {
			return recs, fmt.Errorf("queueing %d due ids: %w", k, err)
		}
		rep.Queued += k
		recs = recs[k:]
	}
	return recs, nil
}

// RecheckIDs re-checks the named records (a queue message) that are still
// due at now; report.RetryIDs are those to deliver again (a transient
// failure, a 429, or not started because the run stopped).
func (s *Service) RecheckIDs(ctx context.Context, ids []string, now time.Time, budget RecheckBudget) (RecheckReport, error) {
	rep := RecheckReport{Due: len(ids)}
	run, err := s.newRecheckRun(now, &budget, &rep)
	if err != nil {
		return rep, err
	}
	started, stop := run.pacer.Run(ctx, len(ids), func(ctx context.Context, i int) error {
		rec, err := s.Records.Get(ctx, ids[i])
		if errors.Is(err, records.ErrNotFound) {
			run.fail(ids[i], err)
			return nil
		}
		if err != nil {
			run.retry(ids[i], err)
			return nil
		}
		return run.one(ctx, rec, true)
	})
	if stop != nil {
		rep.Stopped = stop.Error()
		rep.Left = len(ids) - started
		rep.RetryIDs = append(rep.RetryIDs, ids[started:]...)
	}
	rep.Pacer = run.pacer.Stats()
	return rep, nil
}

func (s *Service) newRecheckRun(now time.Time, b *RecheckBudget, rep *RecheckReport) (*recheckRun, error) {
	loc, err := b.location()
	if err != nil {
		return nil, err
	}
	b.Location = loc
	return &recheckRun{s: s, now: now.UTC(), loc: loc, rep: rep, pacer: pacing.New(s.MP.RateLimits, b.Pacing)}, nil
}

// recheckHours reports whether a scheduled run of bucket may work at now.
func recheckHours(bucket string, now time.Time, loc *time.Location) bool {
	switch bucket {
	case records.BucketDocument:
		return schedule.InBusinessHours(now, loc, schedule.OpenHour, schedule.CloseHour)
	case records.BucketPending:
		return true // Mangopay forgets keys on weekends too
	}
	return schedule.IsWeekday(now, loc)
}

// one re-checks one record and counts the outcome; it returns the error
// only for the pacer to see a 429.
func (run *recheckRun) one(ctx context.Context, rec *records.Record, checkDue bool) error {
	if checkDue && (rec.RecheckAt == nil || rec.RecheckAt.After(run.now)) {
		run.count(outSkipped)
		return nil
	}
	out, err := run.s.recheckRecord(ctx, rec, run.now, run.loc)
	if err != nil {
		if transient(err) {
			run.retry(rec.ID, err)
		} else {
			run.fail(rec.ID, err)
		}
		return err
	}
	run.count(out)
	return nil
}

func (run *recheckRun) count(o outcome) {
	run.mu.Lock()
	defer run.mu.Unlock()
	switch o {
	case outChanged:
		run.rep.Rechecked++
		run.rep.Changed++
	case outUnchanged:
		run.rep.Rechecked++
		run.rep.Unchanged++
	case outSkipped:
		run.rep.Skipped++
	}
}

func (run *recheckRun) note(id string, err error) {
	if len(run.rep.Errors) < 20 {
		run.rep.Errors = append(run.rep.Errors, fmt.Sprintf("%s: %v", id, err))
	}
}

func (run *recheckRun) fail(id string, err error) {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.rep.Failed++
	run.note(id, err)
}

func (run *recheckRun) retry(id string, err error) {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.rep.Retry++
	run.rep.RetryIDs = append(run.rep.RetryIDs, id)
	run.note(id, err)
}

// transient reports whether a later attempt may pass: Mangopay's 429 and
// 5xx, network and AWS errors, a record changed under us, a 409 marked
// transient. A 404 or a refusal will not.
func transient(err error) bool {
	var mp *mangopay.Error
	if errors.As(err, &mp) {
		return mp.StatusCode == 429 || mp.StatusCode >= 500
	}
	if errors.Is(err, records.ErrNotFound) || errors.Is(err, records.ErrInvalid) {
		return false
	}
	if e, ok := asAPIError(err); ok {
		return !e.Permanent()
	}
	return true
}

// recheckRecord brings one due record up to date and schedules its next
// check when it still waits.
func (s *Service) recheckRecord(ctx context.Context, rec *records.Record, now time.Time, loc *time.Location) (outcome, error) {
	if !rec.NeedsPolling() {
		return outSkipped, nil
	}
	switch {
	case rec.Kind == records.KindDocument:
		return s.recheckDocumentDue(ctx, rec, now, loc)
	case rec.Kind == records.KindPage:
		after, err := s.RecheckPage(ctx, rec.ID)
		if err != nil {
			return 0, err
		}
		return changedOutcome(rec, after), nil
	case rec.Kind.IsTransaction() && rec.SyncState == records.SyncPending:
		_, out, err := s.recoverPendingTx(ctx, rec, now, loc)
		return out, err
	case rec.Kind.IsTransaction():
		fetch := s.txFetcher(rec.Kind)
		after, err := s.refreshTx(ctx, rec, now, fetch, func(r *records.Record) { nextWeekday(r, now, loc) })
		if err != nil {
			return 0, err
		}
		return changedOutcome(rec, after), nil
	}
	return outSkipped, nil
}

// nextWeekday gives a record still waiting its next check: the next
// weekday run. The Store drops it from the index when it no longer waits.
func nextWeekday(r *records.Record, now time.Time, loc *time.Location) {
	if r.NeedsPolling() {
		next := schedule.NextWeekday(now, loc, schedule.OpenHour).UTC()
		r.RecheckAt = &next
	}
}

func changedOutcome(before, after *records.Record) outcome {
	if after == nil || after.Status != before.Status || after.SyncState != before.SyncState {
		return outChanged
	}
	return outUnchanged
}

// recheckDocumentDue re-checks a document with RecheckDocument (a PENDING
// create is sent again under its key; one in review is re-read) and, while
// it is still in review, schedules the next business hour (hourly 8-17 on
// weekdays: from Friday evening, Monday 08:00).
func (s *Service) recheckDocumentDue(ctx context.Context, rec *records.Record, now time.Time, loc *time.Location) (outcome, error) {
	after, err := s.RecheckDocument(ctx, rec.ID)
	if err != nil {
		return 0, err
	}
	out := changedOutcome(rec, after)
	if after.NeedsPolling() {
		next := schedule.NextBusinessHour(now, loc, schedule.OpenHour, schedule.CloseHour).UTC()
		if after.RecheckAt == nil || !after.RecheckAt.Equal(next) {
			if _, err := s.Records.UpdateFrom(ctx, after, func(r *records.Record) error {
				r.RecheckAt = &next
				return nil
			}); err != nil {
				return 0, err
			}
		}
	}
	return out, nil
}

// recoverPendingTx looks up a transaction left PENDING (its create cut
// short) at GET /responses/{key}: found, Mangopay's answer is stored as
// the create would have stored it (a refusal fails the record); not found,
// see pendingNotFound. It returns the record as written. loc is the
// re-check calendar; nil (the create path) leaves a CREATED answer due at
// once, as a create does.
func (s *Service) recoverPendingTx(ctx context.Context, rec *records.Record, now time.Time, loc *time.Location) (*records.Record, outcome, error) {
	resp, err := s.MP.GetIdempotencyResponse(ctx, records.IdempotencyKey(rec.ID))
	var mpErr *mangopay.Error
	if errors.As(err, &mpErr) && mpErr.Type == mangopay.TypeCorrelationIDNotFound {
		return s.pendingNotFound(ctx, rec, now)
	}
	if err != nil {
		return nil, 0, err
	}
	status := resp.Status()
	if status < 200 || status > 299 {
		refusal := mangopay.DecodeError(status, resp.Resource)
		if !mangopay.IsValidation(refusal) {
			// Mangopay failed on its side: the caller's retry may pass.
			return s.pushPending(ctx, rec, now)
		}
		return s.writeRecheck(ctx, rec, outChanged, func(r *records.Record) {
			r.SyncState, r.SyncError = records.SyncFailed, refusal.Error()
		})
	}
	apply, err := txAnswer(rec.Kind, resp, now)
	if err != nil {
		return nil, 0, fmt.Errorf("record %s: Mangopay's stored answer: %w", rec.ID, err)
	}
	return s.writeRecheck(ctx, rec, outChanged, func(r *records.Record) {
		apply(r)
		r.Raw, r.SyncState, r.SyncError = resp.Resource, records.SyncSynced, ""
		if loc != nil {
			nextWeekday(r, now, loc)
		}
	})
}

// pendingNotFound handles a PENDING record Mangopay has no answer for:
// younger than PendingGiveUp, it stays PENDING for the original caller's
// retry, checked again by the next hourly sweep; up to PendingProofLimit,
// "not found" proves it never reached Mangopay and it is failed; older,
// nothing can be proved (Mangopay may have forgotten the key): it stays
// PENDING, leaves the re-check index and says why, for someone to
// reconcile by hand (create refuses to send it again, see create).
func (s *Service) pendingNotFound(ctx context.Context, rec *records.Record, now time.Time) (*records.Record, outcome, error) {
	age := now.Sub(rec.CreatedAt)
	switch {
	case age < PendingGiveUp:
		return s.pushPending(ctx, rec, now)
	case age < PendingProofLimit:
		return s.writeRecheck(ctx, rec, outChanged, func(r *records.Record) {
			r.SyncState = records.SyncFailed
			r.SyncError = fmt.Sprintf("never reached Mangopay: no answer for its Idempotency-Key %d h after it was written (Mangopay keeps keys 24 h); create a new one",
				int(age.Hours()))
		})
	}
	return s.writeRecheck(ctx, rec, outChanged, func(r *records.Record) {
		r.SyncError, r.RecheckAt = unknownOutcome(rec, age), nil
	})
}

// unknownOutcome is the SyncError of a PENDING transaction whose outcome
// can no longer be learnt from Mangopay's idempotency store.
func unknownOutcome(rec *records.Record, age time.Duration) string {
	return fmt.Sprintf("outcome unknown: the create was cut short and Mangopay no longer remembers its Idempotency-Key (%d h old, keys are kept 24 h); "+
		"look for it among the wallet's transactions at Mangopay (created %s) before creating a new one", int(age.Hours()), rec.CreatedAt.Format(time.RFC3339))
}

// pushPending leaves a record PENDING and moves its next check: an hour
// on (the PENDING sweep runs every hour of every day), but never later
// than PendingGiveUp after it was written, so that it is decided while
// Mangopay still remembers its key.
func (s *Service) pushPending(ctx context.Context, rec *records.Record, now time.Time) (*records.Record, outcome, error) {
	next := now.Add(max(s.pendingRecheck(), time.Hour))
	if giveUp := rec.CreatedAt.Add(PendingGiveUp); giveUp.Before(next) {
		next = giveUp
	}
	if soon := now.Add(s.pendingRecheck()); next.Before(soon) {
		next = soon
	}
	return s.writeRecheck(ctx, rec, outUnchanged, func(r *records.Record) { r.RecheckAt = &next })
}

// writeRecheck writes what a re-check decided about rec and returns the
// record as written, with the outcome to count.
func (s *Service) writeRecheck(ctx context.Context, rec *records.Record, out outcome, mutate func(*records.Record)) (*records.Record, outcome, error) {
	after, err := s.Records.UpdateFrom(ctx, rec, func(r *records.Record) error {
		mutate(r)
		return nil
	})
	return after, out, err
}

// transferFetch is txFetcher's for transfers; live, when not nil, also
// receives Mangopay's answer (for its PendingUserAction).
func (s *Service) transferFetch(live **mangopay.Transfer) txFetch {
	return func(ctx context.Context, id string, opts ...mangopay.CallOption) (func(*records.Record), error) {
		t, err := s.MP.GetTransfer(ctx, id, opts...)
		if err != nil {
			return nil, err
		}
		if live != nil {
			*live = t
		}
		return func(r *records.Record) { applyTransaction(r, &t.Transaction) }, nil
	}
}

// txAnswer decodes the stored answer to a transaction's create and returns
// how the create would have written it (due for a re-check if CREATED).
func txAnswer(kind records.Kind, resp *mangopay.IdempotencyResponse, now time.Time) (func(*records.Record), error) {
	switch kind {
	case records.KindPayout:
		var p mangopay.PayOut
		if err := resp.Decode(&p); err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyPayout(r, &p); markRecheck(r, now, true) }, nil
	case records.KindPayIn:
		var p mangopay.PayIn
		if err := resp.Decode(&p); err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyPayIn(r, &p, now, true) }, nil
	case records.KindTransfer:
		var t mangopay.Transfer
		if err := resp.Decode(&t); err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyTransaction(r, &t.Transaction); markRecheck(r, now, true) }, nil
	case records.KindRefund:
		var m mangopay.Refund
		if err := resp.Decode(&m); err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyRefund(r, &m); markRecheck(r, now, true) }, nil
	case records.KindPreauthorization:
		var m mangopay.PreAuthorization
		if err := resp.Decode(&m); err != nil {
			return nil, err
		}
		return func(r *records.Record) { applyPreauthorization(r, &m, now, true) }, nil
	}
	return nil, fmt.Errorf("no stored-answer decoder for %s", kind)
}

// txFetcher reads a transaction of kind from Mangopay (the refresh path
// of GET /payouts/{id}?refresh=true and the others, and of the
// re-checks).
func (s *Service) txFetcher(kind records.Kind) txFetch {
	return func(ctx context.Context, id string, opts ...mangopay.CallOption) (func(*records.Record), error) {
		switch kind {
		case records.KindPayout:
			p, err := s.MP.GetPayout(ctx, id, opts...)
			if err != nil {
				return nil, err
			}
			return func(r *records.Record) { applyPayout(r, p) }, nil
		case records.KindTransfer:
			return s.transferFetch(nil)(ctx, id, opts...)
		case records.KindRefund:
			m, err := s.MP.GetRefund(ctx, id, opts...)
			if err != nil {
				return nil, err
			}
			return func(r *records.Record) { applyRefund(r, m) }, nil
		case records.KindPayIn:
			p, err := s.MP.GetPayIn(ctx, id, opts...)
			if err != nil {
				return nil, err
			}
			return s.payInApplier(p, false), nil
		case records.KindPreauthorization:
			m, err := s.MP.GetPreAuthorization(ctx, id, opts...)
			if err != nil {
				return nil, err
			}
			now := s.now()
			return func(r *records.Record) { applyPreauthorization(r, m, now, false) }, nil
		}
		return nil, fmt.Errorf("no Mangopay refresh for %s records", kind)
	}
}

// asAPIError finds an *api.Error in err's chain.
func asAPIError(err error) (*api.Error, bool) {
	var e *api.Error
	ok := errors.As(err, &e)
	return e, ok
}
