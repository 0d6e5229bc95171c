package awstest

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the HTTP requests SDK clients send, per service and
// operation. Retries count as separate requests: that is what AWS bills
// and what a rate limit sees. It also adds up the items DynamoDB Query
// and Scan answers say they read (ScannedCount: what AWS bills, filter or
// not). It is safe for concurrent use.
type Counter struct {
	mu    sync.Mutex
	calls map[string]int
	items map[string]int
}

// CountingConfig is Config with a Counter attached to every client built
// from the returned configuration.
func CountingConfig(t testing.TB) (aws.Config, *Counter) {
	t.Helper()
	cfg := Config(t)
	c := &Counter{}
	cfg.APIOptions = append(cfg.APIOptions, c.Middleware)
	return cfg, c
}

// Middleware adds the counting steps to a client's middleware stack; use it
// in aws.Config.APIOptions or a client's Options.APIOptions. Requests are
// counted closest to the transport (each attempt); items read are taken
// from the decoded answer, outside the operation's deserializer.
func (c *Counter) Middleware(stack *middleware.Stack) error {
	err := stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("awstest.Counter",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			c.add(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("awstest.CounterItems",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err == nil {
				c.addItems(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), out.Result)
			}
			return out, md, err
		}), middleware.Before)
}

// addItems adds the items a DynamoDB read answer says it read.
func (c *Counter) addItems(service, operation string, result any) {
	var n int32
	switch r := result.(type) {
	case *dynamodb.QueryOutput:
		n = r.ScannedCount
	case *dynamodb.ScanOutput:
		n = r.ScannedCount
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]int{}
	}
	c.items[key(service, operation)] += int(n)
}

// ItemsRead returns the items read by the DynamoDB Query or Scan answers
// counted so far (operation "Query" or "Scan"; service dynamodb.ServiceID).
func (c *Counter) ItemsRead(service, operation string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[key(service, operation)]
}

func key(service, operation string) string { return service + "." + operation }

func (c *Counter) add(service, operation string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[key(service, operation)]++
}

// Calls returns the number of requests sent for one operation. service is
// the SDK's service id, e.g. secretsmanager.ServiceID or dynamodb.ServiceID.
func (c *Counter) Calls(service, operation string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[key(service, operation)]
}

// Total returns the number of requests sent for every operation.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Snapshot returns the counts keyed "Service.Operation".
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// String lists the counts in a stable order, for test failure messages.
func (c *Counter) String() string {
	snap := c.Snapshot()
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Itoa(snap[k])
	}
	return strings.Join(parts, " ")
}

// Reset sets every count back to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.items = nil, nil
}
