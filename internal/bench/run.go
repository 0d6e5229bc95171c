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

// Binaries measures the real bootstraps: sizes (arm64), cold starts,
// round trips of a warm invocation and peak memory (amd64, this machine).
func MeasureBinaries(ctx context.Context, o Options, r *Report) error {
	folders, err := Folders(o.Root)
	if err != nil {
		return err
	}
	build := filepath.Join(o.Root, "build", "bench")
	o.Log.Printf("building %d functions for arm64 and amd64 into %s", len(folders), build)
	for _, arch := range []string{"arm64", "amd64"} {
		if err := Build(ctx, o.Root, filepath.Join(build, arch), arch); err != nil {
			return err
		}
	}
	if r.Sizes, err = Sizes(filepath.Join(build, "arm64"), folders); err != nil {
		return err
	}
	if len(o.Only) > 0 {
		folders = o.Only
	}
	tp, err := deploy.ReadTemplate(filepath.Join(o.Root, "template.yaml"))
	if err != nil {
		return err
	}
	l, err := StartLocal()
	if err != nil {
		return err
	}
	defer l.Close()
	st, err := NewStack(ctx, l.AWS, Fake{URL: l.MangopayProxy, ClientID: l.Fake.ClientID, APIKey: l.Fake.APIKey}, "bench-"+strconv.FormatInt(time.Now().Unix(), 36))
	if err != nil {
		return err
	}
	names := map[string][]string{}
	for _, f := range tp.Functions() {
		for k := range tp.Env(f) {
			names[f.Folder] = append(names[f.Folder], k)
		}
	}
	var out io.Writer = io.Discard
	if os.Getenv("BENCH_FUNCTION_LOGS") != "" {
		out = os.Stderr
	}
	b := &Binaries{Dir: filepath.Join(build, "amd64"), Output: out,
		Env: func(folder string) []string { return st.Env(names[folder], l.AWSProxy, Region) }}
	defer b.Close()
	fx := &Fixture{Root: o.Root, Call: b.Invoke, Fake: l.Fake, Bucket: st.Vars["PAGES_BUCKET"]}
	plans, err := Plans(o.Root, folders)
	if err != nil {
		return err
	}
	for _, p := range plans {
		started := time.Now()
		cs := MeasureColdStarts(ctx, b, fx, l.Counter, p, o.Starts)
		w := MeasureWarm(ctx, b, fx, l.Counter, p, o.Warm)
		r.ColdStarts = append(r.ColdStarts, cs)
		r.Warm = append(r.Warm, w)
		o.Log.Printf("%-28s init %6.2f ms  first %6.2f ms  warm calls %v  rss %.1f MiB  (%d+%d failures) %s",
			p.Folder, ms(cs.Init.Median), ms(cs.First.Median), w.Calls, float64(w.PeakRSS)/(1<<20), cs.Failures, w.Failures, time.Since(started).Round(time.Millisecond))
		if cs.Error != "" || w.Error != "" {
			o.Log.Printf("  errors: %s | %s", cs.Error, w.Error)
		}
	}
	sort.Slice(r.ColdStarts, func(i, j int) bool { return r.ColdStarts[i].Function < r.ColdStarts[j].Function })
	return nil
}

// errorf is fmt.Errorf prefixed with the package.
func errorf(format string, args ...any) error { return fmt.Errorf("bench: "+format, args...) }
