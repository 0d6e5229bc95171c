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
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the HTTP requests SDK clients send, per service and
// operation. Retries count as separate requests: that is what AWS bills
// and what a rate limit sees. It is safe for concurrent use.
type Counter struct {
	mu    sync.Mutex
	calls map[string]int
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

// Middleware adds the counting step to a client's middleware stack; use it
// in aws.Config.APIOptions or a client's Options.APIOptions.
func (c *Counter) Middleware(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("awstest.Counter",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			c.add(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
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
	c.calls = nil
}
