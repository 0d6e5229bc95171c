package bench

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/deploy"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// Options configure a whole run.
type Options struct {
	// Root is the repository's root.
	Root string
	// Starts is the number of cold starts per function (20), Warm the
	// warm invocations per binary for its memory (100), Overhead the
	// in-process invocations per operation (1000).
	Starts, Warm, Overhead int
	// Peers is the number of sequences per client in the peer comparison.
	Peers int
	// Records are the re-check table sizes (1000, 10000, 100000).
	Records []int
	// Only limits the binaries measured to these functions (all if empty).
	Only []string
	// Log receives progress lines.
	Log *log.Logger
}

// Local is the local stack of a run: moto, the fake Mangopay and the
// counting proxies in front of them.
type Local struct {
	Moto    *awstest.Server
	Fake    *mangopaytest.Server
	Counter *Counter
	// AWSProxy and MangopayProxy are the counting proxies' URLs.
	AWSProxy, MangopayProxy string
	// AWS is a configuration talking to moto directly (default account).
	AWS     aws.Config
	servers []*http.Server
}

// Region is the region of every local configuration.
const Region = "eu-west-1"

// StartLocal starts moto, a fake Mangopay (opts) and the counting proxies.
func StartLocal(opts ...mangopaytest.Option) (*Local, error) {
	moto, err := awstest.StartServer()
	if err != nil {
		return nil, err
	}
	l := &Local{Moto: moto, Counter: NewCounter()}
	if l.Fake, err = mangopaytest.Start("127.0.0.1:0", opts...); err != nil {
		l.Close()
		return nil, err
	}
	if l.AWSProxy, err = l.proxy(moto.URL); err == nil {
		l.MangopayProxy, err = l.proxy(l.Fake.URL)
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	l.AWS = LocalConfig(moto.URL)
	return l, nil
}

// LocalConfig is an SDK configuration for a moto endpoint with static
// credentials (moto's default account).
func LocalConfig(endpoint string) aws.Config {
	return aws.Config{Region: Region, BaseEndpoint: aws.String(endpoint), HTTPClient: awshttp.NewBuildableClient(),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
}

func (l *Local) proxy(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: l.Counter.Proxy(u), ReadHeaderTimeout: 10 * time.Second}
	l.servers = append(l.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops everything StartLocal started.
func (l *Local) Close() {
	for _, s := range l.servers {
		s.Close()
	}
	if l.Fake != nil {
		l.Fake.Close()
	}
	if l.Moto != nil {
		l.Moto.Stop()
	}
}

// FunctionEnv is one function's own world for a run: a moto account of
// its own (the counting proxy adds x-moto-account-id), a fake Mangopay of
// its own, a Counter, the stack's resources and a Fixture; so that no
// function measures records or events another one left behind.
type FunctionEnv struct {
	Folder  string
	Fake    *mangopaytest.Server
	Counter *Counter
	Bin     *Binaries
	Fx      *Fixture
	servers []*http.Server
}

// NewFunctionEnv makes folder's world on the moto at motoURL (base is a
// configuration for it), in account (12 digits), running the binaries in
// dir, each with the variables the template names for it (names, by
// folder: TemplateEnvNames).
func NewFunctionEnv(ctx context.Context, motoURL string, base aws.Config, folder, account, dir, root string, names map[string][]string, out io.Writer) (*FunctionEnv, error) {
	e := &FunctionEnv{Folder: folder, Counter: NewCounter()}
	var err error
	if e.Fake, err = mangopaytest.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	moto, _ := url.Parse(motoURL)
	fake, _ := url.Parse(e.Fake.URL)
	awsProxy, err := e.serve(withAccount(e.Counter.Proxy(moto), account))
	if err != nil {
		e.Close()
		return nil, err
	}
	mpProxy, err := e.serve(e.Counter.Proxy(fake))
	if err != nil {
		e.Close()
		return nil, err
	}
	cfg := AccountConfig(base, account)
	st, err := NewStack(ctx, cfg, Fake{URL: mpProxy, ClientID: e.Fake.ClientID, APIKey: e.Fake.APIKey}, "b"+account+"-"+strconv.FormatInt(time.Now().Unix(), 36))
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Bin = &Binaries{Dir: dir, Output: out, Env: func(f string) []string { return st.Env(names[f], awsProxy, Region) }}
	e.Fx = &Fixture{Root: root, Call: e.Bin.Invoke, Fake: e.Fake, Bucket: st.Vars["PAGES_BUCKET"]}
	return e, nil
}

func withAccount(h http.Handler, account string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("x-moto-account-id", account)
		h.ServeHTTP(w, r)
	})
}

func (e *FunctionEnv) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the function's warm processes, proxies and fake.
func (e *FunctionEnv) Close() {
	if e.Bin != nil {
		e.Bin.Close()
	}
	for _, s := range e.servers {
		s.Close()
	}
	if e.Fake != nil {
		e.Fake.Close()
	}
}

// TemplateEnvNames are the environment variables template.yaml gives each
// function folder.
func TemplateEnvNames(root string) (map[string][]string, error) {
	tp, err := deploy.ReadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	names := map[string][]string{}
	for _, f := range tp.Functions() {
		for k := range tp.Env(f) {
			names[f.Folder] = append(names[f.Folder], k)
		}
	}
	return names, nil
}

// MeasureWarmAll makes each plan's FunctionEnv (returned, still open,
// for MeasureColdAll) and runs MeasureWarm in it, workers at a time: peak
// RSS is per process and the round-trip counts per env, so concurrency
// distorts neither.
func MeasureWarmAll(ctx context.Context, o Options, l *Local, dir string, plans []Plan, workers int, r *Report) ([]*FunctionEnv, error) {
	names, err := TemplateEnvNames(o.Root)
	if err != nil {
		return nil, err
	}
	var out io.Writer = io.Discard
	if os.Getenv("BENCH_FUNCTION_LOGS") != "" {
		out = os.Stderr
	}
	envs := make([]*FunctionEnv, len(plans))
	for i, p := range plans {
		if envs[i], err = NewFunctionEnv(ctx, l.Moto.URL, l.AWS, p.Folder, fmt.Sprintf("3%011d", i+1), dir, o.Root, names, out); err != nil {
			for _, e := range envs[:i] {
				e.Close()
			}
			return nil, err
		}
	}
	res := make([]Warm, len(plans))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				started := time.Now()
				w := MeasureWarm(ctx, envs[i].Bin, envs[i].Fx, envs[i].Counter, plans[i], o.Warm)
				envs[i].Bin.Close() // the fixture's helpers: started again when needed
				res[i] = w
				o.Log.Printf("warm %-28s calls %v  rss %.1f MiB  (%d failures) %s %s",
					plans[i].Folder, w.Calls, float64(w.PeakRSS)/(1<<20), w.Failures, time.Since(started).Round(time.Millisecond), w.Error)
			}
		}()
	}
	// Longest first, so that the slow ones (the refunds re-make a
	// transaction for every record they use up) do not end the phase alone.
	order := make([]int, len(plans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return warmCost(plans[order[a]]) > warmCost(plans[order[b]]) })
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	r.Warm = append(r.Warm, res...)
	sort.Slice(r.Warm, func(i, j int) bool { return r.Warm[i].Function < r.Warm[j].Function })
	return envs, nil
}

// warmCost ranks a plan's warm loop by how long it takes (measured: the
// refunds take about a second an invocation on moto, the others well under).
func warmCost(p Plan) int {
	switch {
	case strings.HasPrefix(p.Folder, "refund-"):
		return 3
	case len(p.Renew) > 0, strings.HasPrefix(p.Folder, "create-"):
		return 2
	}
	return 1
}

// MeasureColdAll cold-starts every plan's binary o.Starts times, one
// function after the other, each in its env (closed afterwards).
func MeasureColdAll(ctx context.Context, o Options, envs []*FunctionEnv, plans []Plan, r *Report) {
	for i, p := range plans {
		started := time.Now()
		e := envs[i]
		cs := MeasureColdStarts(ctx, e.Bin, e.Fx, e.Counter, p, o.Starts)
		e.Close()
		r.ColdStarts = append(r.ColdStarts, cs)
		o.Log.Printf("cold %-28s init %6.2f ms  first %6.2f ms  calls %v  (%d failures) %s %s",
			p.Folder, ms(cs.Init.Median), ms(cs.First.Median), cs.Calls, cs.Failures, time.Since(started).Round(time.Millisecond), cs.Error)
	}
	sort.Slice(r.ColdStarts, func(i, j int) bool { return r.ColdStarts[i].Function < r.ColdStarts[j].Function })
}

// errorf is fmt.Errorf prefixed with the package.
func errorf(format string, args ...any) error { return fmt.Errorf("bench: "+format, args...) }
