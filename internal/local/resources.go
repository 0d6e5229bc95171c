package local

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/deploy"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
)

// clients are the stack's own AWS clients (on moto).
type clients struct {
	ddb *dynamodb.Client
	s3  *s3.Client
	sqs *sqs.Client
	sm  *secretsmanager.Client
	eb  *eventbridge.Client
}

func newClients(cfg aws.Config) clients {
	return clients{ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg),
		eb: eventbridge.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			o.DisableLogOutputChecksumValidationSkipped = true
		})}
}

// createTable creates an AWS::DynamoDB::Table as declared: key schema,
// attribute definitions, global secondary indexes and TTL.
func createTable(ctx context.Context, c clients, t *deploy.Template, id, name string) error {
	p := t.Resources[id].Properties
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, a := range deploy.List(p["AttributeDefinitions"]) {
		m := deploy.Map(a)
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(deploy.Str(m["AttributeName"])), AttributeType: ddbtypes.ScalarAttributeType(deploy.Str(m["AttributeType"]))})
	}
	in.KeySchema = keySchema(p["KeySchema"])
	for _, g := range deploy.List(p["GlobalSecondaryIndexes"]) {
		m := deploy.Map(g)
		proj := deploy.Map(m["Projection"])
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(deploy.Str(m["IndexName"])), KeySchema: keySchema(m["KeySchema"]),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(deploy.Str(proj["ProjectionType"])),
				NonKeyAttributes: deploy.Strings(proj["NonKeyAttributes"])}})
	}
	if _, err := c.ddb.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	if ttl := deploy.Map(p["TimeToLiveSpecification"]); ttl != nil && ttl["Enabled"] == true {
		if _, err := c.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(deploy.Str(ttl["AttributeName"])), Enabled: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("table %s TTL: %w", name, err)
		}
	}
	return nil
}

func keySchema(v any) []ddbtypes.KeySchemaElement {
	var out []ddbtypes.KeySchemaElement
	for _, k := range deploy.List(v) {
		m := deploy.Map(k)
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(deploy.Str(m["AttributeName"])), KeyType: ddbtypes.KeyType(deploy.Str(m["KeyType"]))})
	}
	return out
}

// createBucket creates an AWS::S3::Bucket with its declared default
// encryption, public access block and versioning.
func createBucket(ctx context.Context, c clients, t *deploy.Template, id, name string) error {
	p := t.Resources[id].Properties
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(Region)}}); err != nil {
		return fmt.Errorf("creating bucket %s: %w", name, err)
	}
	var rules []s3types.ServerSideEncryptionRule
	for _, r := range deploy.List(deploy.Map(p["BucketEncryption"])["ServerSideEncryptionConfiguration"]) {
		d := deploy.Map(deploy.Map(r)["ServerSideEncryptionByDefault"])
		rule := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryption(deploy.Str(d["SSEAlgorithm"]))}}
		if k := deploy.Str(d["KMSMasterKeyID"]); k != "" {
			rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID = aws.String(k)
		}
		rules = append(rules, rule)
	}
	if len(rules) > 0 {
		if _, err := c.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
			ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: rules}}); err != nil {
			return fmt.Errorf("bucket %s encryption: %w", name, err)
		}
	}
	if pab := deploy.Map(p["PublicAccessBlockConfiguration"]); pab != nil {
		b := func(k string) *bool { return aws.Bool(pab[k] == true) }
		if _, err := c.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(name),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: b("BlockPublicAcls"),
				BlockPublicPolicy: b("BlockPublicPolicy"), IgnorePublicAcls: b("IgnorePublicAcls"), RestrictPublicBuckets: b("RestrictPublicBuckets")}}); err != nil {
			return fmt.Errorf("bucket %s public access block: %w", name, err)
		}
	}
	if deploy.Str(deploy.Map(p["VersioningConfiguration"])["Status"]) == "Enabled" {
		if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			return fmt.Errorf("bucket %s versioning: %w", name, err)
		}
	}
	return nil
}

// queueARN is the ARN moto gives a queue of the local account.
func queueARN(name string) string { return "arn:aws:sqs:" + Region + ":" + AccountID + ":" + name }

// createQueues creates every queue (dead-letter targets first) with its
// declared visibility timeout, retention and redrive policy, and returns
// their URLs by logical id.
func createQueues(ctx context.Context, c clients, specs []QueueSpec) (map[string]string, error) {
	urls := map[string]string{}
	for pass := 0; len(urls) < len(specs); pass++ {
		if pass > len(specs) {
			return nil, fmt.Errorf("queues: a redrive policy names a queue the template does not declare")
		}
		for _, q := range specs {
			if _, done := urls[q.LogicalID]; done || (q.DeadLetter != "" && urls[q.DeadLetter] == "") {
				continue
			}
			attrs := map[string]string{}
			if q.VisibilityTimeout > 0 {
				attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(q.VisibilityTimeout)
			}
			if q.Retention > 0 {
				attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(q.Retention)
			}
			if q.DeadLetter != "" {
				rp, _ := json.Marshal(map[string]any{"deadLetterTargetArn": queueARN(q.DeadLetter), "maxReceiveCount": q.MaxReceiveCount})
				attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(rp)
			}
			out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.LogicalID), Attributes: attrs})
			if err != nil {
				return nil, fmt.Errorf("creating queue %s: %w", q.LogicalID, err)
			}
			urls[q.LogicalID] = aws.ToString(out.QueueUrl)
		}
	}
	return urls, nil
}

// createSecret stores the Mangopay credentials as pkg/config reads them
// and returns the secret's ARN.
func createSecret(ctx context.Context, c clients, clientID, apiKey string) (string, error) {
	v, _ := json.Marshal(map[string]string{config.SecretClientID: clientID, config.SecretAPIKey: apiKey})
	out, err := c.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(StackName + "/mangopay"), SecretString: aws.String(string(v))})
	if err != nil {
		return "", fmt.Errorf("creating the Mangopay secret: %w", err)
	}
	return aws.ToString(out.ARN), nil
}

// createBus creates the local event bus and a rule copying every event on
// it to a new queue, whose URL it returns.
func createBus(ctx context.Context, c clients, bus, queue string) (string, error) {
	if _, err := c.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		return "", fmt.Errorf("creating event bus %s: %w", bus, err)
	}
	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		return "", fmt.Errorf("creating queue %s: %w", queue, err)
	}
	rule := bus + "-all"
	if _, err := c.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"account":["` + AccountID + `"]}`)}); err != nil {
		return "", fmt.Errorf("creating rule %s: %w", rule, err)
	}
	if _, err := c.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("outcomes"), Arn: aws.String(queueARN(queue)), InputTransformer: wholeEvent()}}}); err != nil {
		return "", fmt.Errorf("rule %s target: %w", rule, err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// notifyUploads makes the bucket send its ObjectCreated notifications
// under each prefix to a queue of their own (moto delivers bucket
// notifications to SQS); the stack's poller turns them into S3 events.
// It returns the queue URL of each function's notification.
func notifyUploads(ctx context.Context, c clients, bucket string, fns []FunctionSpec) (map[string]string, error) {
	urls := map[string]string{}
	var cfgs []s3types.QueueConfiguration
	for _, f := range fns {
		for i, u := range f.Uploads {
			name := fmt.Sprintf("%s-%s-s3-%d", StackName, f.Name, i)
			q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err != nil {
				return nil, fmt.Errorf("creating queue %s: %w", name, err)
			}
			urls[f.Name] = aws.ToString(q.QueueUrl)
			qc := s3types.QueueConfiguration{Id: aws.String(f.Name), QueueArn: aws.String(queueARN(name))}
			for _, e := range u.Events {
				qc.Events = append(qc.Events, s3types.Event(e))
			}
			if u.Prefix != "" {
				qc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: s3types.FilterRuleNamePrefix, Value: aws.String(u.Prefix)}}}}
			}
			cfgs = append(cfgs, qc)
		}
	}
	if len(cfgs) == 0 {
		return urls, nil
	}
	if _, err := c.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: cfgs}}); err != nil {
		return nil, fmt.Errorf("bucket %s notifications: %w", bucket, err)
	}
	return urls, nil
}

// wholeEvent is a target's InputTransformer that delivers the event as is
// (the same body as no transformer). moto renders a target without one
// through seven default JSONPath expressions per event (~230 ms of CPU
// each PutEvents); with this single path it costs far less.
func wholeEvent() *ebtypes.InputTransformer {
	return &ebtypes.InputTransformer{
		InputPathsMap: map[string]string{"id": "$.id"},
		InputTemplate: aws.String("<aws.events.event.json>"),
	}
}
