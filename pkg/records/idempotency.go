package records

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// IdemState is the answer BeginIdempotent gives.
type IdemState string

// Answers of BeginIdempotent.
const (
	// IdemNew: the caller holds the key and must run the request, then call
	// CompleteIdempotent (or ReleaseIdempotent if it may be retried).
	IdemNew IdemState = "NEW"
	// IdemInProgress: another caller holds the key and is still running
	// the same request; do not run it again (answer e.g. 409, retry later).
	IdemInProgress IdemState = "IN_PROGRESS"
	// IdemDone: the same request already ran; replay Response and Status.
	IdemDone IdemState = "DONE"
	// IdemConflict: the key was used for a different request.
	IdemConflict IdemState = "CONFLICT"
)

// MaxIdemResponse bounds the stored response, well below DynamoDB's item
// limit of 400 KB.
const MaxIdemResponse = 350 << 10

// IdemAnswer is the outcome of BeginIdempotent.
type IdemAnswer struct {
	State IdemState
	// Token proves ownership of a NEW claim: pass it to CompleteIdempotent
	// or ReleaseIdempotent.
	Token string
	// Resumed is true for a NEW claim taken over from a caller whose lease
	// ran out (it probably died): its request may have partly run, so go on
	// with the same Subject.
	Resumed bool
	// Subject is what the claim is about, typically the id of the record
	// the request creates: the caller's own for a fresh claim, the first
	// caller's for a takeover, an IN_PROGRESS or a DONE entry.
	Subject string
	// Response and Status are the stored answer of a DONE entry.
	Response []byte
	Status   int
	// LeaseUntil is when an IN_PROGRESS claim will be presumed abandoned.
	LeaseUntil time.Time
	// ExpiresAt is when the entry is forgotten (DynamoDB TTL).
	ExpiresAt time.Time
}

// idemEntry is the stored form of an idempotency entry.
type idemEntry struct {
	PK          string    `dynamodbav:"pk"`
	Kind        string    `dynamodbav:"kind"`
	Scope       string    `dynamodbav:"scope"`
	Key         string    `dynamodbav:"idem_key"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	State       IdemState `dynamodbav:"state"`
	Token       string    `dynamodbav:"token,omitempty"`
	Subject     string    `dynamodbav:"subject,omitempty"`
	Response    []byte    `dynamodbav:"response,omitempty"`
	Status      int       `dynamodbav:"status,omitempty"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	LeaseUntil  int64     `dynamodbav:"lease_until,omitempty"`
	ExpiresAt   int64     `dynamodbav:"expires_at"`
}

const idemKind = "IDEMPOTENCY"

// IdemPK returns the table key of the idempotency entry for scope and key.
func IdemPK(scope, key string) string { return "idem#" + scope + "#" + key }

// Fingerprint hashes the parts that identify a request (e.g. method, path
// and body) into the value BeginIdempotent compares.
func Fingerprint(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":"))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func checkIdemKey(scope, key string) error {
	if scope == "" || strings.Contains(scope, "#") || key == "" || len(key) > 255 {
		return fmt.Errorf("%w: idempotency scope %q must be non-empty without '#', key 1 to 255 characters", ErrInvalid, scope)
	}
	return nil
}

// IdemLeaseMargin is added to the caller's deadline to bound a claim's
// lease (see BeginIdempotent): room for clock skew between hosts.
const IdemLeaseMargin = 5 * time.Second

// lease is how long a claim taken now blocks other callers: the Store's
// lease, or less when ctx has a deadline: a Lambda invocation is stopped
// at its deadline, so a claim it still holds then was abandoned (it died
// or timed out) and its request can be resumed by the next delivery.
func (s *Store) lease(ctx context.Context) time.Duration {
	d := s.idemLease
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, max(time.Until(dl), 0)+IdemLeaseMargin)
	}
	return d
}

// BeginIdempotent claims scope/key for a request with this fingerprint, in
// one conditional write, recording subject (e.g. the id of the record the
// request will create). It answers NEW (the caller runs the request), or
// IN_PROGRESS, DONE or CONFLICT (see IdemState). An entry past its expiry
// counts as absent even before DynamoDB's TTL deletes it. An IN_PROGRESS
// entry whose lease ran out is taken over by a caller with the same
// fingerprint: NEW with Resumed, and the first caller's Subject. The lease
// ends with ctx's deadline (plus IdemLeaseMargin) when it has one.
func (s *Store) BeginIdempotent(ctx context.Context, scope, key, fingerprint, subject string) (IdemAnswer, error) {
	if err := checkIdemKey(scope, key); err != nil {
		return IdemAnswer{}, err
	}
	now := s.clock()
	e := idemEntry{
		PK: IdemPK(scope, key), Kind: idemKind, Scope: scope, Key: key, Fingerprint: fingerprint,
		State: IdemInProgress, Token: newToken(), Subject: subject, CreatedAt: now,
		LeaseUntil: now.Add(s.lease(ctx)).Unix(), ExpiresAt: now.Add(s.idemTTL).Unix(),
	}
	held, err := s.claim(ctx, e, now)
	if err == nil {
		return IdemAnswer{State: IdemNew, Token: e.Token, Subject: subject, ExpiresAt: time.Unix(e.ExpiresAt, 0).UTC()}, nil
	}
	if !errors.Is(err, ErrExists) {
		return IdemAnswer{}, err
	}
	if held.State == IdemInProgress && held.Fingerprint == fingerprint && held.LeaseUntil <= now.Unix() {
		return s.takeOver(ctx, held, now)
	}
	return answerFor(held, fingerprint), nil
}

// claim writes e unless a live entry holds the key; then it returns
// ErrExists with that entry.
func (s *Store) claim(ctx context.Context, e idemEntry, now time.Time) (*idemEntry, error) {
	av, err := attributevalue.MarshalMap(e)
	if err != nil {
		return nil, fmt.Errorf("records: encode idempotency entry: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                av,
		ConditionExpression:                 aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK, "#exp": AttrExpiresAt},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": numberAV(now.Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, fmt.Errorf("records: claim idempotency key %s: %w", e.PK, err)
	}
	held, derr := s.heldEntry(ctx, e.PK, ccf.Item)
	if derr != nil {
		return nil, derr
	}
	if held.Token == e.Token {
		// Our own write: the SDK retried the PutItem after a first attempt
		// that succeeded but whose answer was lost. The claim is ours.
		return nil, nil
	}
	return held, fmt.Errorf("records: idempotency key %s: %w", e.PK, ErrExists)
}

// takeOver claims an abandoned IN_PROGRESS entry by replacing its token
// and lease, keeping its subject. If another caller got there first, the
// answer is for the entry as it now stands.
func (s *Store) takeOver(ctx context.Context, held *idemEntry, now time.Time) (IdemAnswer, error) {
	tok := newToken()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      pkKey(held.PK),
		UpdateExpression:         aws.String("SET #tok = :new, #lease = :lease"),
		ConditionExpression:      aws.String("#st = :inprog AND #tok = :old"),
		ExpressionAttributeNames: map[string]string{"#tok": "token", "#lease": "lease_until", "#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": stringAV(tok), ":old": stringAV(held.Token), ":inprog": stringAV(string(IdemInProgress)),
			":lease": numberAV(now.Add(s.lease(ctx)).Unix()),
		},
	})
	if err == nil {
		return IdemAnswer{State: IdemNew, Token: tok, Resumed: true, Subject: held.Subject,
			ExpiresAt: time.Unix(held.ExpiresAt, 0).UTC()}, nil
	}
	if !isConditionFailed(err) {
		return IdemAnswer{}, fmt.Errorf("records: take over idempotency key %s: %w", held.PK, err)
	}
	cur, err := s.heldEntry(ctx, held.PK, nil)
	if err != nil {
		return IdemAnswer{}, err
	}
	return answerFor(cur, held.Fingerprint), nil
}

// heldEntry decodes the entry returned with a failed condition, or reads
// it when the server did not return it.
func (s *Store) heldEntry(ctx context.Context, pk string, item map[string]types.AttributeValue) (*idemEntry, error) {
	if len(item) == 0 {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table), Key: pkKey(pk), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("records: read idempotency key %s: %w", pk, err)
		}
		item = out.Item
	}
	e, err := decodeIdem(item)
	if err == nil && e == nil {
		err = fmt.Errorf("records: idempotency key %s vanished during the claim: %w", pk, ErrConflict)
	}
	return e, err
}

func decodeIdem(av map[string]types.AttributeValue) (*idemEntry, error) {
	if len(av) == 0 {
		return nil, nil
	}
	var e idemEntry
	if err := attributevalue.UnmarshalMap(av, &e); err != nil {
		return nil, fmt.Errorf("records: decode idempotency entry: %w", err)
	}
	return &e, nil
}

// answerFor turns the entry holding a key into the answer for a caller
// with this fingerprint.
func answerFor(e *idemEntry, fingerprint string) IdemAnswer {
	a := IdemAnswer{ExpiresAt: time.Unix(e.ExpiresAt, 0).UTC()}
	switch {
	case e.Fingerprint != fingerprint:
		a.State = IdemConflict
		return a
	case e.State == IdemDone:
		a.State, a.Response, a.Status = IdemDone, e.Response, e.Status
	default:
		a.State, a.LeaseUntil = IdemInProgress, time.Unix(e.LeaseUntil, 0).UTC()
	}
	a.Subject = e.Subject
	return a
}

// CompleteIdempotent stores the response of the request that claimed
// scope/key with token; later callers with the same request get it back.
// The entry's expiry restarts from now. It returns ErrConflict if the
// claim is no longer the caller's (its lease ran out and was taken over).
func (s *Store) CompleteIdempotent(ctx context.Context, scope, key, token string, response []byte, status int) error {
	if len(response) > MaxIdemResponse {
		return fmt.Errorf("%w: idempotent response of %d bytes exceeds %d", ErrInvalid, len(response), MaxIdemResponse)
	}
	now := s.clock()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 pkKey(IdemPK(scope, key)),
		UpdateExpression:    aws.String("SET #st = :done, #resp = :resp, #code = :code, #exp = :exp REMOVE #lease, #tok"),
		ConditionExpression: aws.String("#st = :inprog AND #tok = :tok"),
		ExpressionAttributeNames: map[string]string{
			"#st": "state", "#resp": "response", "#code": "status", "#exp": AttrExpiresAt,
			"#lease": "lease_until", "#tok": "token",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done": stringAV(string(IdemDone)), ":inprog": stringAV(string(IdemInProgress)),
			":resp": &types.AttributeValueMemberB{Value: nonNil(response)}, ":code": numberAV(int64(status)),
			":exp": numberAV(now.Add(s.idemTTL).Unix()), ":tok": stringAV(token),
		},
	})
	return idemWriteErr("complete", scope, key, err)
}

// ReleaseIdempotent gives up the claim scope/key held with token after a
// failure that is safe to retry: the next caller with the same request
// takes it over at once (NEW, Resumed) and gets the same Subject, so a
// retry continues the same record, with the same Mangopay idempotency key,
// rather than starting a second one. ErrConflict if the claim is not held.
func (s *Store) ReleaseIdempotent(ctx context.Context, scope, key, token string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       pkKey(IdemPK(scope, key)),
		UpdateExpression:          aws.String("SET #lease = :zero, #tok = :released"),
		ConditionExpression:       aws.String("#st = :inprog AND #tok = :tok"),
		ExpressionAttributeNames:  map[string]string{"#st": "state", "#tok": "token", "#lease": "lease_until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":inprog": stringAV(string(IdemInProgress)), ":tok": stringAV(token), ":zero": numberAV(0), ":released": stringAV(newToken())},
	})
	return idemWriteErr("release", scope, key, err)
}

func idemWriteErr(op, scope, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case isConditionFailed(err):
		return fmt.Errorf("records: %s idempotency key %s: not held by this caller: %w", op, IdemPK(scope, key), ErrConflict)
	}
	return fmt.Errorf("records: %s idempotency key %s: %w", op, IdemPK(scope, key), err)
}

// nonNil makes an empty response storable (DynamoDB refuses a nil binary).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func newToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("records: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}
