package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Fake is where the fake Mangopay answers and the credentials it knows.
type Fake struct{ URL, ClientID, APIKey string }

// Stack is the AWS resources every function's environment names, made in
// one moto account: the records table, the pages bucket, the Mangopay
// secret, an event bus and the queues.
type Stack struct {
	// Vars are the values of every environment variable the template
	// gives a function (its Globals and its own), for this stack.
	Vars map[string]string
}

// Bus is the event bus the stack's functions publish to.
const Bus = "marketplace-events"

// NewStack makes the resources in cfg's account, with the fake's
// credentials in the secret; name prefixes the bucket (bucket names are
// global in moto).
func NewStack(ctx context.Context, cfg aws.Config, fake Fake, name string) (*Stack, error) {
	table, bucket := "records", strings.ToLower(name)+"-pages"
	if err := records.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), table); err != nil {
		return nil, fmt.Errorf("bench: table: %w", err)
	}
	if _, err := s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}}); err != nil {
		return nil, fmt.Errorf("bench: bucket: %w", err)
	}
	creds, _ := json.Marshal(map[string]string{"client_id": fake.ClientID, "api_key": fake.APIKey})
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("mangopay-credentials"), SecretString: aws.String(string(creds))})
	if err != nil {
		return nil, fmt.Errorf("bench: secret: %w", err)
	}
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(Bus)}); err != nil {
		return nil, fmt.Errorf("bench: event bus: %w", err)
	}
	q := sqs.NewFromConfig(cfg)
	queue := func(n string) (string, error) {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(n)})
		if err != nil {
			return "", fmt.Errorf("bench: queue %s: %w", n, err)
		}
		return aws.ToString(out.QueueUrl), nil
	}
	s := &Stack{Vars: map[string]string{
		"TABLE_NAME": table, "PAGES_BUCKET": bucket, "MANGOPAY_BASE_URL": fake.URL,
		"MANGOPAY_SECRET_ARN": aws.ToString(sec.ARN), "MANGOPAY_DEBUG": "false", "EVENT_BUS_NAME": Bus,
		"HOOK_TOKEN": strings.Repeat("0123456789abcdef", 4), "HOOK_URL": "https://abc123def4.execute-api.eu-west-1.amazonaws.com/hooks/" + strings.Repeat("0123456789abcdef", 4),
		"RECHECK_TIME_ZONE": "",
	}}
	for v, n := range map[string]string{"OPERATION_QUEUE_URL": "operation", "DEAD_LETTER_QUEUE_URL": "operation-dlq",
		"HOOK_QUEUE_URL": "hooks", "PAYOUT_OUTCOME_QUEUE_URL": "payout-outcomes"} {
		if s.Vars[v], err = queue(n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Env is the environment of one function: the variables the template
// names for it (names; their values come from the stack), plus the AWS
// variables Lambda sets, pointed at endpoint. AWS_CA_BUNDLE is not set,
// as in Lambda.
func (s *Stack) Env(names []string, endpoint, region string) []string {
	env := []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=testing"}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		env = append(env, n+"="+s.Vars[n])
	}
	return env
}

// Deps builds a function's dependencies in-process, as its main does,
// with every AWS and Mangopay request counted and timed by c. mpURL
// overrides MANGOPAY_BASE_URL when not "".
func (s *Stack) Deps(ctx context.Context, cfg aws.Config, c *Counter, log *slog.Logger) (*coldstart.Deps, error) {
	if log == nil {
		log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	env, err := config.FromEnv(func(k string) string { return s.Vars[k] })
	if err != nil {
		return nil, fmt.Errorf("bench: environment: %w", err)
	}
	cfg.HTTPClient = c.AWS(cfg.HTTPClient)
	d, err := coldstart.New(ctx, env, cfg, log, coldstart.WithMangopayHTTPClient(c.HTTPClient()))
	if err != nil {
		return nil, fmt.Errorf("bench: dependencies: %w", err)
	}
	return d, nil
}

// InProcessStack is a Stack whose functions run in this process: their
// dependencies built over counting transports, and a fixture calling
// them.
type InProcessStack struct {
	Stack   *Stack
	Counter *Counter
	Deps    *coldstart.Deps
	Fixture *Fixture
}

// NewInProcess makes a Stack named name in cfg's account for fake, and
// the in-process functions over it (root: the repository, for events/).
func NewInProcess(ctx context.Context, cfg aws.Config, fake *mangopaytest.Server, name, root string) (*InProcessStack, error) {
	st, err := NewStack(ctx, cfg, Fake{URL: fake.URL, ClientID: fake.ClientID, APIKey: fake.APIKey}, name)
	if err != nil {
		return nil, err
	}
	c := NewCounter()
	d, err := st.Deps(ctx, cfg, c, nil)
	if err != nil {
		return nil, err
	}
	fx := &Fixture{Root: root, Call: InProcessCall(d), Fake: fake, Bucket: st.Vars["PAGES_BUCKET"]}
	return &InProcessStack{Stack: st, Counter: c, Deps: d, Fixture: fx}, nil
}
