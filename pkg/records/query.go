package records

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Page sizes for the list queries.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// ListByOwner returns one page of the records of ownerRef (the external
// user id; for pages, the document's record id) of one kind, oldest first,
// or of every kind (grouped by kind) when kind is "". Pass the returned
// token to get the next page; it is "" after the last page. limit <= 0
// means DefaultPageSize. The index is eventually consistent.
func (s *Store) ListByOwner(ctx context.Context, ownerRef string, kind Kind, limit int, pageToken string) ([]Record, string, error) {
	if ownerRef == "" {
		return nil, "", fmt.Errorf("%w: empty owner reference", ErrInvalid)
	}
	recs, next, err := s.listByKind(ctx, IndexByOwner, AttrOwner, ownerRef, kind, limit, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("records: list %s of %s: %w", kind, ownerRef, err)
	}
	return recs, next, nil
}

// ListByParent returns one page of the records whose ParentID is parentID
// (our record id: a transaction's refunds, a user's documents) of one
// kind listed by parent (see ListedByParent; another kind is ErrInvalid),
// oldest first, or of every such kind (grouped by kind) when kind is "".
// It reads the sparse by_parent index, so its cost follows the number of
// that parent's records, not the owner's. Paging is as in ListByOwner;
// the index is eventually consistent. Records written before by_parent
// existed are listed only once BackfillParent has run.
func (s *Store) ListByParent(ctx context.Context, parentID string, kind Kind, limit int, pageToken string) ([]Record, string, error) {
	if parentID == "" {
		return nil, "", fmt.Errorf("%w: empty parent id", ErrInvalid)
	}
	if kind != "" && !ListedByParent(kind) {
		return nil, "", fmt.Errorf("%w: %s records are not listed by parent (only %v)", ErrInvalid, kind, listedByParent)
	}
	recs, next, err := s.listByKind(ctx, IndexByParent, AttrParent, parentID, kind, limit, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("records: list %s of parent %s: %w", kind, parentID, err)
	}
	return recs, next, nil
}

// listByKind runs one page of a query on an index whose range key is
// AttrOwnerSort: the items whose hashAttr is hashValue, restricted to one
// kind (begins_with "<KIND>#") unless kind is "".
func (s *Store) listByKind(ctx context.Context, index, hashAttr, hashValue string, kind Kind, limit int, pageToken string) ([]Record, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#h = :h"),
		ExpressionAttributeNames:  map[string]string{"#h": hashAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": stringAV(hashValue)},
		Limit:                     aws.Int32(pageSize(limit)),
	}
	if kind != "" {
		in.KeyConditionExpression = aws.String("#h = :h AND begins_with(#s, :k)")
		in.ExpressionAttributeNames["#s"] = AttrOwnerSort
		in.ExpressionAttributeValues[":k"] = stringAV(string(kind) + "#")
	}
	res, err := s.query(ctx, in, pageToken, hashAttr, hashValue)
	if err != nil {
		return nil, "", err
	}
	return res.Records, res.Next, nil
}

// DuePage is one page of records due for a re-check, with what the query
// cost: ScannedCount items were read to return Count of them.
type DuePage struct {
	Records      []Record
	Next         string // token for the next page, "" after the last
	ScannedCount int32
	Count        int32
	// ReadCapacity is the capacity the query consumed, when the server
	// reports it.
	ReadCapacity float64
}

// DueForRecheck returns the records of a re-check bucket (BucketDocument,
// BucketTransaction, BucketPending, BucketOther) whose RecheckAt is at or before now,
// most overdue first. It reads the sparse by_recheck index, which holds
// only the records that need polling, so its cost follows the number of
// pending records and not the size of the table.
func (s *Store) DueForRecheck(ctx context.Context, bucket string, now time.Time, limit int, pageToken string) (DuePage, error) {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(IndexByRecheck),
		KeyConditionExpression:   aws.String("#b = :b AND #t <= :t"),
		ExpressionAttributeNames: map[string]string{"#b": AttrRecheckBucket, "#t": AttrRecheckAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b": stringAV(bucket), ":t": numberAV(now.Unix()),
		},
		Limit:                  aws.Int32(pageSize(limit)),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	res, err := s.query(ctx, in, pageToken, AttrRecheckBucket, bucket)
	if err != nil {
		return DuePage{}, fmt.Errorf("records: due for re-check in %s: %w", bucket, err)
	}
	return res, nil
}

func pageSize(limit int) int32 {
	if limit <= 0 {
		return DefaultPageSize
	}
	return int32(min(limit, MaxPageSize))
}

// query runs one page of a query. The page token must come from the same
// query: its hash-key attribute must hold hashValue.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, token, hashAttr, hashValue string) (DuePage, error) {
	start, err := decodeToken(token, hashAttr, hashValue)
	if err != nil {
		return DuePage{}, err
	}
	in.ExclusiveStartKey = start
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return DuePage{}, err
	}
	page := DuePage{ScannedCount: out.ScannedCount, Count: out.Count}
	if out.ConsumedCapacity != nil {
		page.ReadCapacity = aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
	}
	for _, av := range out.Items {
		r, err := fromItem(av)
		if err != nil {
			return DuePage{}, err
		}
		page.Records = append(page.Records, *r)
	}
	page.Next, err = encodeToken(out.LastEvaluatedKey)
	return page, err
}

func stringAV(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// tokenKey is the JSON form of one key attribute in a page token.
type tokenKey struct {
	S string `json:"s,omitempty"`
	N string `json:"n,omitempty"`
}

// encodeToken turns a LastEvaluatedKey into an opaque page token.
func encodeToken(key map[string]types.AttributeValue) (string, error) {
	if len(key) == 0 {
		return "", nil
	}
	m := make(map[string]tokenKey, len(key))
	for k, v := range key {
		switch t := v.(type) {
		case *types.AttributeValueMemberS:
			m[k] = tokenKey{S: t.Value}
		case *types.AttributeValueMemberN:
			m[k] = tokenKey{N: t.Value}
		default:
			return "", fmt.Errorf("records: unexpected key attribute type %T in %s", v, k)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeToken turns a page token back into an ExclusiveStartKey, checking
// that it belongs to the query (hashAttr holds hashValue).
func decodeToken(token, hashAttr, hashValue string) (map[string]types.AttributeValue, error) {
	if token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	var m map[string]tokenKey
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || m[hashAttr].S != hashValue || m[AttrPK].S == "" {
		return nil, fmt.Errorf("%w: page token does not belong to this query", ErrInvalid)
	}
	key := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		if v.N != "" {
			if _, err := strconv.ParseFloat(v.N, 64); err != nil {
				return nil, fmt.Errorf("%w: malformed page token", ErrInvalid)
			}
			key[k] = &types.AttributeValueMemberN{Value: v.N}
		} else {
			key[k] = stringAV(v.S)
		}
	}
	return key, nil
}
