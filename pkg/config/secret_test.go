package config

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	testSecret = "lambda-mangopay/credentials"
	apiKey     = "sk-very-secret-0123456789"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// secretFixture is a secret in the test's own moto account, read through
// a counting client.
type secretFixture struct {
	sm      *secretsmanager.Client
	counter *awstest.Counter
	clock   *clock
	creds   *SecretCredentials
	ctx     context.Context
}

func newSecretFixture(t *testing.T, value string) *secretFixture {
	t.Helper()
	t.Parallel()
	cfg, counter := awstest.CountingConfig(t)
	f := &secretFixture{
		sm: secretsmanager.NewFromConfig(cfg), counter: counter, ctx: t.Context(),
		clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
	}
	if _, err := f.sm.CreateSecret(f.ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(testSecret), SecretString: aws.String(value),
	}); err != nil {
		t.Fatal(err)
	}
	f.creds = NewSecretCredentials(f.sm, testSecret, WithClock(f.clock.Now))
	counter.Reset()
	return f
}

func (f *secretFixture) gets() int {
	return f.counter.Calls(secretsmanager.ServiceID, "GetSecretValue")
}

func (f *secretFixture) rotate(t *testing.T, value string) {
	t.Helper()
	if _, err := f.sm.PutSecretValue(f.ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(testSecret), SecretString: aws.String(value),
	}); err != nil {
		t.Fatal(err)
	}
}

func secretJSON(id, key string) string {
	return `{"client_id":"` + id + `","api_key":"` + key + `"}`
}

func TestOneGetSecretValueForManyWarmCalls(t *testing.T) {
	f := newSecretFixture(t, secretJSON("platform", apiKey))
	want := mangopay.Credentials{ClientID: "platform", APIKey: apiKey}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			got, err := f.creds.Credentials(f.ctx)
			if err != nil || got != want {
				t.Errorf("concurrent cold call: %v, %v", got.ClientID, err)
			}
		})
	}
	wg.Wait()
	for range 100 {
		f.clock.Advance(time.Second)
		if got, err := f.creds.Credentials(f.ctx); err != nil || got != want {
			t.Fatalf("warm call: %v, %v", got.ClientID, err)
		}
	}
	if n := f.gets(); n != 1 {
		t.Fatalf("200 calls within the TTL made %d GetSecretValue calls, want 1 (%s)", n, f.counter)
	}
	f.clock.Advance(DefaultSecretTTL)
	if _, err := f.creds.Credentials(f.ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.gets(); n != 2 {
		t.Fatalf("after the TTL: %d GetSecretValue calls, want 2", n)
	}
}

func TestRefreshPicksUpRotationOncePerInterval(t *testing.T) {
	f := newSecretFixture(t, secretJSON("platform", "old-key"))
	if _, err := f.creds.Credentials(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.rotate(t, secretJSON("platform", "new-key"))
	if c, _ := f.creds.Credentials(f.ctx); c.APIKey != "old-key" {
		t.Fatal("the cache should still hold the old key before a 401")
	}
	// A 401 right after the first read: the minimum interval holds it off.
	if c, _ := f.creds.Refresh(f.ctx); c.APIKey != "old-key" || f.gets() != 1 {
		t.Fatalf("refresh within %s of a read called Secrets Manager (%d calls)", DefaultMinRefresh, f.gets())
	}
	f.clock.Advance(DefaultMinRefresh)
	// A storm of 401s: one read.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if c, err := f.creds.Refresh(f.ctx); err != nil || c.APIKey != "new-key" {
				t.Errorf("refresh: %v", err)
			}
		})
	}
	wg.Wait()
	if n := f.gets(); n != 2 {
		t.Fatalf("50 concurrent refreshes made %d reads in all, want 2", n)
	}
	if c, _ := f.creds.Credentials(f.ctx); c.APIKey != "new-key" {
		t.Fatal("Credentials after Refresh still returns the old key")
	}
}

func TestUnreadableSecretKeepsOldCredentials(t *testing.T) {
	f := newSecretFixture(t, secretJSON("platform", apiKey))
	if _, err := f.creds.Credentials(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.rotate(t, `{"client_id":"platform"}`)
	f.clock.Advance(DefaultSecretTTL)
	c, err := f.creds.Credentials(f.ctx)
	if err != nil || c.APIKey != apiKey {
		t.Fatalf("after a failed re-read: %v, %v; want the previous credentials", c.ClientID, err)
	}
	if _, err := f.creds.Credentials(f.ctx); err != nil || f.gets() != 2 {
		t.Fatalf("a failed read is retried only after %s: %d reads", DefaultMinRefresh, f.gets())
	}
	f.clock.Advance(DefaultMinRefresh)
	if _, err := f.creds.Refresh(f.ctx); !errors.Is(err, ErrSecretShape) {
		t.Fatalf("Refresh of a malformed secret: got %v, want ErrSecretShape", err)
	}
}

func TestMissingSecretFailsColdStart(t *testing.T) {
	f := newSecretFixture(t, secretJSON("platform", apiKey))
	creds := NewSecretCredentials(f.sm, "no-such-secret", WithClock(f.clock.Now))
	_, err := creds.Credentials(f.ctx)
	if err == nil || !strings.Contains(err.Error(), "no-such-secret") {
		t.Fatalf("got %v, want an error naming the secret", err)
	}
}

func TestParseSecretShapes(t *testing.T) {
	good, err := ParseSecret(secretJSON("platform", apiKey))
	if err != nil || good != (mangopay.Credentials{ClientID: "platform", APIKey: apiKey}) {
		t.Fatalf("valid secret: %+v, %v", good.ClientID, err)
	}
	for name, s := range map[string]string{
		"not JSON":         "platform:" + apiKey,
		"array":            `["platform","` + apiKey + `"]`,
		"django names":     `{"MANGOPAY_CLIENT_ID":"platform","MANGOPAY_PASSPHRASE":"` + apiKey + `"}`,
		"missing api key":  `{"client_id":"platform"}`,
		"empty api key":    `{"client_id":"platform","api_key":""}`,
		"number client id": `{"client_id":42,"api_key":"` + apiKey + `"}`,
		"extra field":      `{"client_id":"platform","api_key":"` + apiKey + `","note":"x"}`,
		"key as name":      `{"client_id":"platform","api_key":"x","` + apiKey + `!":1}`,
		"null":             `null`,
	} {
		_, err := ParseSecret(s)
		if !errors.Is(err, ErrSecretShape) {
			t.Errorf("%s: got %v, want ErrSecretShape", name, err)
			continue
		}
		if strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), "sk-very") {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
}
