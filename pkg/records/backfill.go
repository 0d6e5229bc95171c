package records

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BackfillAPI is the part of the DynamoDB client BackfillParent uses;
// *dynamodb.Client implements it. The Store's API has no Scan on purpose:
// no request path scans the table.
type BackfillAPI interface {
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// BackfillStats is what BackfillParent did.
type BackfillStats struct {
	// Scanned is the number of items the scan read (the whole table).
	Scanned int
	// Missing is the number of records found with a ParentID but no
	// AttrParent, i.e. absent from by_parent.
	Missing int
	// Updated is the number of those given AttrParent (0 on a dry run).
	Updated int
	// Skipped is the number of those changed or deleted meanwhile (the
	// conditional write failed): a record rewritten by the Store already
	// carries AttrParent.
	Skipped int
}

// BackfillParent gives AttrParent to every record written before the
// by_parent index existed (records of a kind listed by parent, with a
// ParentID and no AttrParent), so
// that ListByParent lists them. It is a one-off migration, run once after
// the deployment that adds by_parent (cmd/backfill-parent): it scans the
// whole table, once, and never runs on a request path. Each update sets
// only AttrParent (from the record's own ParentID), on the condition that
// the item still has that ParentID and no AttrParent; the record's
// version and content are unchanged. Running it again is harmless: it
// finds nothing left to do. With dryRun it only counts.
func BackfillParent(ctx context.Context, db BackfillAPI, table string, dryRun bool) (BackfillStats, error) {
	var st BackfillStats
	kinds, values := make([]string, len(listedByParent)), map[string]types.AttributeValue{}
	for i, k := range listedByParent {
		kinds[i] = fmt.Sprintf(":k%d", i)
		values[kinds[i]] = stringAV(string(k))
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("attribute_exists(#pid) AND attribute_not_exists(#parent) AND #kind IN (" + strings.Join(kinds, ", ") + ")"),
		ProjectionExpression:      aws.String("#pk, #pid"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#pid": attrParentID, "#parent": AttrParent, "#kind": "kind"},
		ExpressionAttributeValues: values,
	}
	for {
		out, err := db.Scan(ctx, in)
		if err != nil {
			return st, fmt.Errorf("records: backfill %s: scan: %w", AttrParent, err)
		}
		st.Scanned += int(out.ScannedCount)
		for _, item := range out.Items {
			pk, okPK := item[AttrPK].(*types.AttributeValueMemberS)
			pid, okPID := item[attrParentID].(*types.AttributeValueMemberS)
			if !okPK || !okPID || pid.Value == "" {
				continue // not a record's ParentID (every record's is a string)
			}
			st.Missing++
			if dryRun {
				continue
			}
			updated, err := setParent(ctx, db, table, pk.Value, pid.Value)
			if err != nil {
				return st, err
			}
			if updated {
				st.Updated++
			} else {
				st.Skipped++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return st, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// attrParentID is where a record keeps its ParentID (Record's dynamodbav
// tag).
const attrParentID = "parent_id"

// setParent sets AttrParent of the item pk to parentID, unless the item
// changed since it was scanned; updated is false then.
func setParent(ctx context.Context, db BackfillAPI, table, pk, parentID string) (updated bool, err error) {
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       pkKey(pk),
		UpdateExpression:          aws.String("SET #parent = :p"),
		ConditionExpression:       aws.String("#pid = :p AND attribute_not_exists(#parent)"),
		ExpressionAttributeNames:  map[string]string{"#pid": attrParentID, "#parent": AttrParent},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": stringAV(parentID)},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("records: backfill %s of %s: %w", AttrParent, pk, err)
	}
	return true, nil
}
