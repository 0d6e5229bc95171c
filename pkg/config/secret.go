package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// ErrSecretShape says the secret is not the documented JSON object. Its
// messages name fields, never values.
var ErrSecretShape = errors.New(`config: the Mangopay secret must be JSON {"client_id": "...", "api_key": "..."}`)

// Secret fields.
const (
	SecretClientID = "client_id"
	SecretAPIKey   = "api_key"
)

// ParseSecret reads the credentials from the secret's string: a JSON object
// with exactly two non-empty string fields, client_id and api_key. Errors
// wrap ErrSecretShape and never contain the secret's content.
func ParseSecret(s string) (mangopay.Credentials, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return mangopay.Credentials{}, fmt.Errorf("%w: it is not a JSON object", ErrSecretShape)
	}
	if extra := unexpectedFields(m); len(extra) > 0 {
		return mangopay.Credentials{}, fmt.Errorf("%w: unexpected field(s) %s", ErrSecretShape, strings.Join(extra, ", "))
	}
	var c mangopay.Credentials
	for _, f := range []struct {
		name string
		dst  *string
	}{{SecretClientID, &c.ClientID}, {SecretAPIKey, &c.APIKey}} {
		if err := json.Unmarshal(m[f.name], f.dst); err != nil || *f.dst == "" {
			return mangopay.Credentials{}, fmt.Errorf("%w: %s must be a non-empty string", ErrSecretShape, f.name)
		}
	}
	return c, nil
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// unexpectedFields names the fields other than the two expected, showing
// only names that look like field names (a pasted key is not echoed).
func unexpectedFields(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		if k == SecretClientID || k == SecretAPIKey {
			continue
		}
		if plainName.MatchString(k) {
			out = append(out, fmt.Sprintf("%q", k))
		} else {
			out = append(out, "(a field with an unusual name)")
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// SecretsAPI is the part of the Secrets Manager client used here.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Defaults of SecretCredentials.
const (
	DefaultMinRefresh   = 10 * time.Second
	DefaultFetchTimeout = 10 * time.Second
)

// SecretCredentials is a mangopay.CredentialSource reading the credentials
// from a Secrets Manager secret (see ParseSecret for its shape). It keeps
// them in the process for a TTL so that warm invocations do not call
// Secrets Manager; concurrent callers share one GetSecretValue; Refresh
// (called by the client after a 401, e.g. after a rotation) re-reads the
// secret at most once per minimum interval. If the secret cannot be read
// when the TTL has run out, the previous credentials keep being used (and
// the read is retried after the minimum interval); Refresh reports the
// error. It is safe for concurrent use.
type SecretCredentials struct {
	api          SecretsAPI
	secretID     string
	ttl          time.Duration
	minRefresh   time.Duration
	fetchTimeout time.Duration
	now          func() time.Time

	mu          sync.Mutex
	creds       mangopay.Credentials
	fetchedAt   time.Time // of the cached credentials; zero if none
	lastAttempt time.Time
	inflight    *fetch
}

// fetch is one GetSecretValue shared by every caller waiting for it.
type fetch struct {
	done  chan struct{}
	creds mangopay.Credentials
	err   error
}

// SecretOption configures SecretCredentials.
type SecretOption func(*SecretCredentials)

// WithTTL sets how long credentials are cached (default DefaultSecretTTL).
func WithTTL(d time.Duration) SecretOption { return func(s *SecretCredentials) { s.ttl = d } }

// WithMinRefresh sets the least time between two reads forced by Refresh
// or following a failed read (default DefaultMinRefresh).
func WithMinRefresh(d time.Duration) SecretOption {
	return func(s *SecretCredentials) { s.minRefresh = d }
}

// WithClock sets the clock used for the TTL and the refresh interval.
func WithClock(now func() time.Time) SecretOption { return func(s *SecretCredentials) { s.now = now } }

// NewSecretCredentials reads the credentials from the secret secretID (a
// name or ARN) through api.
func NewSecretCredentials(api SecretsAPI, secretID string, opts ...SecretOption) *SecretCredentials {
	s := &SecretCredentials{
		api: api, secretID: secretID, ttl: DefaultSecretTTL, minRefresh: DefaultMinRefresh,
		fetchTimeout: DefaultFetchTimeout, now: time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ mangopay.CredentialSource = (*SecretCredentials)(nil)

// Credentials returns the cached credentials, reading the secret when the
// cache is empty or older than the TTL.
func (s *SecretCredentials) Credentials(ctx context.Context) (mangopay.Credentials, error) {
	s.mu.Lock()
	now := s.now()
	have := !s.fetchedAt.IsZero()
	switch {
	case have && now.Sub(s.fetchedAt) < s.ttl:
		c := s.creds
		s.mu.Unlock()
		return c, nil
	case have && s.inflight == nil && now.Sub(s.lastAttempt) < s.minRefresh:
		// The last read failed moments ago: keep the old credentials.
		c := s.creds
		s.mu.Unlock()
		return c, nil
	}
	f, stale := s.startLocked(ctx), s.creds
	s.mu.Unlock()
	c, err := f.wait(ctx)
	if err != nil && have && ctx.Err() == nil {
		return stale, nil
	}
	return c, err
}

// Refresh re-reads the secret, unless it was read less than the minimum
// interval ago (then it returns the cached credentials): a burst of 401s
// causes one read, not one per call.
func (s *SecretCredentials) Refresh(ctx context.Context) (mangopay.Credentials, error) {
	s.mu.Lock()
	if s.inflight == nil && !s.fetchedAt.IsZero() && s.now().Sub(s.lastAttempt) < s.minRefresh {
		c := s.creds
		s.mu.Unlock()
		return c, nil
	}
	f := s.startLocked(ctx)
	s.mu.Unlock()
	return f.wait(ctx)
}

// startLocked joins the read in flight or starts one. The read runs
// detached from the caller's cancellation (other callers may wait for it),
// bounded by the fetch timeout. s.mu must be held.
func (s *SecretCredentials) startLocked(ctx context.Context) *fetch {
	if s.inflight != nil {
		return s.inflight
	}
	f := &fetch{done: make(chan struct{})}
	s.inflight, s.lastAttempt = f, s.now()
	go s.run(context.WithoutCancel(ctx), f)
	return f
}

func (s *SecretCredentials) run(ctx context.Context, f *fetch) {
	ctx, cancel := context.WithTimeout(ctx, s.fetchTimeout)
	defer cancel()
	f.creds, f.err = s.read(ctx)
	s.mu.Lock()
	if f.err == nil {
		s.creds, s.fetchedAt = f.creds, s.now()
	}
	s.inflight = nil
	s.mu.Unlock()
	close(f.done)
}

// read calls GetSecretValue and parses the secret.
func (s *SecretCredentials) read(ctx context.Context) (mangopay.Credentials, error) {
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.secretID)})
	if err != nil {
		return mangopay.Credentials{}, fmt.Errorf("config: read secret %s: %w", s.secretID, err)
	}
	if out.SecretString == nil {
		return mangopay.Credentials{}, fmt.Errorf("%w: secret %s has no string value", ErrSecretShape, s.secretID)
	}
	c, err := ParseSecret(*out.SecretString)
	if err != nil {
		return mangopay.Credentials{}, fmt.Errorf("secret %s: %w", s.secretID, err)
	}
	return c, nil
}

func (f *fetch) wait(ctx context.Context) (mangopay.Credentials, error) {
	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
		return mangopay.Credentials{}, ctx.Err()
	}
}
