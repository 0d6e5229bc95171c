package testenv

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EventBus is the bus the function publishes its events to (EVENT_BUS_NAME).
const EventBus = "marketplace-events"

// Event is an EventBridge event as a rule's SQS target receives it.
type Event struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// DetailMap decodes the event's detail.
func (ev Event) DetailMap(t *testing.T) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatalf("event detail %s: %v", ev.Detail, err)
	}
	return d
}

// subscribeOutcomes creates EventBus and a rule sending every event of
// source lambda-mangopay to OutcomesQueue.
func (e *Env) subscribeOutcomes(t *testing.T) {
	eb := eventbridge.NewFromConfig(e.AWS)
	_, err := eb.CreateEventBus(e.Ctx, &eventbridge.CreateEventBusInput{Name: aws.String(EventBus)})
	must(t, err)
	_, err = eb.PutRule(e.Ctx, &eventbridge.PutRuleInput{Name: aws.String("outcomes"), EventBusName: aws.String(EventBus),
		EventPattern: aws.String(`{"source":["lambda-mangopay"]}`)})
	must(t, err)
	attrs, err := e.SQS.GetQueueAttributes(e.Ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.OutcomesQueue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must(t, err)
	out, err := eb.PutTargets(e.Ctx, &eventbridge.PutTargetsInput{Rule: aws.String("outcomes"), EventBusName: aws.String(EventBus),
		Targets: []ebtypes.Target{{Id: aws.String("outcomes-queue"), Arn: aws.String(attrs.Attributes["QueueArn"]),
			// the event as is; moto renders a target without a transformer
			// through seven JSONPaths per event (~230 ms of CPU each).
			InputTransformer: &ebtypes.InputTransformer{InputPathsMap: map[string]string{"id": "$.id"},
				InputTemplate: aws.String("<aws.events.event.json>")}}}})
	must(t, err)
	if out.FailedEntryCount != 0 {
		t.Fatalf("testenv: PutTargets failed: %+v", out.FailedEntries)
	}
}

// Outcomes receives (and deletes) the events published so far.
func (e *Env) Outcomes(t *testing.T) []Event {
	t.Helper()
	return decodeEvents(t, e.Messages(t, e.OutcomesQueue))
}

// PayoutOutcomes receives (and deletes) the messages on PayoutQueue.
func (e *Env) PayoutOutcomes(t *testing.T) []Event {
	t.Helper()
	return decodeEvents(t, e.Messages(t, e.PayoutQueue))
}

func decodeEvents(t *testing.T, msgs []sqstypes.Message) []Event {
	t.Helper()
	evs := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		var ev Event
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			t.Fatal(fmt.Errorf("testenv: event %s: %w", aws.ToString(m.Body), err))
		}
		evs = append(evs, ev)
	}
	return evs
}
