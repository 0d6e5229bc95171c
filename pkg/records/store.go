package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the part of the DynamoDB client the Store uses; *dynamodb.Client
// implements it.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store reads and writes records, idempotency entries and hook
// notifications in one DynamoDB table laid out as in Schema. It is safe
// for concurrent use and knows nothing of Lambda or HTTP.
type Store struct {
	db          API
	table       string
	now         func() time.Time
	ids         *IDGenerator
	maxAttempts int
	idemTTL     time.Duration
	idemLease   time.Duration
	hookTTL     time.Duration
	afterWrite  func(context.Context, *Record)
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for timestamps, ids, TTLs and leases.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithMaxAttempts bounds the read-modify-write attempts of Update
// (default 25).
func WithMaxAttempts(n int) Option { return func(s *Store) { s.maxAttempts = max(n, 1) } }

// WithIdempotencyTTL sets how long idempotency entries are kept (default
// 24 h, like Mangopay's keys).
func WithIdempotencyTTL(d time.Duration) Option { return func(s *Store) { s.idemTTL = d } }

// WithIdempotencyLease sets how long an in-progress idempotency entry
// blocks other callers before it is presumed abandoned (default 15 min,
// the longest a Lambda invocation can run).
func WithIdempotencyLease(d time.Duration) Option { return func(s *Store) { s.idemLease = d } }

// WithHookRetention sets how long hook notifications are kept for
// de-duplication (default 30 days; Mangopay retries for about 3 days).
func WithHookRetention(d time.Duration) Option { return func(s *Store) { s.hookTTL = d } }

// New returns a Store over the table named table.
func New(client API, table string, opts ...Option) *Store {
	s := &Store{
		db: client, table: table, now: time.Now, maxAttempts: 25,
		idemTTL: 24 * time.Hour, idemLease: 15 * time.Minute, hookTTL: 30 * 24 * time.Hour,
	}
	for _, o := range opts {
		o(s)
	}
	s.ids = NewIDGenerator(s.now)
	return s
}

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

// NewID returns a new, time-ordered id for a record of kind k.
func (s *Store) NewID(k Kind) string { return s.ids.New(k) }

func (s *Store) clock() time.Time { return s.now().UTC() }

// Create writes a new record and never overwrites: if the id is taken it
// returns ErrExists and the stored record is unchanged. It fills in r: the
// id when empty, CreatedAt and UpdatedAt, Version 1, and SyncState PENDING
// when unset.
func (s *Store) Create(ctx context.Context, r *Record) error {
	if r.ID == "" {
		r.ID = s.NewID(r.Kind)
	}
	if r.SyncState == "" {
		r.SyncState = SyncPending
	}
	r.CreatedAt = s.clock()
	r.UpdatedAt, r.Version = r.CreatedAt, 1
	if err := validate(r); err != nil {
		return err
	}
	s.stage(nil, r)
	if err := normalize(r); err != nil {
		return err
	}
	err := s.put(ctx, r, "attribute_not_exists(#pk)", map[string]string{"#pk": AttrPK}, nil)
	if isConditionFailed(err) {
		return fmt.Errorf("records: create %s: %w", r.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("records: create %s: %w", r.ID, err)
	}
	s.written(ctx, r)
	return nil
}

// put writes r with a condition. Each write carries a fresh write id: if
// the SDK retries a PutItem whose first attempt was written but whose
// answer was lost, the retry fails its condition on our own item, which
// the write id recognises as success (else a create would report
// ErrExists, and an update re-apply its change, for our own write).
func (s *Store) put(ctx context.Context, r *Record, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	av, err := toItem(r)
	if err != nil {
		return err
	}
	wid := newToken()
	av[attrWriteID] = stringAV(wid)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                av,
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if held, ok := ccf.Item[attrWriteID].(*types.AttributeValueMemberS); ok && held.Value == wid {
			return nil
		}
	}
	return err
}

// attrWriteID holds the id of the write that produced an item (see put).
const attrWriteID = "write_id"

// Get returns the record with our id, read consistently.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            pkKey(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("records: get %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("records: get %s: %w", id, ErrNotFound)
	}
	r, err := fromItem(out.Item)
	if err != nil {
		return nil, err
	}
	if !r.Kind.Valid() {
		return nil, fmt.Errorf("records: get %s: not a record: %w", id, ErrNotFound)
	}
	return r, nil
}

// GetMany reads the records with these ids, consistently, in one
// BatchGetItem (plus one more for any keys DynamoDB leaves unprocessed).
// The answer maps each id found to its record; an id with no record (or
// an item that is not a record) is absent from it. Duplicate and empty
// ids are ignored; at most 100 distinct ids.
func (s *Store) GetMany(ctx context.Context, ids ...string) (map[string]*Record, error) {
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			keys = append(keys, pkKey(id))
		}
	}
	if len(keys) > 100 {
		return nil, fmt.Errorf("%w: GetMany of %d ids exceeds 100", ErrInvalid, len(keys))
	}
	out := make(map[string]*Record, len(keys))
	for attempt := 1; len(keys) > 0; attempt++ {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			s.table: {Keys: keys, ConsistentRead: aws.Bool(true)},
		}})
		if err != nil {
			return nil, fmt.Errorf("records: get %d records: %w", len(keys), err)
		}
		for _, item := range res.Responses[s.table] {
			r, err := fromItem(item)
			if err != nil {
				return nil, err
			}
			if r.Kind.Valid() {
				out[r.ID] = r
			}
		}
		keys = res.UnprocessedKeys[s.table].Keys
		if len(keys) == 0 {
			break
		}
		if attempt >= s.maxAttempts {
			return nil, fmt.Errorf("records: get %d records: still unprocessed after %d attempts: %w", len(keys), attempt, ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, fmt.Errorf("records: get %d records: %w", len(keys), err)
		}
	}
	return out, nil
}

func pkKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: pk}}
}

// GetByMangopayID returns the record that mirrors the Mangopay object with
// this id (hooks name objects by Mangopay id). The index is eventually
// consistent: to change the record, pass its ID to Update, which re-reads.
func (s *Store) GetByMangopayID(ctx context.Context, mpID string) (*Record, error) {
	if mpID == "" {
		return nil, fmt.Errorf("%w: empty Mangopay id", ErrInvalid)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IndexByMangopayID),
		KeyConditionExpression:    aws.String("#k = :v"),
		ExpressionAttributeNames:  map[string]string{"#k": AttrMangopayID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: mpID}},
		Limit:                     aws.Int32(2),
	})
	if err != nil {
		return nil, fmt.Errorf("records: get by Mangopay id %s: %w", mpID, err)
	}
	switch len(out.Items) {
	case 0:
		return nil, fmt.Errorf("records: get by Mangopay id %s: %w", mpID, ErrNotFound)
	case 1:
		return fromItem(out.Items[0])
	}
	return nil, fmt.Errorf("records: get by Mangopay id %s: %w", mpID, ErrAmbiguous)
}

// Update changes a record with optimistic locking: it reads the record,
// applies fn, and writes it only if the version is still the one read;
// if another writer got there first it reads again and re-applies fn, up
// to the Store's attempt bound (then ErrConflict). fn must therefore be
// safe to call more than once, and must not change ID, Kind, CreatedAt or
// Version. If fn returns ErrNoChange nothing is written and the record as
// read is returned; any other error from fn ends the update with it.
func (s *Store) Update(ctx context.Context, id string, fn func(*Record) error) (*Record, error) {
	for attempt := 1; ; attempt++ {
		r, done, err := s.tryUpdate(ctx, id, fn)
		if done || err != nil {
			return r, err
		}
		if attempt >= s.maxAttempts {
			return nil, fmt.Errorf("records: update %s: gave up after %d attempts: %w", id, attempt, ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, fmt.Errorf("records: update %s: %w", id, err)
		}
	}
}

// UpdateFrom is Update starting from cur, a record the caller has just
// read or written: the first attempt skips the read. On a conflict it
// falls back to Update, which re-reads and re-applies fn.
func (s *Store) UpdateFrom(ctx context.Context, cur *Record, fn func(*Record) error) (*Record, error) {
	r, done, err := s.apply(ctx, cur, fn)
	if done || err != nil {
		return r, err
	}
	return s.Update(ctx, cur.ID, fn)
}

// tryUpdate makes one read-modify-write attempt; done is false when the
// conditional write lost to another writer.
func (s *Store) tryUpdate(ctx context.Context, id string, fn func(*Record) error) (*Record, bool, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return nil, true, err
	}
	return s.apply(ctx, cur, fn)
}

// apply writes fn's change to a copy of cur, conditional on cur's version;
// done is false when another writer changed the record first.
func (s *Store) apply(ctx context.Context, in *Record, fn func(*Record) error) (*Record, bool, error) {
	id := in.ID
	read := *in
	cur, err := clone(in)
	if err != nil {
		return nil, true, err
	}
	if err := fn(cur); errors.Is(err, ErrNoChange) {
		return &read, true, nil
	} else if err != nil {
		return nil, true, fmt.Errorf("records: update %s: %w", id, err)
	}
	if cur.ID != read.ID || cur.Kind != read.Kind || !cur.CreatedAt.Equal(read.CreatedAt) || cur.Version != read.Version {
		return nil, true, fmt.Errorf("%w: update %s changed its id, kind, creation time or version", ErrInvalid, id)
	}
	cur.Version, cur.UpdatedAt = read.Version+1, s.clock()
	if err := validate(cur); err != nil {
		return nil, true, err
	}
	// The events are decided here, in the write that changes the status.
	cur.Outbox = slices.Clone(read.Outbox)
	s.stage(&read, cur)
	if err := normalize(cur); err != nil {
		return nil, true, err
	}
	names := map[string]string{"#v": "version"}
	values := map[string]types.AttributeValue{":v": numberAV(read.Version)}
	cond := "#v = :v AND " + outboxCondition(&read, names, values)
	err = s.put(ctx, cur, cond, names, values)
	if isConditionFailed(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("records: update %s: %w", id, err)
	}
	s.written(ctx, cur)
	return cur, true, nil
}

// clone deep-copies r, so that fn's changes never leak into the caller's
// copy when a write loses and is retried.
func clone(r *Record) (*Record, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("records: copy %s: %w", r.ID, err)
	}
	var c Record
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("records: copy %s: %w", r.ID, err)
	}
	return &c, nil
}

func numberAV(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// backoff waits a random time growing with attempt (full jitter, capped at
// 100 ms) so that competing writers spread out.
func backoff(ctx context.Context, attempt int) error {
	ceiling := min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
