package bench

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

var root = filepath.Join("..", "..")

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		in     []time.Duration
		p      float64
		want   time.Duration
		median time.Duration
	}{
		{"one", ms(7), 90, 7 * time.Millisecond, 7 * time.Millisecond},
		{"ten p90 is the 9th", ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), 90, 9 * time.Millisecond, 5 * time.Millisecond},
		{"ten p99 is the max", ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), 99, 10 * time.Millisecond, 5 * time.Millisecond},
		{"four p50 is the 2nd", ms(4, 3, 2, 1), 50, 2 * time.Millisecond, 2 * time.Millisecond},
		{"empty", nil, 50, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.in)
			sorted := append([]time.Duration(nil), tc.in...)
			sortDurations(sorted)
			if got := Percentile(sorted, tc.p); got != tc.want {
				t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
			if s.Median != tc.median || s.N != len(tc.in) {
				t.Errorf("Summarize = %+v, want median %v of %d", s, tc.median, len(tc.in))
			}
		})
	}
}

func sortDurations(d []time.Duration) {
	for i := range d {
		for j := i + 1; j < len(d); j++ {
			if d[j] < d[i] {
				d[i], d[j] = d[j], d[i]
			}
		}
	}
}

func TestClassify(t *testing.T) {
	req := func(method, url string, h map[string]string) *http.Request {
		r, _ := http.NewRequest(method, url, nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		r       *http.Request
		service string
		op      string
	}{
		{req("POST", "http://x/", map[string]string{"X-Amz-Target": "DynamoDB_20120810.TransactWriteItems"}), DynamoDB, "TransactWriteItems"},
		{req("POST", "http://x/", map[string]string{"X-Amz-Target": "AmazonSQS.SendMessage"}), SQS, "SendMessage"},
		{req("POST", "http://x/", map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue"}), SecretsManager, "GetSecretValue"},
		{req("POST", "http://x/", map[string]string{"X-Amz-Target": "AWSEvents.PutEvents"}), EventBridge, "PutEvents"},
		{req("PUT", "http://x/bucket/key", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=..."}), S3, "PUT"},
		{req("PUT", "http://x/bucket/key?X-Amz-Signature=abc", nil), S3, "PUT"},
		{req("POST", "http://x/v2.01/oauth/token", nil), Token, "POST oauth/token"},
		{req("POST", "http://x/v2.01/client/users/natural", nil), Mangopay, "POST users"},
		{req("GET", "http://x/v2.01/client/payins/123", nil), Mangopay, "GET payins"},
		{req("POST", "http://x/__fake/payouts/1/settle", nil), Other, "POST /__fake/payouts/1/settle"},
	} {
		s, op := Classify(tc.r)
		if s != tc.service || op != tc.op {
			t.Errorf("%s %s: %s %q, want %s %q", tc.r.Method, tc.r.URL, s, op, tc.service, tc.op)
		}
	}
}

// TestCounterCountsWhatItClaims runs a create and a read in-process and
// checks the counter against the fake's own request log and awstest's
// SDK-level Counter.
func TestCounterCountsWhatItClaims(t *testing.T) {
	ctx := context.Background()
	cfg, sdk := awstest.CountingConfig(t)
	fake := mangopaytest.NewServer(t)
	in, err := NewInProcess(ctx, cfg, fake, awstest.UniqueName(t, "b"), root)
	if err != nil {
		t.Fatal(err)
	}
	c, fx := in.Counter, in.Fixture
	for i, file := range []string{"create-natural-user.json", "create-natural-user.json", "get-user.json"} {
		ev, err := fx.Event(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		sdk.Reset()
		c.Reset()
		before := len(fake.Requests())
		if _, err := fx.Call(ctx, FolderOf(file), ev); err != nil {
			t.Fatal(err)
		}
		got := c.Counts()
		var mp, token int
		for _, r := range fake.Requests()[before:] {
			if strings.HasSuffix(r.Path, "/oauth/token") {
				token++
			} else {
				mp++
			}
		}
		if got[Mangopay] != mp || got[Token] != token {
			t.Errorf("%d %s: counted Mangopay %d token %d, the fake saw %d and %d", i, file, got[Mangopay], got[Token], mp, token)
		}
		snap := sdk.Snapshot()
		for svc, name := range map[string]string{DynamoDB: "DynamoDB", SQS: "SQS", SecretsManager: "Secrets Manager", EventBridge: "EventBridge", S3: "S3"} {
			want := 0
			for k, v := range snap {
				if strings.HasPrefix(k, name+".") {
					want += v
				}
			}
			if got[svc] != want {
				t.Errorf("%d %s: counted %s %d, the SDK sent %d (%s)", i, file, svc, got[svc], want, sdk)
			}
		}
		if i == 0 && (got[Token] != 1 || got[SecretsManager] != 1 || got[Mangopay] != 1) {
			t.Errorf("first create: %v, want one token, one secret and one Mangopay call", got)
		}
		if i == 1 && (got[Token] != 0 || got[SecretsManager] != 0 || got[Mangopay] != 1) {
			t.Errorf("warm create: %v, want no token or secret and one Mangopay call", got)
		}
		if i == 2 && (got[Mangopay] != 0 || got[DynamoDB] == 0) {
			t.Errorf("stored read: %v, want DynamoDB only", got)
		}
		if c.Wait() <= 0 {
			t.Errorf("%s: no wait time measured", file)
		}
	}
}

// TestCounterWaitIsTheUnionOfCalls: overlapping calls count once.
func TestCounterWaitIsTheUnionOfCalls(t *testing.T) {
	now := time.Unix(0, 0)
	c := &Counter{now: func() time.Time { return now }}
	r, _ := http.NewRequest("GET", "http://x/v2.01/c/users/1", nil)
	c.begin(r) // t=0
	now = now.Add(10 * time.Millisecond)
	c.begin(r) // t=10, overlapping
	now = now.Add(10 * time.Millisecond)
	c.end() // t=20
	now = now.Add(10 * time.Millisecond)
	c.end() // t=30: busy 0..30
	now = now.Add(50 * time.Millisecond)
	c.begin(r) // t=80
	now = now.Add(5 * time.Millisecond)
	c.end() // t=85
	if got := c.Wait(); got != 35*time.Millisecond {
		t.Errorf("Wait = %v, want 35ms", got)
	}
	if got := c.Counts()[Mangopay]; got != 3 {
		t.Errorf("Mangopay = %d, want 3", got)
	}
}

// TestReportHasEverySectionAndMarksMisses.
func TestReportHasEverySectionAndMarksMisses(t *testing.T) {
	r := &Report{Machine: Machine{CPU: "Test CPU", Cores: 2, Go: "go1.26", OS: "linux/amd64"},
		Sizes:      []Size{{Function: "small", Binary: 8 << 20, Zip: 3 << 20}, {Function: "big", Binary: 13 << 20, Zip: 4 << 20}},
		ColdStarts: []ColdStart{{Function: "fast", Init: Summary{N: 20, Median: 10 * time.Millisecond, P90: 12 * time.Millisecond}, First: Summary{N: 20, Median: 20 * time.Millisecond, P90: 30 * time.Millisecond}}},
		Warm:       []Warm{{Function: "create-x", Calls: map[string]int{Mangopay: 2, DynamoDB: 4}, PeakRSS: 20 << 20}},
		Overhead:   []Overhead{{Function: "get-user", Overhead: Summary{N: 1000, Median: 400 * time.Microsecond}}},
		Rechecks:   []Recheck{{Records: 1000, Pending: 10, ItemsRead: 10, Checked: 10, Calls: map[string]int{Mangopay: 10}, Took: time.Second}},
	}
	var b strings.Builder
	r.WriteMarkdown(&b)
	md := b.String()
	for _, want := range []string{"Test CPU", "## 1. Cold start", "## 2. Size", "## 3. Round trips", "## 4. Own overhead", "## 5. Memory", "## 6. Re-check", "## 7. Peer", "## Targets missed",
		"| big | 13.00 MiB | 4.00 MiB | ❌ **missed** |", "| small | 8.00 MiB | 3.00 MiB | ✅ |", "Size: 1 functions over target", "Round trips: 1 functions"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Cold start: ") {
		t.Errorf("a met cold start target is reported missed")
	}
}
