// Package coldstart builds, once per Lambda cold start, everything a
// function needs: configuration checked from the environment, AWS clients,
// the Mangopay client with its credentials from Secrets Manager, the
// records and pages stores, and the operations service.
package coldstart

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/outcomes"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/config"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/pages"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// Deps are a function's dependencies.
type Deps struct {
	Env     config.Env
	Log     *slog.Logger
	Service *operations.Service
	// Hooks receives, processes and registers Mangopay hooks, and
	// reconciles what no hook delivered.
	Hooks *operations.Hooks
	// Outcomes publishes the events records' status changes decide; the
	// re-check calls its Publish for due records whose Outbox is not empty.
	Outcomes *outcomes.Publisher
	// API is what the HTTP and queue handlers need.
	API api.Deps
	// Prefetched is closed when the prefetch of the Mangopay credentials
	// and token (WithPrefetch) has ended, whatever its result; nil
	// without a prefetch.
	Prefetched <-chan struct{}
}

// MustLoad builds the dependencies from the process environment, or logs
// what is wrong and exits (Lambda then reports an init error). Each
// function's main says whether it prefetches the Mangopay credentials and
// token (WithPrefetch(true) or WithPrefetch(false)); without the option
// nothing is prefetched and the first Mangopay call fetches both.
func MustLoad(ctx context.Context, opts ...Option) *Deps {
	log := Logger()
	env, err := config.Load()
	if err == nil {
		var cfg aws.Config
		if cfg, err = awsconfig.LoadDefaultConfig(ctx); err == nil {
			var d *Deps
			if d, err = New(ctx, env, cfg, log, opts...); err == nil {
				return d
			}
		}
	}
	log.Error("cold start failed", "error", err.Error())
	os.Exit(1)
	return nil
}

// Logger is the JSON logger every function uses: one line per event, at
// the level Lambda's logging configuration sets (AWS_LAMBDA_LOG_LEVEL).
func Logger() *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(strings.ToUpper(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))))
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// Option changes how New builds the dependencies.
type Option func(*options)

type options struct {
	mangopayHTTP *http.Client
	prefetch     bool
}

// WithPrefetch(true) starts reading the Mangopay credentials from Secrets
// Manager and fetching an OAuth token in the background as New returns,
// so that the first invocation does not wait for both before its first
// Mangopay call (it shares the fetches under way). It never blocks or
// fails the cold start: a failed prefetch is logged, and the first call
// fetches again. It is for functions whose every invocation calls
// Mangopay (creates, updates, hook processing, the hook jobs, the reads
// that always re-read at Mangopay). WithPrefetch(false), the default, is
// for those that usually do not: the reads served from the stored record
// (Mangopay only on ?refresh=true), receive-hook, and the scheduled
// re-checks (nothing due most runs, and nobody waits on them); their
// first Mangopay call, if any, reads the secret and gets the token.
func WithPrefetch(on bool) Option {
	return func(o *options) { o.prefetch = on }
}

// prefetchTimeout bounds the background prefetch.
const prefetchTimeout = 10 * time.Second

// WithMangopayHTTPClient makes the Mangopay client send its calls through
// c (a benchmark counts and times them there); default: the client's own.
func WithMangopayHTTPClient(c *http.Client) Option {
	return func(o *options) { o.mangopayHTTP = c }
}

// New builds the dependencies from a checked environment and AWS config.
func New(ctx context.Context, env config.Env, cfg aws.Config, log *slog.Logger, opts ...Option) (*Deps, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	mp, err := mangopay.New(mangopay.Config{
		HTTPClient:  o.mangopayHTTP,
		BaseURL:     env.MangopayBaseURL,
		Credentials: config.NewSecretCredentials(sm, env.SecretID, config.WithTTL(env.SecretTTL)),
		Tokens:      mangopay.NewTokenCache(),
		Debug:       env.MangopayDebug,
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("coldstart: Mangopay client: %w", err)
	}
	q := sqs.NewFromConfig(cfg)
	// Outcome events go to EVENT_BUS_NAME (the default bus when unset),
	// payout outcomes also to PAYOUT_OUTCOME_QUEUE_URL when set. The store
	// calls the publisher after each write that decided events.
	publisher := &outcomes.Publisher{EventBridge: eventbridge.NewFromConfig(cfg), Bus: env.EventBusName, Log: log}
	if env.PayoutOutcomeQueueURL != "" {
		publisher.PayoutQueue = api.Queue{Client: q, URL: env.PayoutOutcomeQueueURL}
	}
	store := records.New(dynamodb.NewFromConfig(cfg), env.TableName, records.WithAfterWrite(publisher.Hook))
	publisher.Records = store
	svc := &operations.Service{
		MP:      mp,
		Records: store,
		Pages:   &pages.Store{S3: s3.NewFromConfig(cfg), Bucket: env.PagesBucket, SSE: pages.SSE{KMSKeyID: env.PagesKMSKeyID}},
	}
	d := &Deps{Env: env, Log: log, Service: svc, Outcomes: publisher, API: api.Deps{
		Claims: store, IDs: store, Log: log,
		Queue:           api.Queue{Client: q, URL: env.OperationQueueURL},
		DeadLetters:     api.Queue{Client: q, URL: env.DeadLetterQueueURL},
		MaxReceiveCount: env.MaxReceiveCount,
	}}
	d.Hooks = &operations.Hooks{S: svc, Token: env.HookToken, Queue: api.Queue{Client: q, URL: env.HookQueueURL}}
	if o.prefetch {
		done := make(chan struct{})
		d.Prefetched = done
		go prefetch(context.WithoutCancel(ctx), mp, log, done)
	}
	return d, nil
}

// prefetch warms the Mangopay client and closes done.
func prefetch(ctx context.Context, mp *mangopay.Client, log *slog.Logger, done chan<- struct{}) {
	defer close(done)
	ctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
	defer cancel()
	if err := mp.Warm(ctx); err != nil {
		log.Warn("prefetching the Mangopay credentials and token failed; the first call fetches them again", "error", err.Error())
	}
}

// Exit logs why a function cannot start and exits (Lambda reports an init
// error).
func (d *Deps) Exit(err error) {
	d.Log.Error("cold start failed", "error", err.Error())
	os.Exit(1)
}
