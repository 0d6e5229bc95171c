package operations

// Mangopay hooks. Mangopay calls our URL (GET ?EventType=&RessourceId=&Date=,
// no body, no signature) and gives up on a call that does not answer 200
// within 2 s, so the receiving function only checks the secret path token,
// stores the notification (de-duplicated on its three parameters) and
// queues it. The processing function treats a notification as a hint:
// it finds our record by Mangopay id, re-reads the object from Mangopay
// and stores it; the records' outbox publishes the outcome event when the
// status really changed, so a forged or replayed notification changes
// nothing. Reconciliation (reconcile.go) runs the same processing over
// GET /events for what no hook delivered.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/validate"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// HookTokenParam is the path parameter of the hook route
// (GET /hooks/{token}) holding the secret token.
const HookTokenParam = "token"

// MinHookTokenLen is the shortest secret token accepted (32 characters,
// e.g. 24 random bytes in base64url).
const MinHookTokenLen = 32

// HookRequeueAfter is how long a notification may stay unprocessed before
// a repeat delivery of it (or reconciliation) queues it again: the first
// queue message may have been lost.
const HookRequeueAfter = 5 * time.Minute

// Outcomes written on processed notifications (records.HookNotification
// Outcome); "updated …" and "unchanged …" name the record.
const (
	HookOutcomeUnknown     = "unknown object"
	HookOutcomeNoResource  = "no RessourceId (test call)"
	HookOutcomeUnhandled   = "event type not handled"
	HookOutcomeAmbiguous   = "ambiguous Mangopay id"
	HookOutcomeKindIgnored = "record kind not refreshed by hooks"
)

// HookEventTypes returns the event types we register hooks for and
// process, in a fixed order.
func HookEventTypes() []string {
	return []string{
		mangopay.EventPayInNormalSucceeded, mangopay.EventPayInNormalFailed,
		mangopay.EventPayoutNormalSucceeded, mangopay.EventPayoutNormalFailed,
		mangopay.EventTransferNormalSucceeded, mangopay.EventTransferNormalFailed,
		mangopay.EventPayInRefundSucceeded, mangopay.EventPayInRefundFailed,
		mangopay.EventTransferRefundSucceeded, "TRANSFER_REFUND_FAILED",
		mangopay.EventPayoutRefundSucceeded, "PAYOUT_REFUND_FAILED",
		mangopay.EventPreauthorizationSucceeded, mangopay.EventPreauthorizationFailed,
		"PREAUTHORIZATION_PAYMENT_VALIDATED", "PREAUTHORIZATION_PAYMENT_CANCELED", "PREAUTHORIZATION_PAYMENT_EXPIRED",
		mangopay.EventKYCSucceeded, mangopay.EventKYCFailed, mangopay.EventKYCOutdated,
		mangopay.EventUserKYCRegular, mangopay.EventUserKYCLight,
	}
}

// HandledEventType reports whether we process events of this type.
func HandledEventType(t string) bool { return slices.Contains(HookEventTypes(), t) }

// Hooks receives, processes and registers Mangopay hooks. It wraps the
// Service (whose fields it cannot extend) with the hook configuration.
type Hooks struct {
	S *Service
	// Token is the secret path segment of the hook URL.
	Token string
	// Queue receives the notifications to process (the processing
	// function's queue).
	Queue api.Sender
	// RequeueAfter overrides HookRequeueAfter (tests).
	RequeueAfter time.Duration
}

// NewHooks checks the configured token (HOOK_TOKEN, at least
// MinHookTokenLen characters) at cold start.
func NewHooks(s *Service, token string, queue api.Sender) (*Hooks, error) {
	if len(token) < MinHookTokenLen {
		return nil, fmt.Errorf("hooks: the secret hook token must have at least %d characters", MinHookTokenLen)
	}
	return &Hooks{S: s, Token: token, Queue: queue}, nil
}

func (h *Hooks) requeueAfter() time.Duration {
	if h.RequeueAfter > 0 {
		return h.RequeueAfter
	}
	return HookRequeueAfter
}

// tokenOK compares a presented token with the secret in constant time
// (hashing both first, so that not even the length leaks).
func (h *Hooks) tokenOK(presented string) bool {
	if len(h.Token) < MinHookTokenLen {
		return false
	}
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(h.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

var (
	eventTypeRE   = regexp.MustCompile(`^[A-Z][A-Z_]{0,99}$`)
	ressourceIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	unixRE        = regexp.MustCompile(`^[0-9]{1,12}$`)
)

// ReceiveHookInput is Mangopay's call: GET /hooks/{token}?EventType=…
// &RessourceId=…&Date=… (query parameters keep Mangopay's spelling).
type ReceiveHookInput struct {
	Token       string `json:"token"`
	EventType   string `json:"EventType"`
	RessourceID string `json:"RessourceId"`
	// Date is Unix seconds, as a query string.
	Date string `json:"Date"`
}

// Validate checks the parameters (the token is checked by ReceiveHook, so
// that a wrong one is a plain 404). EventType is any upper-case name
// (Mangopay adds types); RessourceId may be empty (the dashboard's test
// call).
func (in *ReceiveHookInput) Validate(v *validate.Errors) {
	v.Check(eventTypeRE.MatchString(in.EventType), "EventType", "must be a Mangopay event type (A-Z and _)")
	v.Check(in.RessourceID == "" || ressourceIDRE.MatchString(in.RessourceID), "RessourceId", "must be a Mangopay id")
	v.Check(unixRE.MatchString(in.Date), "Date", "must be Unix seconds")
}

// HookMessage is one notification on the processing queue, and the input
// of ProcessHook.
type HookMessage struct {
	EventType   string `json:"EventType"`
	RessourceID string `json:"RessourceId"`
	// Date is Unix seconds.
	Date int64 `json:"Date"`
}

// Validate checks a queued notification.
func (m *HookMessage) Validate(v *validate.Errors) {
	v.Check(eventTypeRE.MatchString(m.EventType), "EventType", "must be a Mangopay event type (A-Z and _)")
	v.Check(m.RessourceID == "" || ressourceIDRE.MatchString(m.RessourceID), "RessourceId", "must be a Mangopay id")
	v.Check(m.Date > 0, "Date", "must be Unix seconds")
}

func (m HookMessage) date() time.Time { return time.Unix(m.Date, 0).UTC() }

// ReceiveHookAnswer is the body of the 200.
type ReceiveHookAnswer struct {
	// Queued is true when the notification was handed to the processing
	// queue by this call.
	Queued bool `json:"queued"`
}

// errHookNotFound is the answer to a wrong token: the route does not
// exist, as far as the caller can tell.
func errHookNotFound() error {
	return &api.Error{Status: http.StatusNotFound, Title: "Not Found"}
}

// ReceiveHook stores a notification and queues it for processing, once:
// a repeat delivery answers 200 and queues nothing (unless the first one
// stayed unprocessed for RequeueAfter: its queue message may have been
// lost). A wrong token is a 404 and stores nothing. Events of a type we do
// not handle, and the dashboard's test call without RessourceId, are
// stored as processed and acknowledged.
func (h *Hooks) ReceiveHook(ctx context.Context, in *ReceiveHookInput, _ api.Call) (api.Result, error) {
	if !h.tokenOK(in.Token) {
		return api.Result{}, errHookNotFound()
	}
	sec, err := strconv.ParseInt(in.Date, 10, 64)
	if err != nil {
		return api.Result{}, api.InvalidField("Date", "must be Unix seconds")
	}
	m := HookMessage{EventType: in.EventType, RessourceID: in.RessourceID, Date: sec}
	queued, err := h.accept(ctx, m)
	if err != nil {
		return api.Result{}, err
	}
	return api.OK(ReceiveHookAnswer{Queued: queued}), nil
}

// accept stores a notification and queues it if it needs processing.
func (h *Hooks) accept(ctx context.Context, m HookMessage) (bool, error) {
	n, isNew, err := h.S.Records.SaveHookNotification(ctx, m.EventType, m.RessourceID, m.date())
	if err != nil {
		return false, err
	}
	if !isNew && (n.ProcessedAt != nil || h.S.now().Sub(n.ReceivedAt) < h.requeueAfter()) {
		return false, nil
	}
	if outcome, final := settledWithoutWork(m); final {
		if n.ProcessedAt == nil {
			return false, h.S.Records.MarkHookProcessed(ctx, m.EventType, m.RessourceID, m.date(), outcome)
		}
		return false, nil
	}
	if h.Queue == nil {
		return false, errors.New("hooks: no processing queue configured")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	// A failed send answers 500: Mangopay delivers again, and the repeat
	// is queued once RequeueAfter has passed (or reconciliation catches
	// it the same day).
	if err := h.Queue.Send(ctx, string(body), map[string]string{api.AttrOperation: "process-hook"}); err != nil {
		return false, fmt.Errorf("queueing hook notification: %w", err)
	}
	return true, nil
}

// settledWithoutWork says whether a notification needs no Mangopay call.
func settledWithoutWork(m HookMessage) (string, bool) {
	switch {
	case m.RessourceID == "":
		return HookOutcomeNoResource, true
	case !HandledEventType(m.EventType):
		return HookOutcomeUnhandled, true
	}
	return "", false
}

// HTTPHandler is the receiving function's handler: a request whose token
// is wrong gets API Gateway's own 404 for an unknown route before
// anything is decoded, so neither the route nor its parameters are
// revealed; the rest goes through api.HTTP.
func (h *Hooks) HTTPHandler(d api.Deps) api.HTTPHandler {
	next := api.HTTP(h.ReceiveHookOp(), d)
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if !h.tokenOK(req.PathParameters[HookTokenParam]) {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotFound, Body: `{"message":"Not Found"}`,
				Headers: map[string]string{"Content-Type": "application/json"}}, nil
		}
		return next(ctx, req)
	}
}

// HookReport says what processing one notification did.
type HookReport struct {
	EventType   string `json:"EventType"`
	RessourceID string `json:"RessourceId"`
	Date        int64  `json:"Date"`
	// Skipped is true when the notification had already been processed.
	Skipped bool `json:"skipped"`
	// RecordID is our record of the object ("" when unknown).
	RecordID string `json:"record_id,omitempty"`
	// Changed is true when the object's status or sync state changed.
	Changed bool   `json:"changed"`
	Outcome string `json:"outcome"`
}

// ProcessHook handles one notification as a hint: unless it was processed
// already, it finds our record by Mangopay id, re-reads the object from
// Mangopay through the refresh paths and stores it (the outbox publishes
// the outcome event if the status changed), then marks the notification
// processed. An object we do not know is marked "unknown object". A
// transient failure (Mangopay 5xx or 429, AWS) is returned, for the queue
// to retry; a permanent one is recorded as the outcome.
func (h *Hooks) ProcessHook(ctx context.Context, m HookMessage) (HookReport, error) {
	rep := HookReport{EventType: m.EventType, RessourceID: m.RessourceID, Date: m.Date}
	// Save is a read for a known notification and stores one that reached
	// us another way (reconciliation, or a message sent by hand).
	n, _, err := h.S.Records.SaveHookNotification(ctx, m.EventType, m.RessourceID, m.date())
	if err != nil {
		return rep, err
	}
	if n.ProcessedAt != nil {
		rep.Skipped, rep.Outcome = true, n.Outcome
		return rep, nil
	}
	if outcome, final := settledWithoutWork(m); final {
		rep.Outcome = outcome
		return rep, h.S.Records.MarkHookProcessed(ctx, m.EventType, m.RessourceID, m.date(), outcome)
	}
	rep.RecordID, rep.Changed, rep.Outcome, err = h.refresh(ctx, m.RessourceID)
	if err != nil {
		if transient(err) {
			return rep, err
		}
		rep.Outcome = "refresh failed: " + err.Error()
	}
	return rep, h.S.Records.MarkHookProcessed(ctx, m.EventType, m.RessourceID, m.date(), rep.Outcome)
}

// refresh re-reads the object with Mangopay id mpID into its record.
func (h *Hooks) refresh(ctx context.Context, mpID string) (id string, changed bool, outcome string, err error) {
	s := h.S
	rec, err := s.Records.GetByMangopayID(ctx, mpID)
	switch {
	case errors.Is(err, records.ErrNotFound):
		return "", false, HookOutcomeUnknown, nil
	case errors.Is(err, records.ErrAmbiguous):
		return "", false, HookOutcomeAmbiguous, nil
	case err != nil:
		return "", false, "", err
	}
	// The index is eventually consistent: read the record itself.
	id = rec.ID
	if rec, err = s.Records.Get(ctx, id); err != nil {
		return id, false, "", err
	}
	var after *records.Record
	switch {
	case rec.Kind.IsTransaction():
		after, err = s.refreshTx(ctx, rec, s.now(), s.txFetcher(rec.Kind), nil)
	case rec.Kind == records.KindDocument:
		after, err = s.refreshDocument(ctx, rec)
	case rec.Kind == records.KindUserNatural || rec.Kind == records.KindUserLegal:
		after, err = s.refreshUser(ctx, rec)
	default:
		return rec.ID, false, HookOutcomeKindIgnored, nil
	}
	if err != nil {
		return rec.ID, false, "", err
	}
	if changedOutcome(rec, after) == outChanged || kycLevel(rec) != kycLevel(after) {
		return rec.ID, true, fmt.Sprintf("updated %s: %s -> %s", rec.ID, statusOf(rec), statusOf(after)), nil
	}
	return rec.ID, false, fmt.Sprintf("unchanged %s: %s", rec.ID, statusOf(after)), nil
}

// kycLevel is a user record's KYC level ("" for other records).
func kycLevel(r *records.Record) string {
	if r == nil || r.User == nil {
		return ""
	}
	return r.User.KYCLevel
}

func statusOf(r *records.Record) string {
	if r.Status != "" {
		return r.Status
	}
	if l := kycLevel(r); l != "" {
		return "KYC " + l
	}
	return string(r.SyncState)
}
