// Package testenv builds, for one test, everything a function needs on
// local parts: an isolated moto account (table, pages bucket, operation
// queue and its dead-letter queue, the Mangopay secret) and a fake
// Mangopay, and wires them through the same cold-start code as Lambda.
// The test binary's TestMain must call awstest.Main.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Env is one test's local stack.
type Env struct {
	Ctx  context.Context
	AWS  aws.Config
	Fake *mangopaytest.Server
	Deps *coldstart.Deps
	SQS  *sqs.Client
	// Queue and DLQ are the operation's queue and dead-letter queue URLs.
	Queue, DLQ string
	// OutcomesQueue receives, through a rule on EventBus, every event
	// the function publishes (read them with Outcomes); PayoutQueue is the
	// function's PAYOUT_OUTCOME_QUEUE_URL.
	OutcomesQueue, PayoutQueue string
	// Vars are the environment variables the function was built from.
	Vars map[string]string
	// Faults makes chosen AWS calls of the function fail (e.g. the
	// DynamoDB write after Mangopay answered).
	Faults *awstest.Faults
	// Calls counts every AWS request sent through AWS (the harness's
	// own included): take a Snapshot before what a test measures.
	Calls *awstest.Counter
	logs  *SyncBuffer
}

// New starts the stack for t. Options configure the fake Mangopay.
func New(t *testing.T, opts ...mangopaytest.Option) *Env {
	t.Helper()
	return newEnv(t, false, opts)
}

// NewDebug is New with MANGOPAY_DEBUG on: the function also logs every
// Mangopay exchange (redacted), as a deployment debugging an issue would.
func NewDebug(t *testing.T, opts ...mangopaytest.Option) *Env {
	t.Helper()
	return newEnv(t, true, opts)
}

func newEnv(t *testing.T, debug bool, opts []mangopaytest.Option) *Env {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.Config(t)
	faults, calls := &awstest.Faults{}, &awstest.Counter{}
	cfg.APIOptions = append(cfg.APIOptions, faults.Middleware, calls.Middleware)
	e := &Env{Ctx: ctx, AWS: cfg, Faults: faults, Calls: calls, Fake: mangopaytest.NewServer(t, opts...), SQS: sqs.NewFromConfig(cfg), logs: &SyncBuffer{}}
	table, bucket, secret := "records", awstest.UniqueName(t, "pages"), "mangopay-credentials"
	must(t, records.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), table))
	_, err := s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(awstest.Region)}})
	must(t, err)
	creds, _ := json.Marshal(map[string]string{"client_id": e.Fake.ClientID, "api_key": e.Fake.APIKey})
	_, err = secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(secret), SecretString: aws.String(string(creds))})
	must(t, err)
	e.Queue, e.DLQ = e.createQueue(t, "operation"), e.createQueue(t, "operation-dlq")
	e.OutcomesQueue, e.PayoutQueue = e.createQueue(t, "outcomes"), e.createQueue(t, "payout-outcomes")
	e.subscribeOutcomes(t)
	e.Vars = map[string]string{
		"TABLE_NAME": table, "PAGES_BUCKET": bucket, "MANGOPAY_SECRET_ID": secret, "MANGOPAY_BASE_URL": e.Fake.URL,
		"OPERATION_QUEUE_URL": e.Queue, "DEAD_LETTER_QUEUE_URL": e.DLQ,
		"EVENT_BUS_NAME": EventBus, "PAYOUT_OUTCOME_QUEUE_URL": e.PayoutQueue,
		"MAX_RECEIVE_COUNT": "5", // template.yaml's RedrivePolicy
	}
	if debug {
		e.Vars["MANGOPAY_DEBUG"] = "true"
	}
	env, err := config.FromEnv(func(k string) string { return e.Vars[k] })
	must(t, err)
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Deps, err = coldstart.New(ctx, env, cfg, log)
	must(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function logs:\n%s", e.Logs())
		}
	})
	return e
}

func (e *Env) createQueue(t *testing.T, name string) string {
	out, err := e.SQS.CreateQueue(e.Ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	must(t, err)
	return *out.QueueUrl
}

// Logs returns everything the function logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// Request builds an API Gateway HTTP API (payload 2.0) request.
func Request(method, path string, params map[string]string, body any, headers map[string]string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, PathParameters: params,
		Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, path
	for k, v := range headers {
		req.Headers[k] = v
	}
	switch b := body.(type) {
	case nil:
	case string:
		req.Body = b
	default:
		raw, _ := json.Marshal(b)
		req.Body = string(raw)
	}
	return req
}

// Messages receives every message waiting on a queue, with attributes,
// deleting them.
func (e *Env) Messages(t *testing.T, url string) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for {
		out, err := e.SQS.ReceiveMessage(e.Ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		must(t, err)
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			_, err := e.SQS.DeleteMessage(e.Ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			must(t, err)
		}
		all = append(all, out.Messages...)
	}
}

// SQSEvent turns received messages into the event Lambda would deliver.
func SQSEvent(msgs ...sqstypes.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		rec := events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs",
			MessageAttributes: map[string]events.SQSMessageAttribute{}}
		for k, v := range m.MessageAttributes {
			rec.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: v.StringValue}
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}

// Message builds one SQS message as another system would send it.
func Message(id string, body any, attrs map[string]string) events.SQSMessage {
	raw, ok := body.(string)
	if !ok {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	m := events.SQSMessage{MessageId: id, Body: raw, EventSource: "aws:sqs", MessageAttributes: map[string]events.SQSMessageAttribute{}}
	for k, v := range attrs {
		m.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
	}
	return m
}

// Decode parses a JSON answer body into v.
func Decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Errorf("testenv: %w", err))
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: what a
// test's logger writes while the handlers run.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
