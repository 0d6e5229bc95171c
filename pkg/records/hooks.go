package records

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// HookNotification is one call Mangopay made to our hook URL. Mangopay
// retries until it gets a 200, so the same notification can arrive
// several times; it is stored once, keyed by its three parameters.
type HookNotification struct {
	PK          string     `dynamodbav:"pk"`
	Kind        string     `dynamodbav:"kind"`
	EventType   string     `dynamodbav:"event_type"`
	RessourceID string     `dynamodbav:"ressource_id"`
	Date        time.Time  `dynamodbav:"date"` // Mangopay's Date parameter, UTC
	ReceivedAt  time.Time  `dynamodbav:"received_at"`
	ProcessedAt *time.Time `dynamodbav:"processed_at,omitempty"`
	// Outcome says what processing did, e.g. the record id updated.
	Outcome   string `dynamodbav:"outcome,omitempty"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

const hookKind = "HOOK"

// HookPK returns the table key of a hook notification.
func HookPK(eventType, ressourceID string, date time.Time) string {
	return "hook#" + eventType + "#" + ressourceID + "#" + strconv.FormatInt(date.Unix(), 10)
}

// SaveHookNotification records a notification unless it was received
// before. isNew is false for a repeat; the returned notification is then
// the stored one, whose ProcessedAt tells whether an earlier delivery was
// fully processed (if not, process it again: processing re-reads the
// object from Mangopay and is idempotent).
func (s *Store) SaveHookNotification(ctx context.Context, eventType, ressourceID string, date time.Time) (HookNotification, bool, error) {
	if eventType == "" {
		return HookNotification{}, false, fmt.Errorf("%w: hook notification without EventType", ErrInvalid)
	}
	now := s.clock()
	n := HookNotification{
		PK: HookPK(eventType, ressourceID, date), Kind: hookKind, EventType: eventType,
		RessourceID: ressourceID, Date: date.UTC(), ReceivedAt: now, ExpiresAt: now.Add(s.hookTTL).Unix(),
	}
	av, err := attributevalue.MarshalMap(n)
	if err != nil {
		return HookNotification{}, false, fmt.Errorf("records: encode hook notification: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                av,
		ConditionExpression:                 aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return n, true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return HookNotification{}, false, fmt.Errorf("records: save hook notification %s: %w", n.PK, err)
	}
	if len(ccf.Item) > 0 {
		var stored HookNotification
		if err := attributevalue.UnmarshalMap(ccf.Item, &stored); err == nil {
			return stored, false, nil
		}
	}
	stored, err := s.GetHookNotification(ctx, eventType, ressourceID, date)
	return stored, false, err
}

// GetHookNotification reads a stored notification.
func (s *Store) GetHookNotification(ctx context.Context, eventType, ressourceID string, date time.Time) (HookNotification, error) {
	pk := HookPK(eventType, ressourceID, date)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: pkKey(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return HookNotification{}, fmt.Errorf("records: get hook notification %s: %w", pk, err)
	}
	if out.Item == nil {
		return HookNotification{}, fmt.Errorf("records: get hook notification %s: %w", pk, ErrNotFound)
	}
	var n HookNotification
	if err := attributevalue.UnmarshalMap(out.Item, &n); err != nil {
		return HookNotification{}, fmt.Errorf("records: decode hook notification %s: %w", pk, err)
	}
	return n, nil
}

// MarkHookProcessed records that a notification was handled, with a short
// outcome (e.g. "updated pyo_01J..."). ErrNotFound if it was never saved.
func (s *Store) MarkHookProcessed(ctx context.Context, eventType, ressourceID string, date time.Time, outcome string) error {
	pk := HookPK(eventType, ressourceID, date)
	now, err := attributevalue.Marshal(s.clock())
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       pkKey(pk),
		UpdateExpression:          aws.String("SET #p = :now, #o = :o"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#p": "processed_at", "#o": "outcome", "#pk": AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": now, ":o": stringAV(outcome)},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("records: mark hook notification %s processed: %w", pk, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("records: mark hook notification %s processed: %w", pk, err)
	}
	return nil
}
