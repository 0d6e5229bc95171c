package local

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// pollWait is the long-polling wait of each receive.
const pollWait = 5

// startPollers starts one poller per SQS event source mapping, one per
// upload notification queue, and the outcomes queue's.
func (s *Stack) startPollers() {
	names := make([]string, 0, len(s.Functions))
	for n := range s.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := s.Functions[n]
		for _, m := range f.Queues {
			s.poll(s.QueueURLs[m.Queue], min(m.BatchSize, 10), func(ctx context.Context, msgs []sqstypes.Message) []string {
				return s.deliverSQS(ctx, f.Name, m, msgs)
			})
		}
		if u := s.QueueURLs["s3:"+n]; u != "" {
			s.poll(u, 1, func(ctx context.Context, msgs []sqstypes.Message) []string {
				return s.deliverS3(ctx, f.Name, msgs)
			})
		}
	}
	s.poll(s.OutcomesURL, 10, func(_ context.Context, msgs []sqstypes.Message) []string {
		for _, m := range msgs {
			var o Outcome
			if json.Unmarshal([]byte(aws.ToString(m.Body)), &o) == nil {
				s.addOutcome(o)
				fmt.Fprintf(s.out, "%s %-27s %-34s %s\n", time.Now().Format("15:04:05.000"), "event bus "+BusName, o.DetailType, truncate(string(o.Detail), 100))
			}
		}
		return nil
	})
}

// poll receives batches from a queue until the stack stops; handle
// returns the message ids that failed (they become visible again after
// RetryDelay; the rest are deleted).
func (s *Stack) poll(queueURL string, batch int, handle func(context.Context, []sqstypes.Message) []string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx := s.ctx
		for ctx.Err() == nil {
			out, err := s.aws.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
				MaxNumberOfMessages: int32(batch), WaitTimeSeconds: pollWait,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
				MessageAttributeNames:       []string{"All"}})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				fmt.Fprintf(s.out, "poller %s: %v\n", queueURL, err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				continue
			}
			if len(out.Messages) == 0 {
				continue
			}
			failed := map[string]bool{}
			for _, id := range handle(ctx, out.Messages) {
				failed[id] = true
			}
			// The stack may be stopping: finish the clean-up regardless.
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			for _, m := range out.Messages {
				if failed[aws.ToString(m.MessageId)] {
					_, _ = s.aws.sqs.ChangeMessageVisibility(cctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL),
						ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(s.opts.RetryDelay / time.Second)})
					continue
				}
				_, _ = s.aws.sqs.DeleteMessage(cctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
			}
			cancel()
		}
	}()
}

// deliverSQS invokes a function with a batch as Lambda's SQS event
// source mapping does and returns the ids to deliver again.
func (s *Stack) deliverSQS(ctx context.Context, fn string, m QueueMapping, msgs []sqstypes.Message) []string {
	ev := SQSEvent(queueARN(m.Queue), msgs)
	payload, _ := json.Marshal(ev)
	res, err := s.invoke(ctx, fn, fmt.Sprintf("sqs %s (%d)", m.Queue, len(msgs)), payload, true)
	all := func() []string {
		ids := make([]string, len(msgs))
		for i, msg := range msgs {
			ids[i] = aws.ToString(msg.MessageId)
		}
		return ids
	}
	if err != nil || res.Err != nil {
		return all()
	}
	if !m.ReportBatchItemFailure {
		return nil
	}
	var resp events.SQSEventResponse
	if json.Unmarshal(res.Payload, &resp) != nil {
		return nil
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" {
			return all() // an empty id fails the whole batch
		}
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// SQSEvent is the event Lambda builds from received messages.
func SQSEvent(arn string, msgs []sqstypes.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		r := events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes: map[string]string{}, MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN: arn, EventSource: "aws:sqs", AWSRegion: Region}
		for k, v := range m.Attributes {
			r.Attributes[k] = v
		}
		if r.Attributes["ApproximateReceiveCount"] == "" {
			r.Attributes["ApproximateReceiveCount"] = strconv.Itoa(1)
		}
		for k, v := range m.MessageAttributes {
			r.MessageAttributes[k] = events.SQSMessageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue,
				BinaryValue: v.BinaryValue, StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues}
		}
		ev.Records = append(ev.Records, r)
	}
	return ev
}

// deliverS3 invokes a function with the S3 event moto queued for an
// upload (an asynchronous invocation: a failure is retried).
func (s *Stack) deliverS3(ctx context.Context, fn string, msgs []sqstypes.Message) []string {
	var failed []string
	for _, m := range msgs {
		payload, ev, err := s3Event([]byte(aws.ToString(m.Body)))
		if err != nil {
			fmt.Fprintf(s.out, "%s %-27s not an S3 event, dropped: %v\n", time.Now().Format("15:04:05.000"), fn, err)
			continue
		}
		if len(ev.Records) == 0 {
			continue // s3:TestEvent
		}
		trigger := "s3 " + ev.Records[0].EventName + " " + ev.Records[0].S3.Object.Key
		res, err := s.invoke(ctx, fn, trigger, payload, true)
		if err != nil || res.Err != nil {
			failed = append(failed, aws.ToString(m.MessageId))
		}
	}
	return failed
}

// s3Event turns the notification moto queued into the event S3 sends
// Lambda: moto writes eventTime without its zone (UTC), S3 with a Z.
func s3Event(body []byte) ([]byte, events.S3Event, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, events.S3Event{}, err
	}
	recs, _ := raw["Records"].([]any)
	for _, r := range recs {
		if m, ok := r.(map[string]any); ok {
			if t, ok := m["eventTime"].(string); ok && !strings.HasSuffix(t, "Z") && !strings.Contains(t, "+") {
				if len(t) > len("2006-01-02T15:04:05.000") {
					t = t[:len("2006-01-02T15:04:05.000")]
				}
				m["eventTime"] = t + "Z"
			}
		}
	}
	payload, err := json.Marshal(raw)
	if err != nil {
		return nil, events.S3Event{}, err
	}
	var ev events.S3Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, events.S3Event{}, err
	}
	return payload, ev, nil
}

// startClock runs every schedule when due on the local clock.
func (s *Stack) startClock() {
	type entry struct {
		fn   string
		spec ScheduleSpec
		cron *Cron
		next time.Time
	}
	var list []*entry
	now := time.Now()
	for _, f := range s.Functions {
		for _, sc := range f.Schedules {
			c, err := ParseCron(sc.Expression, sc.TimeZone)
			if err != nil {
				fmt.Fprintf(s.out, "schedule %s of %s: %v (not run on the clock)\n", sc.Name, f.Name, err)
				continue
			}
			list = append(list, &entry{fn: f.Name, spec: sc, cron: c, next: c.Next(now)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].fn < list[j].fn })
	for _, e := range list {
		fmt.Fprintf(s.out, "  schedule      %-22s %s %s: next %s\n", e.fn, e.spec.Expression, e.spec.TimeZone, e.next.Format(time.RFC3339))
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			var first *entry
			for _, e := range list {
				if !e.next.IsZero() && (first == nil || e.next.Before(first.next)) {
					first = e
				}
			}
			if first == nil {
				return
			}
			timer := time.NewTimer(time.Until(first.next))
			select {
			case <-s.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			_, _ = s.invoke(s.ctx, first.fn, "schedule "+first.spec.Name+" ("+first.spec.Expression+")", []byte(first.spec.Input), true)
			first.next = first.cron.Next(time.Now())
		}
	}()
}
