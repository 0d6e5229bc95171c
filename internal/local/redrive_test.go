package local

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// A message that fails on every reception (Mangopay answers 503 each
// time) is delivered again after the retry delay, as the event source
// mapping does, and on its last reception (the queue's maxReceiveCount)
// it lands in the function's dead-letter queue with its reason; nothing
// is created at Mangopay.
func TestQueueMessageEndsInItsDLQWithTheReason(t *testing.T) {
	dumpOnFailure(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := stack.Functions["create-natural-user"]
	if f == nil || len(f.Queues) != 1 || f.Env["DEAD_LETTER_QUEUE_URL"] == "" {
		t.Fatalf("create-natural-user: %+v", f)
	}
	queue, dlq := stack.QueueURLs[f.Queues[0].Queue], f.Env["DEAD_LETTER_QUEUE_URL"]
	users := stack.Fake.Count("users")
	stack.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", Status: 503})
	defer stack.Fake.ClearFaults()

	body, _ := json.Marshal(map[string]any{"external_user_id": "redrive-1", "user_category": "PAYER", "terms_and_conditions_accepted": true,
		"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"})
	sent, err := stack.aws.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			api.AttrIdempotencyKey: {DataType: aws.String("String"), StringValue: aws.String("redrive-test-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	var dead *sqstypes.Message
	err = stack.Await(ctx, func() (bool, error) {
		out, err := stack.aws.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			return false, err
		}
		for _, m := range out.Messages {
			if aws.ToString(m.Body) == string(body) {
				dead = &m
			}
		}
		return dead != nil, nil
	})
	if err != nil {
		t.Fatalf("the message never reached %s: %v", dlq, err)
	}
	attr := func(k string) string { return aws.ToString(dead.MessageAttributes[k].StringValue) }
	if reason := attr(api.AttrFailureReason); !strings.Contains(reason, "503") {
		t.Errorf("Failure-Reason %q, want Mangopay's 503 named", reason)
	}
	if src := attr(api.AttrSourceMessageID); src != aws.ToString(sent.MessageId) {
		t.Errorf("Source-Message-Id %q, want %s (the original message)", src, aws.ToString(sent.MessageId))
	}
	if key := attr(api.AttrIdempotencyKey); key != "redrive-test-1" {
		t.Errorf("Idempotency-Key %q: a redrive must continue the same request", key)
	}
	if n := stack.Fake.Count("users"); n != users {
		t.Errorf("users at Mangopay %d, want %d", n, users)
	}
	left, err := stack.aws.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range left.Attributes {
		if v != "0" {
			t.Errorf("the source queue still holds it: %s = %s", k, v)
		}
	}
}
