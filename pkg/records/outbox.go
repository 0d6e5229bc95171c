package records

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Outcome is one event a record's status change calls for, kept in the
// record's Outbox (a transactional outbox) from the write that made the
// change until it is published. The event is decided in the same
// conditional write as the change, so it is never lost nor decided twice.
type Outcome struct {
	// ID is deterministic (record id, detail type, version): a consumer
	// de-duplicates on it, since an event may be delivered more than once.
	ID         string          `dynamodbav:"id" json:"id"`
	DetailType string          `dynamodbav:"detail_type" json:"detail_type"`
	Detail     json.RawMessage `dynamodbav:"detail" json:"detail"`
	At         time.Time       `dynamodbav:"at" json:"at"`
}

// AttrOutbox is the attribute holding a record's Outbox (absent when
// empty).
const AttrOutbox = "outbox"

// Detail types of the outcome events.
const (
	DocumentValidated   = "DocumentValidated"
	DocumentRefused     = "DocumentRefused"
	DocumentOutOfDate   = "DocumentOutOfDate"
	UserKYCLevelChanged = "UserKYCLevelChanged"
	PayInSucceeded      = "PayInSucceeded"
	PayInFailed         = "PayInFailed"
	TransferSucceeded   = "TransferSucceeded"
	TransferFailed      = "TransferFailed"
	PayoutSucceeded     = "PayoutSucceeded"
	PayoutFailed        = "PayoutFailed"
	RefundSucceeded     = "RefundSucceeded"
	RefundFailed        = "RefundFailed"
)

// DetailTypes returns every detail type, in a fixed order.
func DetailTypes() []string {
	return []string{DocumentValidated, DocumentRefused, DocumentOutOfDate, UserKYCLevelChanged,
		PayInSucceeded, PayInFailed, TransferSucceeded, TransferFailed,
		PayoutSucceeded, PayoutFailed, RefundSucceeded, RefundFailed}
}

// DocumentDetail is the detail of the Document* events.
type DocumentDetail struct {
	EventID        string `json:"event_id"`
	ID             string `json:"id"`
	MangopayID     string `json:"mangopay_id,omitempty"`
	ExternalUserID string `json:"external_user_id"`
	// UserID is our record id of the document's user.
	UserID               string     `json:"user_id,omitempty"`
	Tag                  string     `json:"tag,omitempty"`
	DocumentType         string     `json:"document_type,omitempty"`
	Status               string     `json:"status"`
	RefusedReasonType    string     `json:"refused_reason_type,omitempty"`
	RefusedReasonMessage string     `json:"refused_reason_message,omitempty"`
	ProcessedAt          *time.Time `json:"processed_at,omitempty"`
	Version              int64      `json:"version"`
}

// KYCLevelDetail is the detail of UserKYCLevelChanged.
type KYCLevelDetail struct {
	EventID        string `json:"event_id"`
	ID             string `json:"id"`
	Kind           Kind   `json:"kind"`
	MangopayID     string `json:"mangopay_id,omitempty"`
	ExternalUserID string `json:"external_user_id"`
	From           string `json:"from"`
	To             string `json:"to"`
	Version        int64  `json:"version"`
}

// TransactionDetail is the detail of the pay-in, transfer, payout and
// refund events. Wallet, user and bank account ids are Mangopay's.
type TransactionDetail struct {
	EventID        string `json:"event_id"`
	ID             string `json:"id"`
	Kind           Kind   `json:"kind"`
	MangopayID     string `json:"mangopay_id,omitempty"`
	ExternalUserID string `json:"external_user_id"`
	// ParentID is our id of the related record (a refund's transaction).
	ParentID         string     `json:"parent_id,omitempty"`
	Tag              string     `json:"tag,omitempty"`
	Status           string     `json:"status"`
	ResultCode       string     `json:"result_code,omitempty"`
	ResultMessage    string     `json:"result_message,omitempty"`
	Nature           string     `json:"nature,omitempty"`
	PaymentType      string     `json:"payment_type,omitempty"`
	DebitedFunds     Money      `json:"debited_funds"`
	CreditedFunds    Money      `json:"credited_funds"`
	Fees             Money      `json:"fees"`
	AuthorID         string     `json:"author_id,omitempty"`
	CreditedUserID   string     `json:"credited_user_id,omitempty"`
	DebitedWalletID  string     `json:"debited_wallet_id,omitempty"`
	CreditedWalletID string     `json:"credited_wallet_id,omitempty"`
	BankAccountID    string     `json:"bank_account_id,omitempty"`
	BankWireRef      string     `json:"bank_wire_ref,omitempty"`
	InitialTxID      string     `json:"initial_transaction_id,omitempty"`
	ExecutionDate    *time.Time `json:"execution_date,omitempty"`
	Version          int64      `json:"version"`
}

// OutcomeID is the deterministic id of the event of detail type dt decided
// by version v of record id.
func OutcomeID(id, dt string, v int64) string { return fmt.Sprintf("%s:%s:%d", id, dt, v) }

// txDetailTypes maps a transaction kind to its success and failure types.
var txDetailTypes = map[Kind][2]string{
	KindPayIn:    {PayInSucceeded, PayInFailed},
	KindTransfer: {TransferSucceeded, TransferFailed},
	KindPayout:   {PayoutSucceeded, PayoutFailed},
	KindRefund:   {RefundSucceeded, RefundFailed},
}

// Outcomes returns the events the transition from old to r calls for (old
// is nil when r is being created): a document entering VALIDATED, REFUSED
// or OUT_OF_DATE; a user's KYC level changing from a known level to
// another; a pay-in, transfer, payout or refund entering SUCCEEDED or
// FAILED. A write that does not change the status decides nothing. r must
// carry the version and time it is being written with. It is pure.
func Outcomes(old, r *Record) []Outcome {
	oldStatus := ""
	if old != nil {
		oldStatus = old.Status
	}
	statusEntered := r.Status != "" && r.Status != oldStatus
	var dt string
	var detail any
	switch {
	case r.Kind == KindDocument && statusEntered:
		switch r.Status {
		case "VALIDATED":
			dt = DocumentValidated
		case "REFUSED":
			dt = DocumentRefused
		case "OUT_OF_DATE":
			dt = DocumentOutOfDate
		default:
			return nil
		}
		d := DocumentDetail{EventID: OutcomeID(r.ID, dt, r.Version), ID: r.ID, MangopayID: r.MangopayID,
			ExternalUserID: r.OwnerRef, UserID: r.ParentID, Tag: r.Tag, Status: r.Status, Version: r.Version}
		if doc := r.Document; doc != nil {
			d.DocumentType, d.ProcessedAt = doc.Type, doc.ProcessedAt
			if r.Status == "REFUSED" {
				d.RefusedReasonType, d.RefusedReasonMessage = doc.RefusedReasonType, doc.RefusedReasonMessage
			}
		}
		detail = d
	case r.Kind == KindUserNatural || r.Kind == KindUserLegal:
		if old == nil || old.User == nil || r.User == nil {
			return nil
		}
		from, to := old.User.KYCLevel, r.User.KYCLevel
		if from == "" || to == "" || from == to {
			return nil
		}
		dt = UserKYCLevelChanged
		detail = KYCLevelDetail{EventID: OutcomeID(r.ID, dt, r.Version), ID: r.ID, Kind: r.Kind,
			MangopayID: r.MangopayID, ExternalUserID: r.OwnerRef, From: from, To: to, Version: r.Version}
	case statusEntered:
		pair, ok := txDetailTypes[r.Kind]
		if !ok {
			return nil
		}
		switch r.Status {
		case "SUCCEEDED":
			dt = pair[0]
		case "FAILED":
			dt = pair[1]
		default:
			return nil
		}
		d := TransactionDetail{EventID: OutcomeID(r.ID, dt, r.Version), ID: r.ID, Kind: r.Kind, MangopayID: r.MangopayID,
			ExternalUserID: r.OwnerRef, ParentID: r.ParentID, Tag: r.Tag, Status: r.Status,
			ResultCode: r.ResultCode, ResultMessage: r.ResultMessage, Version: r.Version}
		if x := r.Transaction; x != nil {
			d.Nature, d.PaymentType = x.Nature, x.PaymentType
			d.DebitedFunds, d.CreditedFunds, d.Fees = x.DebitedFunds, x.CreditedFunds, x.Fees
			d.AuthorID, d.CreditedUserID = x.AuthorID, x.CreditedUserID
			d.DebitedWalletID, d.CreditedWalletID = x.DebitedWalletID, x.CreditedWalletID
			d.BankAccountID, d.BankWireRef, d.InitialTxID = x.BankAccountID, x.BankWireRef, x.InitialTransactionID
			d.ExecutionDate = x.ExecutionDate
		}
		detail = d
	default:
		return nil
	}
	raw, err := json.Marshal(detail)
	if err != nil { // plain structs of strings, numbers and times
		panic(fmt.Sprintf("records: encoding %s detail: %v", dt, err))
	}
	return []Outcome{{ID: OutcomeID(r.ID, dt, r.Version), DetailType: dt, Detail: raw, At: r.UpdatedAt.UTC()}}
}

// OutboxRetryAfter is the longest a record with events to publish waits
// in the re-check index after a write: the writer publishes them right
// after its write, and an entry older than this (outcomes.StaleAfter) was
// left by a publish that failed, which the re-check's write retries.
const OutboxRetryAfter = time.Minute

// stage appends the events of the transition from old to r to r's Outbox
// and keeps a record with events to publish in the re-check index, due at
// the latest OutboxRetryAfter after this write (an earlier re-check time
// stays; a later one, such as a pending record's next poll, is brought
// forward), so that a publish that fails is retried soon.
func (s *Store) stage(old, r *Record) {
	r.Outbox = append(r.Outbox, Outcomes(old, r)...)
	if len(r.Outbox) == 0 {
		return
	}
	switch latest := r.UpdatedAt.Add(OutboxRetryAfter); {
	case r.RecheckAt == nil:
		due := r.UpdatedAt
		r.RecheckAt = &due
	case r.RecheckAt.After(latest):
		r.RecheckAt = &latest
	}
}

// written calls the after-write hook for a record just written with events
// to publish.
func (s *Store) written(ctx context.Context, r *Record) {
	if s.afterWrite != nil && len(r.Outbox) > 0 {
		s.afterWrite(ctx, r)
	}
}

// WithAfterWrite sets a function called after every successful write
// (Create, Update, UpdateFrom) of a record whose Outbox is not empty, with
// the record as written: it publishes the events and calls ClearOutbox.
func WithAfterWrite(fn func(ctx context.Context, r *Record)) Option {
	return func(s *Store) { s.afterWrite = fn }
}

// ClearOutbox removes the entries with these ids from the record's Outbox
// once they are published. It does not change the version (a reader's
// view of the record is unchanged) but is conditional on it, and every
// write of the Store is conditional on the Outbox's size as read, so a
// writer that read the entries before they were cleared re-reads instead
// of writing them back. Ids no longer in the Outbox are ignored. Once the
// Outbox is empty the record leaves the re-check index unless it still
// waits for Mangopay.
func (s *Store) ClearOutbox(ctx context.Context, id string, ids []string) error {
	return s.clearOutbox(ctx, id, nil, ids)
}

// ClearOutboxFrom is ClearOutbox starting from cur, the record as just
// written (the after-write hook's): the first attempt skips the read. Its
// write is conditional on cur's version and Outbox size, so if cur is no
// longer current it re-reads as ClearOutbox does.
func (s *Store) ClearOutboxFrom(ctx context.Context, cur *Record, ids []string) error {
	return s.clearOutbox(ctx, cur.ID, cur, ids)
}

func (s *Store) clearOutbox(ctx context.Context, id string, cur *Record, ids []string) error {
	for attempt := 1; ; attempt++ {
		r := cur
		cur = nil
		if r == nil {
			var err error
			if r, err = s.Get(ctx, id); err != nil {
				return fmt.Errorf("records: clear outbox: %w", err)
			}
		}
		var drop []string
		kept := 0
		for i, o := range r.Outbox {
			if slices.Contains(ids, o.ID) {
				drop = append(drop, fmt.Sprintf("#o[%d]", i))
			} else {
				kept++
			}
		}
		if len(drop) == 0 {
			return nil
		}
		names := map[string]string{"#o": AttrOutbox, "#v": "version"}
		if kept == 0 {
			drop = []string{"#o"}
			if !r.WaitsForMangopay() {
				drop = append(drop, "#rb", "#ra")
				names["#rb"], names["#ra"] = AttrRecheckBucket, AttrRecheckAt
			}
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.table),
			Key:                      pkKey(id),
			UpdateExpression:         aws.String("REMOVE " + strings.Join(drop, ", ")),
			ConditionExpression:      aws.String("#v = :v AND attribute_exists(#o) AND size(#o) = :n"),
			ExpressionAttributeNames: names,
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":v": numberAV(r.Version), ":n": numberAV(int64(len(r.Outbox)))},
		})
		if err == nil {
			return nil
		}
		if !isConditionFailed(err) {
			return fmt.Errorf("records: clear outbox of %s: %w", id, err)
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("records: clear outbox of %s: gave up after %d attempts: %w", id, attempt, ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("records: clear outbox of %s: %w", id, err)
		}
	}
}

// outboxCondition is the part of a write's condition that checks the
// Outbox is still as read (see ClearOutbox).
func outboxCondition(read *Record, names map[string]string, values map[string]types.AttributeValue) string {
	names["#o"] = AttrOutbox
	if len(read.Outbox) == 0 {
		return "attribute_not_exists(#o)"
	}
	values[":n"] = numberAV(int64(len(read.Outbox)))
	return "attribute_exists(#o) AND size(#o) = :n"
}
