package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is a Sender over one SQS queue.
type Queue struct {
	Client *sqs.Client
	URL    string
}

// Send puts body on the queue with string attributes.
func (q Queue) Send(ctx context.Context, body string, attrs map[string]string) error {
	if q.Client == nil || q.URL == "" {
		return errors.New("no queue configured for this function (OPERATION_QUEUE_URL / DEAD_LETTER_QUEUE_URL)")
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{}}
	for k, v := range attrs {
		in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	if _, err := q.Client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("sending to %s: %w", q.URL, err)
	}
	return nil
}

// Configured reports whether the queue has a client and a URL.
func (q Queue) Configured() bool { return q.Client != nil && q.URL != "" }
