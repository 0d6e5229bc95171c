package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AccountHeader is the header moto reads to pick the account a request
// belongs to; each account has its own tables, queues and secrets.
const AccountHeader = "x-moto-account-id"

// accountBase is a random 12-digit start for this binary's account ids, so
// that two binaries sharing one server by accident still do not collide.
var (
	accountBase = randomAccountBase()
	accountSeq  atomic.Int64
)

func randomAccountBase() int64 {
	n, err := rand.Int(rand.Reader, big.NewInt(800_000_000_000))
	if err != nil {
		panic(err)
	}
	return 100_000_000_000 + n.Int64()
}

// NewAccountID returns a 12-digit moto account id not used before by this
// test binary.
func NewAccountID() string {
	return fmt.Sprintf("%012d", accountBase+accountSeq.Add(1))
}

// Config returns an SDK configuration for t: the moto_server started by
// Main, static credentials, region eu-west-1 and a moto account of t's own.
func Config(t testing.TB) aws.Config {
	t.Helper()
	return ConfigForAccount(t, NewAccountID())
}

// ConfigForAccount is Config for a given moto account, for tests that need
// two clients (two "processes") looking at the same resources.
func ConfigForAccount(t testing.TB, account string) aws.Config {
	t.Helper()
	ep := Endpoint()
	if ep == "" {
		t.Fatal("awstest: no moto_server running: call awstest.Main from TestMain")
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(ep),
		// A buildable client ignores AWS_CA_BUNDLE, which breaks
		// config.WithHTTPClient on this machine.
		HTTPClient: awshttp.NewBuildableClient(),
		APIOptions: []func(*middleware.Stack) error{
			smithyhttp.AddHeaderValue(AccountHeader, account),
			atomicWrites(account),
		},
	}
}

// writeLocks holds one lock per moto account (see atomicWrites).
var writeLocks sync.Map

// atomicWrites makes moto's DynamoDB writes atomic, as DynamoDB's are.
// moto_server is threaded and checks a condition expression, then writes,
// without a lock, so two concurrent conditional writes of one key can both
// succeed there (seen about once in 25 runs of 20 concurrent idempotency
// claims), which DynamoDB never allows. Every write of one account, from
// any client of this test binary, holds the account's lock.
func atomicWrites(account string) func(*middleware.Stack) error {
	v, _ := writeLocks.LoadOrStore(account, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awstest.atomicWrites",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetServiceID(ctx) == "DynamoDB" {
					switch awsmiddleware.GetOperationName(ctx) {
					case "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem":
						mu.Lock()
						defer mu.Unlock()
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

// UniqueName returns a name unique across the run, usable as an S3 bucket
// name (lower-case letters, digits and dashes, at most 63 characters):
// prefix, a fragment of the test's name, and random hex.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := sanitize(prefix, 20) + "-" + sanitize(t.Name(), 30) + "-" + hex.EncodeToString(b)
	return strings.Trim(strings.ReplaceAll(name, "--", "-"), "-")
}

// sanitize keeps lower-case letters and digits, turns anything else into a
// dash and cuts the result to max bytes.
func sanitize(s string, max int) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
		if sb.Len() >= max {
			break
		}
	}
	return strings.Trim(sb.String(), "-")
}
