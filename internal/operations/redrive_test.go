package operations_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// A payout message that failed at its last reception is dead-lettered
// with its request's identity (its Idempotency-Key and the record it
// wrote), so that a redrive days later, when the key's claim has expired,
// continues that record under the same Mangopay key instead of paying a
// second time.
func TestARedrivenPayoutContinuesItsRecord(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := newSeller(t, e, "seller-redrive")
	op := e.Deps.Service.CreatePayoutOp()
	msg := testenv.Message("m-redrive-1", payoutBody(s, 1500, 0), map[string]string{api.AttrIdempotencyKey: "payout-redrive-1"})
	msg.Attributes = map[string]string{"ApproximateReceiveCount": e.Vars["MAX_RECEIVE_COUNT"]} // its last reception

	// Mangopay makes the payout, but its answer is lost.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", DropAfterCommit: true})
	if out, err := api.SQS(op, e.Deps.API)(e.Ctx, events.SQSEvent{Records: []events.SQSMessage{msg}}); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("last reception: %+v %v (want it dead-lettered, not retried)", out, err)
	}
	e.Fake.ClearFaults()
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 1 || e.Fake.Count("payouts") != 1 {
		t.Fatalf("%d dead letters, %d payouts at Mangopay", len(dead), e.Fake.Count("payouts"))
	}
	attrs := func(k string) string { return aws.ToString(dead[0].MessageAttributes[k].StringValue) }
	rec := pendingPayout(t, e, s, 1500)
	if attrs(api.AttrIdempotencyKey) != "payout-redrive-1" || attrs(api.AttrRecordID) != rec.ID {
		t.Fatalf("dead letter attributes %v, want the key and record %s", dead[0].MessageAttributes, rec.ID)
	}

	// Days later the claim is gone (DynamoDB's TTL), and someone redrives.
	if _, err := dynamodb.NewFromConfig(e.AWS).DeleteItem(e.Ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.Vars["TABLE_NAME"]),
		Key: map[string]types.AttributeValue{records.AttrPK: &types.AttributeValueMemberS{Value: records.IdemPK("create-payout", "payout-redrive-1")}}}); err != nil {
		t.Fatal(err)
	}
	if out, err := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(dead...)); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("redrive: %+v %v", out, err)
	}
	if n := e.Fake.Count("payouts"); n != 1 {
		t.Fatalf("payouts at Mangopay = %d after the redrive, want 1", n)
	}
	recs := txRecords(t, e, s.user.OwnerRef, records.KindPayout)
	if len(recs) != 1 || recs[0].ID != rec.ID || recs[0].SyncState != records.SyncSynced {
		t.Fatalf("payout records after the redrive: %+v", recs)
	}
}
