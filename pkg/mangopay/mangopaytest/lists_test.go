package mangopaytest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func TestPagination(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	var ids []string
	for range 25 {
		ids = append(ids, a.wallet(u, "EUR"))
	}
	l, h := a.list("/users/" + u + "/wallets")
	if len(l) != 10 || h.Get("X-Number-Of-Items") != "25" || h.Get("X-Number-Of-Pages") != "3" {
		t.Fatalf("default page: %d items, headers %v", len(l), h)
	}
	if l[0]["Id"] != ids[24] {
		t.Errorf("default order is CreationDate:DESC; first = %v", l[0]["Id"])
	}
	link := h.Get("Link")
	for _, rel := range []string{`rel="first"`, `rel="next"`, `rel="last"`} {
		if !strings.Contains(link, rel) {
			t.Errorf("Link %q has no %s", link, rel)
		}
	}
	if strings.Contains(link, `rel="prev"`) || !strings.Contains(link, "page=2&per_page=10>; rel=\"next\"") {
		t.Errorf("Link on page 1: %q", link)
	}
	l, h = a.list("/users/" + u + "/wallets?page=3&per_page=10&Sort=CreationDate:ASC")
	if len(l) != 5 || l[4]["Id"] != ids[24] || strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("last page ascending: %d items, Link %q", len(l), h.Get("Link"))
	}
	if l, _ = a.list("/users/" + u + "/wallets?page=9"); len(l) != 0 {
		t.Errorf("page past the end: %d items", len(l))
	}
	if l, h = a.list("/users/" + u + "/wallets?per_page=100"); len(l) != 25 || h.Get("X-Number-Of-Pages") != "1" {
		t.Errorf("per_page=100: %d", len(l))
	}
	for _, q := range []string{"per_page=101", "per_page=0", "page=0", "page=x", "Sort=Name:ASC", "Sort=CreationDate:UP", "BeforeDate=yesterday"} {
		a.apiErr(400, "param_error", "GET", "/users/"+u+"/wallets?"+q, nil)
	}
}

func TestEventsList(t *testing.T) {
	a := newAPI(t)
	start := a.s.Now().Unix()
	u := a.owner()
	a.document(u, "IDENTITY_PROOF", "accept")
	a.advance(time.Hour)
	_ = a.s.SettleAllDocuments()
	l, _ := a.list("/events?EventType=KYC_CREATED,KYC_SUCCEEDED&Sort=CreationDate:ASC")
	if len(l) != 2 || l[0]["EventType"] != "KYC_CREATED" || l[1]["EventType"] != "KYC_SUCCEEDED" || l[0]["ResourceId"] == nil {
		t.Fatalf("events: %v", l)
	}
	if l, _ = a.list("/events?eventtype=USER_KYC_REGULAR&afterDate=" + strconv.FormatInt(start+1, 10)); len(l) != 1 {
		t.Errorf("USER_KYC_REGULAR after the start: %v", l)
	}
	if l, _ = a.list("/events?BeforeDate=" + strconv.FormatInt(start+1, 10)); len(l) != 2 {
		t.Errorf("events before the hour: %v", l)
	}
	old := strconv.FormatInt(a.s.Now().Unix()-46*24*3600, 10)
	a.apiErr(400, "param_error", "GET", "/events?AfterDate="+old, nil, "AfterDate")
	if n := a.s.Count("events"); n != 4 {
		t.Errorf("Count(events) = %d", n)
	}
}

func TestRateLimits(t *testing.T) {
	a := newAPI(t, mangopaytest.WithRateLimits([4]int{3, 5, 100, 1000}, true), mangopaytest.WithTokenLifetime(time.Hour))
	now := a.s.Now().Unix()
	// newAPI's token call counts: this is the 2nd call.
	resp, _ := a.call("GET", "/users", nil)
	if got := resp.Header.Get("X-RateLimit"); got != "2, 2, 2, 2" {
		t.Errorf("X-RateLimit %q", got)
	}
	if got := resp.Header.Get("X-RateLimit-Remaining"); got != "1, 3, 98, 998" {
		t.Errorf("X-RateLimit-Remaining %q", got)
	}
	want := []int64{now + 900, now + 1800, now + 3600, now + 86400}
	for i, v := range strings.Split(resp.Header.Get("X-RateLimit-Reset"), ",") {
		if n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64); n != want[i] {
			t.Errorf("Reset[%d] = %s, want %d", i, v, want[i])
		}
	}
	a.must(200, "GET", "/users", nil)
	resp, b := a.call("GET", "/users", nil)
	if resp.StatusCode != 429 || !strings.Contains(string(b), `"Type":"rate_limit"`) || !strings.Contains(string(b), `"errors":null`) ||
		!strings.HasPrefix(resp.Header.Get("X-RateLimit-Remaining"), "0,") {
		t.Fatalf("over the 15-minute limit: %d %s %v", resp.StatusCode, b, resp.Header)
	}
	a.s.Advance(15 * time.Minute)
	a.must(200, "GET", "/users", nil)
	a.must(200, "GET", "/users", nil)
	// The 30-minute window (5) is now full.
	resp, _ = a.call("GET", "/users", nil)
	if resp.StatusCode != 429 {
		t.Errorf("over the 30-minute limit: %d", resp.StatusCode)
	}
	a.s.Advance(15 * time.Minute)
	a.must(200, "GET", "/users", nil)
}
