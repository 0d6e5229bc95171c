// Package bench measures what the functions cost their users: cold starts
// of the real bootstrap binaries, their sizes and memory, the round trips
// each operation makes (counted at the HTTP transport, per service), the
// time spent outside those round trips, the re-check's scaling under
// Mangopay's rate limits, and our Mangopay client next to Mangopay's
// official Node SDK. cmd/bench runs it all and writes BENCHMARKS.md.
package bench

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Services a request is classified into.
const (
	Mangopay       = "Mangopay"       // a Mangopay API call (not the token)
	Token          = "OAuthToken"     // POST /v2.01/oauth/token
	DynamoDB       = "DynamoDB"       //
	S3             = "S3"             //
	SQS            = "SQS"            //
	SecretsManager = "SecretsManager" //
	EventBridge    = "EventBridge"    //
	Other          = "Other"          // anything else (the fake's /__fake/ controls, a card vault post)
)

// Services lists the classes in report order.
var Services = []string{Mangopay, Token, DynamoDB, S3, SQS, SecretsManager, EventBridge, Other}

// amzTargets maps the X-Amz-Target prefix of the JSON protocols to a service.
var amzTargets = map[string]string{
	"DynamoDB_20120810": DynamoDB,
	"AmazonSQS":         SQS,
	"secretsmanager":    SecretsManager,
	"AWSEvents":         EventBridge,
}

// Classify names the service and operation of one HTTP request: AWS JSON
// protocols by X-Amz-Target ("DynamoDB", "PutItem"), S3 by its SigV4
// signature (header or presigned query) and method, Mangopay by path
// (/oauth/token is Token; other /v2.01/ paths are Mangopay, with the
// operation "POST users" from the method and the resource after the
// client id).
func Classify(r *http.Request) (service, op string) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, name, _ := strings.Cut(t, ".")
		if s, ok := amzTargets[prefix]; ok {
			return s, name
		}
		return Other, t
	}
	p := r.URL.Path
	if strings.HasSuffix(strings.TrimRight(p, "/"), "/oauth/token") {
		return Token, "POST oauth/token"
	}
	if strings.HasPrefix(p, "/v2.01/") {
		parts := strings.Split(strings.Trim(p, "/"), "/")
		res := ""
		if len(parts) > 2 {
			res = parts[2]
		}
		return Mangopay, r.Method + " " + res
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") || r.URL.Query().Get("X-Amz-Signature") != "" {
		return S3, r.Method
	}
	return Other, r.Method + " " + p
}

// Counter counts HTTP requests per service and operation, and the time
// spent waiting on them (the union of their intervals: two calls in
// flight at once count once). It is safe for concurrent use.
type Counter struct {
	mu       sync.Mutex
	calls    map[string]int // service
	ops      map[string]int // service + " " + operation
	inflight int
	since    time.Time
	wait     time.Duration
	now      func() time.Time
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{now: time.Now} }

func (c *Counter) begin(r *http.Request) {
	svc, op := Classify(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls, c.ops = map[string]int{}, map[string]int{}
	}
	c.calls[svc]++
	c.ops[svc+" "+op]++
	if c.inflight == 0 {
		c.since = c.now()
	}
	c.inflight++
}

func (c *Counter) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	if c.inflight == 0 {
		c.wait += c.now().Sub(c.since)
	}
}

// Counts returns the requests per service.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Ops returns the requests per "Service Operation", sorted.
func (c *Counter) Ops() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.ops))
	for k, v := range c.ops {
		out = append(out, k+"×"+itoa(v))
	}
	sort.Strings(out)
	return out
}

// Total is the number of requests counted.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Wait is the time at least one counted request was in flight.
func (c *Counter) Wait() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wait
}

// Reset forgets everything counted (requests in flight still end).
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.ops, c.wait = nil, nil, 0
	if c.inflight > 0 {
		c.since = c.now()
	}
}

// AWS wraps an SDK HTTP client (aws.Config.HTTPClient) so that every
// request it sends is counted; nil wraps a plain default client. Wrap the
// config after LoadDefaultConfig so that its own client (AWS_CA_BUNDLE and
// all) stays underneath.
func (c *Counter) AWS(next aws.HTTPClient) aws.HTTPClient {
	if next == nil {
		next = http.DefaultClient
	}
	return awsClient{next: next, c: c}
}

type awsClient struct {
	next aws.HTTPClient
	c    *Counter
}

func (a awsClient) Do(r *http.Request) (*http.Response, error) {
	a.c.begin(r)
	defer a.c.end()
	return a.next.Do(r)
}

// Transport wraps an http.RoundTripper (nil: http.DefaultTransport) so
// that every request is counted.
func (c *Counter) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{next: next, c: c}
}

type roundTripper struct {
	next http.RoundTripper
	c    *Counter
}

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	t.c.begin(r)
	defer t.c.end()
	return t.next.RoundTrip(r)
}

// HTTPClient is an http.Client whose requests are counted.
func (c *Counter) HTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: c.Transport(nil)}
}

// Proxy is a reverse proxy to target that counts every request it
// forwards: a real bootstrap binary pointed at it (AWS_ENDPOINT_URL,
// MANGOPAY_BASE_URL) has its round trips counted without being changed.
func (c *Counter) Proxy(target *url.URL) http.Handler {
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = c.Transport(&http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second})
	return p
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
