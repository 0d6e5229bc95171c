package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/deploy"
	"github.com/lambda-mangopay/lambda-mangopay/internal/lambdaruntime"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// DefaultAddr is where the local HTTP API listens by default.
const DefaultAddr = "127.0.0.1:3000"

// Options configure a Stack.
type Options struct {
	// Root is the repository root (template.yaml, functions/); "" finds
	// it from the working directory.
	Root string
	// Addr is the HTTP API's listen address (DefaultAddr when ""; use
	// 127.0.0.1:0 for a free port).
	Addr string
	// Out receives what the stack started and one line per invocation;
	// nil discards them.
	Out io.Writer
	// Verbose also copies the functions' own log lines to Out.
	Verbose bool
	// Clock runs the schedules on the local clock (make run); without it
	// they run only on demand.
	Clock bool
	// SkipBuild uses the binaries already in BinDir.
	SkipBuild bool
	// MangopayBaseURL, MangopayClientID and MangopayAPIKey point the
	// functions at a real Mangopay (all three, or none for the fake).
	MangopayBaseURL, MangopayClientID, MangopayAPIKey string
	// RetryDelay is how soon a failed SQS message is delivered again
	// (default 1 s; the template's visibility timeouts are minutes).
	RetryDelay time.Duration
}

// Stack is the function set running on this machine.
type Stack struct {
	// APIURL is the local HTTP API, e.g. http://127.0.0.1:3000.
	APIURL string
	// MotoURL is moto_server's URL (AWS_ENDPOINT_URL of the functions).
	MotoURL string
	// Fake is the fake Mangopay (nil with a real Mangopay).
	Fake *mangopaytest.Server
	// MangopayURL is the Mangopay base URL the functions use.
	MangopayURL string
	// TableName, BucketName, SecretARN and HookToken are the local values.
	TableName, BucketName, SecretARN, HookToken string
	// QueueURLs are the template's queues by logical id.
	QueueURLs map[string]string
	// OutcomesURL is the queue receiving every event of the local bus.
	OutcomesURL string
	// Functions are the template's functions, by name.
	Functions map[string]*FunctionSpec

	opts    Options
	root    string
	moto    *awstest.Server
	aws     clients
	awsCfg  aws.Config
	srv     *http.Server
	routes  []route
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	out     *lineWriter
	logDir  string
	pools   map[string]*lambdaruntime.Function
	closeMu sync.Once

	mu          sync.Mutex
	outcomes    []Outcome
	invocations int
	changed     chan struct{} // closed and replaced after each invocation and event
}

// Outcome is one event received on the local bus.
type Outcome struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// Start starts the whole stack; Close stops it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Root == "" {
		if opts.Root, err = Root("."); err != nil {
			return nil, err
		}
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	real := opts.MangopayBaseURL != "" || opts.MangopayClientID != "" || opts.MangopayAPIKey != ""
	if real && (opts.MangopayBaseURL == "" || opts.MangopayClientID == "" || opts.MangopayAPIKey == "") {
		return nil, errors.New("a real Mangopay needs MANGOPAY_BASE_URL, MANGOPAY_CLIENT_ID and MANGOPAY_API_KEY")
	}
	t, err := deploy.ReadTemplate(filepath.Join(opts.Root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	s := &Stack{opts: opts, root: opts.Root, out: &lineWriter{w: opts.Out}, QueueURLs: map[string]string{},
		Functions: map[string]*FunctionSpec{}, pools: map[string]*lambdaruntime.Function{}, changed: make(chan struct{}),
		logDir: filepath.Join(opts.Root, "build", "local", "logs")}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("local API on %s: %w (another make run? set ADDR)", opts.Addr, err)
	}
	s.APIURL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}

	buildErr := make(chan error, 1)
	names := map[string]bool{}
	for _, f := range t.Functions() {
		names[f.Folder] = true
	}
	go func() {
		if opts.SkipBuild {
			buildErr <- nil
			return
		}
		var list []string
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		buildErr <- Build(ctx, opts.Root, list)
	}()

	if s.moto, err = awstest.StartServer(); err != nil {
		<-buildErr
		ln.Close()
		return nil, err
	}
	s.MotoURL = s.moto.URL
	s.awsCfg = aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.MotoURL), HTTPClient: awshttp.NewBuildableClient()}
	s.aws = newClients(s.awsCfg)

	clientID, apiKey := opts.MangopayClientID, opts.MangopayAPIKey
	s.MangopayURL = opts.MangopayBaseURL
	if !real {
		if s.Fake, err = mangopaytest.Start("127.0.0.1:0"); err != nil {
			<-buildErr
			ln.Close()
			return nil, fmt.Errorf("fake Mangopay: %w", err)
		}
		s.MangopayURL, clientID, apiKey = s.Fake.URL, s.Fake.ClientID, s.Fake.APIKey
	}
	if s.SecretARN, err = createSecret(ctx, s.aws, clientID, apiKey); err != nil {
		<-buildErr
		ln.Close()
		return nil, err
	}
	s.HookToken = randomToken()
	if err := s.createResources(ctx, t); err != nil {
		<-buildErr
		ln.Close()
		return nil, err
	}
	if err := <-buildErr; err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		ln.Close()
		return nil, err
	}
	for name, f := range s.Functions {
		s.pools[name] = &lambdaruntime.Function{Concurrency: 4, Config: lambdaruntime.Config{Name: name,
			Binary: filepath.Join(BinDir(opts.Root), name), Env: s.envList(f), Timeout: f.Timeout, MemoryMB: f.MemoryMB,
			Output: s.functionOutput(name)}}
	}
	if err := s.compileRoutes(); err != nil {
		ln.Close()
		return nil, err
	}
	go s.srv.Serve(ln)
	s.startPollers()
	if opts.Clock {
		s.startClock()
	}
	if s.Fake != nil {
		// Mangopay must know where to call: the fake's hooks go to
		// receive-hook's route on the local API (never to a real
		// Mangopay, which cannot reach 127.0.0.1).
		if _, err := s.RunSchedule(ctx, "register-hooks", nil); err != nil {
			return nil, fmt.Errorf("registering the hooks at the fake: %w", err)
		}
	}
	s.printStarted()
	return s, nil
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// createResources creates what the template declares and resolves every
// function's environment to the local values.
func (s *Stack) createResources(ctx context.Context, t *deploy.Template) error {
	params := map[string]string{"MangopayBaseUrl": s.MangopayURL, "MangopaySecretArn": s.SecretARN, "EventBusName": BusName,
		"HookToken": s.HookToken}
	r := newResolver(t, params)
	queues := Queues(t)
	urls, err := createQueues(ctx, s.aws, queues)
	if err != nil {
		return err
	}
	for id, u := range urls {
		s.QueueURLs[id] = u
		r.refs[id] = u
		r.arns[id] = queueARN(id)
	}
	tables := resourcesOfType(t, "AWS::DynamoDB::Table")
	for _, id := range tables {
		name := StackName + "-" + id
		if n, err := r.str(t.Resources[id].Properties["TableName"]); err == nil && n != "" {
			name = n
		}
		if err := createTable(ctx, s.aws, t, id, name); err != nil {
			return err
		}
		r.refs[id], r.arns[id] = name, "arn:aws:dynamodb:"+Region+":"+AccountID+":table/"+name
		s.TableName = name
	}
	for _, id := range resourcesOfType(t, "AWS::S3::Bucket") {
		name, err := r.str(t.Resources[id].Properties["BucketName"])
		if err != nil || name == "" {
			name = strings.ToLower(StackName + "-" + id)
		}
		if err := createBucket(ctx, s.aws, t, id, name); err != nil {
			return err
		}
		r.refs[id], r.arns[id] = name, "arn:aws:s3:::"+name
		s.BucketName = name
	}
	for _, id := range resourcesOfType(t, "AWS::Serverless::HttpApi") {
		r.refs[id] = apiSentinel
	}
	for _, f := range t.Functions() {
		r.refs[f.LogicalID] = f.Folder
	}
	if s.OutcomesURL, err = createBus(ctx, s.aws, BusName, OutcomesQueue); err != nil {
		return err
	}
	specs, err := functionSpecs(t, r)
	if err != nil {
		return err
	}
	apiHost := "https://" + apiSentinel + ".execute-api." + Region + ".amazonaws.com"
	var all []FunctionSpec
	for i := range specs {
		f := &specs[i]
		for k, v := range f.Env {
			f.Env[k] = strings.ReplaceAll(v, apiHost, s.APIURL)
		}
		s.Functions[f.Name] = f
		all = append(all, *f)
	}
	uploads, err := notifyUploads(ctx, s.aws, s.BucketName, all)
	if err != nil {
		return err
	}
	for name, u := range uploads {
		s.QueueURLs["s3:"+name] = u
	}
	return nil
}

// envList is a function's process environment: its template variables
// and what points the SDK at moto (no AWS_CA_BUNDLE: Lambda has none).
func (s *Stack) envList(f *FunctionSpec) []string {
	env := []string{"AWS_ENDPOINT_URL=" + s.MotoURL, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_SESSION_TOKEN=", "AWS_REGION=" + Region, "AWS_DEFAULT_REGION=" + Region, "AWS_EC2_METADATA_DISABLED=true"}
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+f.Env[k])
	}
	return env
}

// Env is a function's process environment (KEY=value), as Invoke runs it.
func (s *Stack) Env(name string) []string {
	f, ok := s.Functions[name]
	if !ok {
		return nil
	}
	return s.envList(f)
}

// functionOutput writes a function's log lines to build/local/logs/<name>.log
// and, verbose, to Out prefixed with its name.
func (s *Stack) functionOutput(name string) io.Writer {
	var ws []io.Writer
	if f, err := os.OpenFile(filepath.Join(s.logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err == nil {
		ws = append(ws, &lineWriter{w: f, prefix: ""})
	}
	if s.opts.Verbose {
		ws = append(ws, &lineWriter{w: s.out, prefix: "  " + name + " | "})
	}
	return io.MultiWriter(ws...)
}

// ErrUnknownFunction is returned for a name the template does not have.
var ErrUnknownFunction = errors.New("local: no such function in template.yaml")

// Invoke runs one event on a function, as Lambda does, and logs it on
// one line (trigger says what invoked it).
func (s *Stack) Invoke(ctx context.Context, name, trigger string, payload []byte) (lambdaruntime.Result, error) {
	return s.invoke(ctx, name, trigger, payload, false)
}

// invoke is Invoke; a background invocation (a queue, a notification, a
// schedule) wakes Await's waiters.
func (s *Stack) invoke(ctx context.Context, name, trigger string, payload []byte, background bool) (lambdaruntime.Result, error) {
	p, ok := s.pools[name]
	if !ok {
		return lambdaruntime.Result{}, fmt.Errorf("%w: %s", ErrUnknownFunction, name)
	}
	res, err := p.Invoke(ctx, payload)
	s.logInvocation(name, trigger, res, err)
	s.mu.Lock()
	s.invocations++
	if background {
		s.tick()
	}
	s.mu.Unlock()
	return res, err
}

// tick wakes Await's waiters; s.mu is held.
func (s *Stack) tick() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Await re-evaluates cond after each background invocation (a queue's, a
// notification's, a schedule's) and each event received
// until it holds, fails or ctx ends: how the demo and the tests wait for
// what the queues, hooks and notifications do in the background.
func (s *Stack) Await(ctx context.Context, cond func() (bool, error)) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Invocations counts the invocations so far.
func (s *Stack) Invocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invocations
}

func (s *Stack) logInvocation(name, trigger string, res lambdaruntime.Result, err error) {
	status := "ok"
	switch {
	case err != nil:
		status = "FAILED: " + err.Error()
	case res.Err != nil:
		status = "ERROR " + res.Err.Type + ": " + truncate(res.Err.Message, 120)
	default:
		status = summarize(res.Payload)
	}
	cold := ""
	if res.Cold {
		cold = fmt.Sprintf("  (cold start, init %s)", res.Init.Round(100*time.Microsecond))
	}
	fmt.Fprintf(s.out, "%s %-27s %-34s %s  %s%s\n", time.Now().Format("15:04:05.000"), name, truncate(trigger, 34), status,
		res.Duration.Round(100*time.Microsecond), cold)
}

// summarize says what an answer is: an HTTP status, batch failures, or ok.
func summarize(payload []byte) string {
	var probe struct {
		StatusCode *int              `json:"statusCode"`
		Failures   []json.RawMessage `json:"batchItemFailures"`
	}
	if json.Unmarshal(payload, &probe) == nil {
		switch {
		case probe.StatusCode != nil:
			return fmt.Sprintf("→ %d", *probe.StatusCode)
		case len(probe.Failures) > 0:
			return fmt.Sprintf("→ %d batch item failure(s)", len(probe.Failures))
		}
	}
	return "→ ok"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func (s *Stack) printStarted() {
	o := s.out
	fmt.Fprintf(o, "lambda-mangopay local stack (%d functions from template.yaml)\n", len(s.Functions))
	fmt.Fprintf(o, "  HTTP API      %s  (%d routes; control: POST %s/__local/schedules/<function>[/<event>], GET %s/__local/outcomes)\n",
		s.APIURL, len(s.routes), s.APIURL, s.APIURL)
	if s.Fake != nil {
		fmt.Fprintf(o, "  Mangopay fake %s  (controls: %s/__fake/..., client id %s)\n", s.MangopayURL, s.MangopayURL, s.Fake.ClientID)
	} else {
		fmt.Fprintf(o, "  Mangopay      %s  (real; hooks not registered: it cannot reach 127.0.0.1)\n", s.MangopayURL)
	}
	fmt.Fprintf(o, "  AWS (moto)    %s  table %s, bucket %s, %d queues, secret %s, bus %s\n", s.MotoURL, s.TableName,
		s.BucketName, len(s.QueueURLs), s.SecretARN, BusName)
	fmt.Fprintf(o, "  logs          %s/<function>.log\n", s.logDir)
}

// Close stops everything the stack started: pollers, the API, the
// functions' processes, the fake and moto_server.
func (s *Stack) Close() error {
	s.closeMu.Do(func() {
		s.cancel()
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.srv.Shutdown(ctx)
			cancel()
		}
		s.wg.Wait()
		for _, p := range s.pools {
			p.Close()
		}
		if s.Fake != nil {
			s.Fake.Close()
		}
		if s.moto != nil {
			s.moto.Stop()
		}
	})
	return nil
}

// Outcomes returns the events received on the local bus so far.
func (s *Stack) Outcomes() []Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Outcome{}, s.outcomes...)
}

// WaitOutcome waits until an event satisfying match has been received.
func (s *Stack) WaitOutcome(ctx context.Context, match func(Outcome) bool) (Outcome, error) {
	for {
		s.mu.Lock()
		for _, o := range s.outcomes {
			if match(o) {
				s.mu.Unlock()
				return o, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
	}
}

func (s *Stack) addOutcome(o Outcome) {
	s.mu.Lock()
	s.outcomes = append(s.outcomes, o)
	s.tick()
	s.mu.Unlock()
}

// lineWriter writes whole lines, with a prefix, safely from many
// goroutines.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		if _, err := io.WriteString(l.w, l.prefix+string(l.buf[:i+1])); err != nil {
			return len(p), err
		}
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}
