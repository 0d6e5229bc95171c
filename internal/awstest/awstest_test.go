package awstest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestAccountsAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := dynamodb.NewFromConfig(Config(t)), dynamodb.NewFromConfig(Config(t))
	_, err := a.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String("only-in-a"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	inA, err := a.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	inB, err := b.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inA.TableNames) != 1 || len(inB.TableNames) != 0 {
		t.Fatalf("account A sees %v, account B sees %v", inA.TableNames, inB.TableNames)
	}
}

func TestCounterCountsRequests(t *testing.T) {
	t.Parallel()
	cfg, c := CountingConfig(t)
	db := dynamodb.NewFromConfig(cfg)
	for range 3 {
		if _, err := db.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("none")}); err == nil {
		t.Fatal("describing a missing table succeeded")
	}
	if c.Calls(dynamodb.ServiceID, "ListTables") != 3 || c.Calls(dynamodb.ServiceID, "DescribeTable") != 1 || c.Total() != 4 {
		t.Fatalf("counts: %s", c)
	}
	c.Reset()
	if c.Total() != 0 {
		t.Fatalf("after Reset: %s", c)
	}
}

func TestUniqueNameIsABucketName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	a, b := UniqueName(t, "Pages_Bucket"), UniqueName(t, "Pages_Bucket")
	if !valid.MatchString(a) || a == b {
		t.Fatalf("UniqueName gave %q and %q", a, b)
	}
}

func TestDefaultEnvironmentPointsAtTheServer(t *testing.T) {
	if got := os.Getenv("AWS_ENDPOINT_URL"); got == "" || got != Endpoint() {
		t.Fatalf("AWS_ENDPOINT_URL = %q, server at %q", got, Endpoint())
	}
}

func TestMissingServerSaysHowToInstall(t *testing.T) {
	t.Setenv("MOTO_SERVER", "")
	t.Setenv("PATH", t.TempDir())
	_, err := findMotoServer()
	if err == nil || err.Error() != InstallHint {
		t.Fatalf("got %v, want %q", err, InstallHint)
	}
}

func TestFaultsFailTheArmedCallsOnly(t *testing.T) {
	cfg := Config(t)
	var f Faults
	cfg.APIOptions = append(cfg.APIOptions, f.Middleware)
	client := sqs.NewFromConfig(cfg)
	ctx := context.Background()
	f.FailNext("SQS", "CreateQueue", 1)
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")}); !errors.Is(err, ErrInjected) {
		t.Fatalf("first call: got %v, want ErrInjected", err)
	}
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")}); err != nil {
		t.Fatalf("second call should pass: %v", err)
	}
	f.Arm("SQS", "ListQueues", FaultHook{Fail: func(in any) error {
		if _, ok := in.(*sqs.ListQueuesInput); !ok {
			t.Errorf("hook got %T", in)
		}
		return nil
	}})
	if _, err := client.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("a hook returning nil lets the call through: %v", err)
	}
}

// TestStartServerRunsAStandaloneServer: StartServer's moto answers on its
// URL until Stop, and nothing answers there afterwards.
func TestStartServerRunsAStandaloneServer(t *testing.T) {
	srv, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/moto-api/")
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	res.Body.Close()
	if srv.Pid() <= 0 {
		t.Errorf("Pid = %d", srv.Pid())
	}
	srv.Stop()
	if res, err := http.Get(srv.URL + "/moto-api/"); err == nil {
		res.Body.Close()
		t.Errorf("moto still answers on %s after Stop", srv.URL)
	}
}

func TestCounterAddsUpItemsRead(t *testing.T) {
	t.Parallel()
	cfg, c := CountingConfig(t)
	db := dynamodb.NewFromConfig(cfg)
	table := aws.String("items")
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            table,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range []string{"a", "b", "c"} {
		if _, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: table,
			Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}}); err != nil {
			t.Fatal(err)
		}
	}
	// A filter does not reduce what is read: 3 items read, 1 returned.
	out, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: table, FilterExpression: aws.String("pk = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(t.Context(), &dynamodb.QueryInput{TableName: table, KeyConditionExpression: aws.String("pk = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberS{Value: "b"}}}); err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 || c.ItemsRead(dynamodb.ServiceID, "Scan") != 3 || c.ItemsRead(dynamodb.ServiceID, "Query") != 1 {
		t.Fatalf("scan returned %d; items read: scan %d, query %d", len(out.Items),
			c.ItemsRead(dynamodb.ServiceID, "Scan"), c.ItemsRead(dynamodb.ServiceID, "Query"))
	}
	c.Reset()
	if c.ItemsRead(dynamodb.ServiceID, "Scan") != 0 {
		t.Fatal("Reset kept the items read")
	}
}
