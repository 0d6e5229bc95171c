package records

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Re-check buckets: the hash keys of the by_recheck index.
const (
	BucketDocument    = "DOCUMENT"    // KYC documents in VALIDATION_ASKED
	BucketTransaction = "TRANSACTION" // pay-ins, payouts, ... in CREATED
	BucketOther       = "OTHER"       // any other record still PENDING
	// BucketPending holds transactions whose create was cut short
	// (SyncPending): they must be settled while Mangopay still remembers
	// their Idempotency-Key (24 h), so they are swept every hour of every
	// day, not on the weekday calendar.
	BucketPending = "PENDING"
)

// RecheckBucket returns the by_recheck bucket of a kind, for a record
// Mangopay has answered; see (*Record).RecheckBucket.
func RecheckBucket(k Kind) string {
	switch {
	case k == KindDocument:
		return BucketDocument
	case k.IsTransaction():
		return BucketTransaction
	}
	return BucketOther
}

// RecheckBucket returns the by_recheck bucket the record belongs in: a
// transaction still PENDING is in BucketPending, any other record in its
// kind's bucket.
func (r *Record) RecheckBucket() string {
	if r.Kind.IsTransaction() && r.SyncState == SyncPending {
		return BucketPending
	}
	return RecheckBucket(r.Kind)
}

// NeedsPolling reports whether the record still waits for Mangopay: we
// have no answer yet (SyncPending, e.g. the call was cut short), or
// Mangopay's answer is provisional: a document in VALIDATION_ASKED, a
// transaction in CREATED (3DS, payout processing, SCA).
//
// A record whose Outbox still holds events also needs polling: it stays in
// the re-check index until they are published.
func (r *Record) NeedsPolling() bool {
	return len(r.Outbox) > 0 || r.WaitsForMangopay()
}

// WaitsForMangopay is NeedsPolling without the Outbox: the record itself
// waits for Mangopay (a re-check polls it), whatever is left to publish.
func (r *Record) WaitsForMangopay() bool {
	switch {
	case r.SyncState == SyncPending:
		return true
	case r.SyncState == SyncFailed:
		return false
	case r.Kind == KindDocument:
		return r.Status == "VALIDATION_ASKED"
	case r.Kind.IsTransaction():
		return r.Status == "CREATED"
	}
	return false
}

// item is the stored form of a Record: the record's own attributes plus
// the derived index keys, present only when they apply (sparse indexes).
type item struct {
	Record
	IdxOwner         string `dynamodbav:"owner,omitempty"`
	IdxOwnerSort     string `dynamodbav:"owner_sort,omitempty"`
	IdxParent        string `dynamodbav:"parent,omitempty"`
	IdxRecheckBucket string `dynamodbav:"recheck_bucket,omitempty"`
	IdxRecheckAt     int64  `dynamodbav:"recheck_at,omitempty"`
}

// sortTime is a fixed-width UTC time, so that strings sort like times.
const sortTime = "2006-01-02T15:04:05.000000000Z"

// ownerKey is the by_owner hash key: a page is listed under its document,
// every other record under its owner.
func ownerKey(r *Record) string {
	if r.Kind == KindPage {
		return r.ParentID
	}
	return r.OwnerRef
}

// ListedByParent are the kinds in the by_parent index: the ones some
// operation lists by parent (a transaction's refunds, a user's
// documents). Other kinds stay out: every item in an index with projection
// ALL is one more write and its storage again.
var listedByParent = []Kind{KindRefund, KindDocument}

// ListedByParent reports whether records of kind k are in by_parent.
func ListedByParent(k Kind) bool { return slices.Contains(listedByParent, k) }

// parentKey is the by_parent hash key: the ParentID of a kind listed by
// parent, else "" (not in the index).
func parentKey(r *Record) string {
	if ListedByParent(r.Kind) {
		return r.ParentID
	}
	return ""
}

func toItem(r *Record) (map[string]types.AttributeValue, error) {
	it := item{
		Record:       *r,
		IdxOwner:     ownerKey(r),
		IdxOwnerSort: string(r.Kind) + "#" + r.CreatedAt.UTC().Format(sortTime) + "#" + r.ID,
		IdxParent:    parentKey(r), // omitted when empty: by_parent is sparse
	}
	if r.RecheckAt != nil {
		it.IdxRecheckBucket = r.RecheckBucket()
		it.IdxRecheckAt = r.RecheckAt.Unix()
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("records: encode %s: %w", r.ID, err)
	}
	return av, nil
}

func fromItem(av map[string]types.AttributeValue) (*Record, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("records: decode item: %w", err)
	}
	r := it.Record
	if it.IdxRecheckBucket != "" {
		t := time.Unix(it.IdxRecheckAt, 0).UTC()
		r.RecheckAt = &t
	}
	return &r, nil
}

// normalize prepares a record for writing: times in UTC, the re-check
// time dropped once the record no longer needs polling, and the raw
// payload redacted.
func normalize(r *Record) error {
	r.CreatedAt = r.CreatedAt.UTC()
	r.UpdatedAt = r.UpdatedAt.UTC()
	if r.RecheckAt != nil {
		if r.NeedsPolling() {
			t := r.RecheckAt.UTC().Truncate(time.Second)
			r.RecheckAt = &t
		} else {
			r.RecheckAt = nil
		}
	}
	raw, err := RedactRaw(r.Raw)
	if err != nil {
		return fmt.Errorf("%w: %s: raw payload: %v", ErrInvalid, r.ID, err)
	}
	r.Raw = raw
	return nil
}

// validate checks what every record needs before it is written.
func validate(r *Record) error {
	switch {
	case !r.Kind.Valid():
		return fmt.Errorf("%w: unknown kind %q", ErrInvalid, r.Kind)
	case r.OwnerRef == "":
		return fmt.Errorf("%w: %s record without an owner reference", ErrInvalid, r.Kind)
	case r.Kind == KindPage && r.ParentID == "":
		return fmt.Errorf("%w: a page record needs its document's id in ParentID", ErrInvalid)
	}
	switch r.SyncState {
	case SyncPending, SyncSynced, SyncFailed:
	default:
		return fmt.Errorf("%w: sync state %q", ErrInvalid, r.SyncState)
	}
	if k, ok := KindOfID(r.ID); !ok || k != r.Kind {
		return fmt.Errorf("%w: id %q is not a %s id", ErrInvalid, r.ID, r.Kind)
	}
	return nil
}
