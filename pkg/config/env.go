package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Env is the configuration read from environment variables at cold start.
// The Mangopay credentials are not here: they come from the secret named
// by SecretID (see SecretCredentials).
type Env struct {
	// TableName is the records table (TABLE_NAME).
	TableName string
	// PagesBucket is the KYC pages bucket (PAGES_BUCKET).
	PagesBucket string
	// PagesKMSKeyID, when set, encrypts pages with this KMS key instead of
	// SSE-S3 (PAGES_KMS_KEY_ID).
	PagesKMSKeyID string
	// SecretID is the ARN or name of the credentials secret
	// (MANGOPAY_SECRET_ARN or MANGOPAY_SECRET_ID).
	SecretID string
	// SecretTTL is how long the credentials are cached (SECRET_TTL, 5m).
	SecretTTL time.Duration
	// MangopayBaseURL is the API host without /v2.01 (MANGOPAY_BASE_URL).
	MangopayBaseURL string
	// MangopayDebug logs Mangopay calls, redacted (MANGOPAY_DEBUG).
	MangopayDebug bool
	// EventBusName receives our events, e.g. payout outcomes
	// (EVENT_BUS_NAME, optional).
	EventBusName string
	// PayoutOutcomeQueueURL receives payout outcomes
	// (PAYOUT_OUTCOME_QUEUE_URL, optional).
	PayoutOutcomeQueueURL string
	// OperationQueueURL is the function's own queue, where an async create
	// hands over its work (OPERATION_QUEUE_URL, set for functions with a
	// queue).
	OperationQueueURL string
	// DeadLetterQueueURL receives the function's messages that can never
	// succeed, with the reason (DEAD_LETTER_QUEUE_URL).
	DeadLetterQueueURL string
	// MaxReceiveCount is the maxReceiveCount of the function's queues'
	// RedrivePolicy (MAX_RECEIVE_COUNT, 0 = unknown): at a message's last
	// reception a transient failure is dead-lettered with its reason
	// rather than redriven by SQS without one.
	MaxReceiveCount int
	// HookToken is the secret path segment of the hook URL Mangopay calls
	// (HOOK_TOKEN, at least 32 letters, digits, - or _; receive-hook only).
	HookToken string
	// HookQueueURL is where received hook notifications are queued for
	// processing (HOOK_QUEUE_URL, receive-hook only).
	HookQueueURL string
	// HookURL is the deployed hook URL registered at Mangopay (HOOK_URL,
	// register-hooks only).
	HookURL string
}

// DefaultSecretTTL is SECRET_TTL's default.
const DefaultSecretTTL = 5 * time.Minute

// Problem is one missing or malformed environment variable.
type Problem struct {
	Name   string
	Reason string
}

// EnvError lists every missing or malformed variable found by FromEnv.
type EnvError struct {
	Problems []Problem
}

// Error lists every problem, "NAME: reason", separated by semicolons.
func (e *EnvError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Name + ": " + p.Reason
	}
	return fmt.Sprintf("config: %d environment variable(s) missing or malformed: %s",
		len(e.Problems), strings.Join(parts, "; "))
}

// Load is FromEnv over the process environment.
func Load() (Env, error) { return FromEnv(os.Getenv) }

// FromEnv reads and validates the configuration once, at cold start. Its
// error (an *EnvError) names every variable that is missing or malformed,
// not just the first. Values are echoed only for variables that hold no
// secret.
func FromEnv(getenv func(string) string) (Env, error) {
	p := &parser{getenv: getenv}
	e := Env{
		TableName:             p.match("TABLE_NAME", true, tableName, "a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ - .)"),
		PagesBucket:           p.match("PAGES_BUCKET", true, bucketName, "an S3 bucket name (3 to 63 of a-z 0-9 . -)"),
		PagesKMSKeyID:         p.match("PAGES_KMS_KEY_ID", false, noSpace, "a KMS key id, alias or ARN"),
		SecretID:              p.secretID(),
		SecretTTL:             p.duration("SECRET_TTL", DefaultSecretTTL, time.Second, 24*time.Hour),
		MangopayBaseURL:       p.baseURL("MANGOPAY_BASE_URL"),
		MangopayDebug:         p.boolean("MANGOPAY_DEBUG"),
		EventBusName:          p.match("EVENT_BUS_NAME", false, noSpace, "an EventBridge bus name or ARN"),
		PayoutOutcomeQueueURL: p.queueURL("PAYOUT_OUTCOME_QUEUE_URL"),
		OperationQueueURL:     p.queueURL("OPERATION_QUEUE_URL"),
		DeadLetterQueueURL:    p.queueURL("DEAD_LETTER_QUEUE_URL"),
		MaxReceiveCount:       p.integer("MAX_RECEIVE_COUNT", 1, 1000),
		HookToken:             p.secretMatch("HOOK_TOKEN", hookToken, "at least 32 letters, digits, - or _"),
		HookQueueURL:          p.queueURL("HOOK_QUEUE_URL"),
		HookURL:               p.match("HOOK_URL", false, hookURL, "an https URL (plain http only to 127.0.0.1) ending in /hooks/<token>"),
	}
	if len(p.problems) > 0 {
		return Env{}, &EnvError{Problems: p.problems}
	}
	return e, nil
}

var (
	tableName    = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	bucketName   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	noSpace      = regexp.MustCompile(`^\S{1,1000}$`)
	secretARN    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$`)
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	hookToken    = regexp.MustCompile(`^[A-Za-z0-9_-]{32,128}$`)
	// hookURL: https, or plain http to 127.0.0.1 for the local stack
	// (internal/local), as for MANGOPAY_BASE_URL.
	hookURL = regexp.MustCompile(`^(https://\S+|http://127\.0\.0\.1(:[0-9]{1,5})?)/hooks/[A-Za-z0-9_-]{32,128}$`)
)

// parser reads variables and collects their problems.
type parser struct {
	getenv   func(string) string
	problems []Problem
}

func (p *parser) fail(name, format string, args ...any) {
	p.problems = append(p.problems, Problem{Name: name, Reason: fmt.Sprintf(format, args...)})
}

func (p *parser) get(name string) string { return strings.TrimSpace(p.getenv(name)) }

// match reads a variable that must match re (described by what).
func (p *parser) match(name string, required bool, re *regexp.Regexp, what string) string {
	v := p.get(name)
	switch {
	case v == "" && required:
		p.fail(name, "missing: set it to %s", what)
	case v != "" && !re.MatchString(v):
		p.fail(name, "%s is not %s", quote(v), what)
	}
	return v
}

// secretMatch is match for a variable holding a secret: its value is never
// echoed in the error.
func (p *parser) secretMatch(name string, re *regexp.Regexp, what string) string {
	v := p.get(name)
	if v != "" && !re.MatchString(v) {
		p.fail(name, "is not %s (value not shown: it is a secret)", what)
	}
	return v
}

func (p *parser) secretID() string {
	arn, id := p.get("MANGOPAY_SECRET_ARN"), p.get("MANGOPAY_SECRET_ID")
	switch {
	case arn == "" && id == "":
		p.fail("MANGOPAY_SECRET_ARN", "missing: set it (or MANGOPAY_SECRET_ID) to the Secrets Manager secret holding the Mangopay credentials")
	case arn != "" && id != "" && arn != id:
		p.fail("MANGOPAY_SECRET_ID", "conflicts with MANGOPAY_SECRET_ARN: set only one of them")
	case arn != "" && !secretARN.MatchString(arn):
		p.fail("MANGOPAY_SECRET_ARN", "%s is not a Secrets Manager secret ARN", quote(arn))
	case arn == "" && !secretNameRE.MatchString(id) && !secretARN.MatchString(id):
		p.fail("MANGOPAY_SECRET_ID", "%s is not a secret name or ARN", quote(id))
	}
	if arn != "" {
		return arn
	}
	return id
}

func (p *parser) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := p.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.fail(name, "%s is not a duration such as 5m or 30s", quote(v))
	case d < lo || d > hi:
		p.fail(name, "%s is outside %s to %s", v, lo, hi)
	}
	return d
}

// integer reads a whole number in lo..hi; 0 when unset.
func (p *parser) integer(name string, lo, hi int) int {
	v := p.get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.fail(name, "%s is not a whole number", quote(v))
	case n < lo || n > hi:
		p.fail(name, "%d is outside %d to %d", n, lo, hi)
	}
	return n
}

func (p *parser) boolean(name string) bool {
	v := p.get(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "%s is not a boolean (true, false, 1 or 0)", quote(v))
	}
	return b
}

// baseURL reads the Mangopay host: https, or http to 127.0.0.1 for a
// local fake, without the API version.
func (p *parser) baseURL(name string) string {
	v := p.get(name)
	if v == "" {
		p.fail(name, "missing: set it to https://api.sandbox.mangopay.com or https://api.mangopay.com")
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		p.fail(name, "%s is not a URL such as https://api.mangopay.com", quote(v))
	case u.Scheme != "https" && !(u.Scheme == "http" && u.Hostname() == "127.0.0.1"):
		p.fail(name, "%s must use https (plain http only to 127.0.0.1)", quote(v))
	case strings.Trim(u.Path, "/") != "":
		p.fail(name, "%s has a path: give the host only, the client adds /v2.01/<client id>", quote(v))
	}
	return strings.TrimRight(v, "/")
}

func (p *parser) queueURL(name string) string {
	v := p.get(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && u.Hostname() == "127.0.0.1")) {
		p.fail(name, "%s is not an https SQS queue URL", quote(v))
	}
	return v
}

// quote shows a (non-secret) value, cut to a readable length.
func quote(v string) string {
	const max = 80
	if len(v) > max {
		v = v[:max] + "…"
	}
	return strconv.Quote(v)
}
