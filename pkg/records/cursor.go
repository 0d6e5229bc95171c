package records

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A cursor remembers how far a periodic job has read, e.g. the last
// Mangopay event time the reconciliation processed. It only moves forward.

// CursorPK returns the table key of the cursor called name.
func CursorPK(name string) string { return "cursor#" + name }

// GetCursor returns the cursor's time, or ErrNotFound if it was never set.
func (s *Store) GetCursor(ctx context.Context, name string) (time.Time, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: pkKey(CursorPK(name)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("records: read cursor %s: %w", name, err)
	}
	v, ok := out.Item["at"].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, fmt.Errorf("records: cursor %s: %w", name, ErrNotFound)
	}
	sec, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("records: cursor %s holds %q: %w", name, v.Value, ErrInvalid)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// SetCursor moves the cursor to at (Unix seconds). It never moves it
// back: a run that finishes after a later one leaves the later value, and
// gets ErrConflict.
func (s *Store) SetCursor(ctx context.Context, name string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       pkKey(CursorPK(name)),
		UpdateExpression:          aws.String("SET #at = :at, #kind = :kind"),
		ConditionExpression:       aws.String("attribute_not_exists(#at) OR #at <= :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at", "#kind": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": numberAV(at.Unix()), ":kind": stringAV("CURSOR")},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("records: cursor %s is already past %s: %w", name, at.UTC().Format(time.RFC3339), ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("records: set cursor %s: %w", name, err)
	}
	return nil
}
