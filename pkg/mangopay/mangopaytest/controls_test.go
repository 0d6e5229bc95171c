package mangopaytest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// ctl calls a /__fake/ control (no auth) and decodes the JSON answer.
func (a *api) ctl(method, path, body string, want int) []byte {
	a.t.Helper()
	resp, b := a.raw(method, a.s.URL+"/__fake"+path, strings.NewReader(body), "Content-Type", "application/json")
	if resp.StatusCode != want {
		a.t.Fatalf("%s /__fake%s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	return b
}

func TestStandaloneControls(t *testing.T) {
	s, err := mangopaytest.Start("127.0.0.1:0", mangopaytest.WithCredentials("demo", "demo-key"),
		mangopaytest.WithClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	a := &api{t: t, s: s, hc: &http.Client{Timeout: 10 * time.Second}}
	a.token = a.newToken()
	before := len(s.Requests())

	var clock struct {
		Now int64 `json:"now"`
	}
	mustJSON(t, a.ctl("GET", "/clock", "", 200), &clock)
	if clock.Now != 1893456000 {
		t.Errorf("clock %d", clock.Now)
	}
	mustJSON(t, a.ctl("POST", "/clock/advance?seconds=60", "", 200), &clock)
	if clock.Now != 1893456060 || s.Now().Unix() != clock.Now {
		t.Errorf("advanced clock %d", clock.Now)
	}

	u, w, b := a.funded(5000)
	p1, p2 := a.payout(u, w, b, 100, 0), a.payout(u, w, b, 100, 0)
	var po obj
	mustJSON(t, a.ctl("POST", "/payouts/"+str(p1["Id"])+"/settle?status=FAILED&resultCode=121006", "", 200), &po)
	if po["ResultCode"] != "121006" {
		t.Errorf("settled payout %v", po)
	}
	a.ctl("POST", "/payouts/"+str(p1["Id"])+"/settle", "", 400)
	if got := string(a.ctl("POST", "/payouts/settle-all?status=SUCCEEDED", "", 200)); !strings.Contains(got, `"settled":1`) {
		t.Errorf("settle-all: %s", got)
	}
	if got := a.must(200, "GET", "/payouts/"+str(p2["Id"]), nil); got["Status"] != "SUCCEEDED" {
		t.Errorf("payout 2 %v", got["Status"])
	}

	doc := a.document(u, "IDENTITY_PROOF", "refuse_falsified")
	mustJSON(t, a.ctl("POST", "/documents/"+doc+"/settle", "", 200), &po)
	if po["RefusedReasonType"] != "DOCUMENT_FALSIFIED" {
		t.Errorf("settled document %v", po)
	}
	a.document(u, "IDENTITY_PROOF", "")
	if got := string(a.ctl("POST", "/documents/settle-all", "", 200)); !strings.Contains(got, `"settled":1`) {
		t.Errorf("documents settle-all: %s", got)
	}

	a.ctl("POST", "/faults", `{"method":"GET","path":"/users","status":503,"times":1}`, 200)
	if resp, _ := a.call("GET", "/users", nil); resp.StatusCode != 503 {
		t.Errorf("fault via control: %d", resp.StatusCode)
	}
	a.ctl("POST", "/faults", `{"path":"/users","latency_ms":1}`, 200)
	a.ctl("DELETE", "/faults", "", 204)

	var objs []obj
	mustJSON(t, a.ctl("GET", "/objects/payouts", "", 200), &objs)
	if len(objs) != 2 {
		t.Errorf("objects/payouts: %d", len(objs))
	}
	mustJSON(t, a.ctl("GET", "/objects/users/"+u, "", 200), &po)
	if po["Id"] != u {
		t.Errorf("objects/users/{id}: %v", po)
	}
	a.ctl("GET", "/objects/users/nope", "", 404)
	a.ctl("GET", "/objects/nonsense", "", 404)
	var cnt struct {
		Count int `json:"count"`
	}
	mustJSON(t, a.ctl("GET", "/count/wallets", "", 200), &cnt)
	if cnt.Count != 1 {
		t.Errorf("count/wallets %d", cnt.Count)
	}

	wire := a.must(200, "POST", "/payins/bankwire/direct", obj{"AuthorId": u, "CreditedWalletId": w,
		"DeclaredDebitedFunds": eur(300), "DeclaredFees": eur(0)})
	mustJSON(t, a.ctl("POST", "/payins/"+str(wire["Id"])+"/bankwire?amount=300", "", 200), &po)
	if po["Status"] != "SUCCEEDED" {
		t.Errorf("bank wire control: %v", po)
	}
	mustJSON(t, a.ctl("POST", "/users/"+u+"/kyc-level?level=LIGHT", "", 200), &po)
	if po["KYCLevel"] != "LIGHT" {
		t.Errorf("kyc-level control: %v", po)
	}
	a.ctl("POST", "/users/"+u+"/kyc-level?level=GOLD", "", 400)

	a.ctl("POST", "/tokens/expire", "", 204)
	if resp, _ := a.call("GET", "/users", nil); resp.StatusCode != 401 {
		t.Errorf("after tokens/expire: %d", resp.StatusCode)
	}
	a.ctl("GET", "/nothing", "", 404)

	// Controls are neither recorded nor rate-limited.
	for _, r := range s.Requests()[before:] {
		if strings.HasPrefix(r.Path, "/__fake") {
			t.Errorf("control recorded: %s", r.Path)
		}
	}
	var reqs []json.RawMessage
	mustJSON(t, a.ctl("GET", "/requests", "", 200), &reqs)
	if len(reqs) != len(s.Requests()) {
		t.Errorf("requests control: %d vs %d", len(reqs), len(s.Requests()))
	}
	resp, _ := a.call("GET", "/users", nil)
	made := strings.Split(resp.Header.Get("X-RateLimit"), ",")[0]
	if n, _ := strconv.Atoi(strings.TrimSpace(made)); n != len(s.Requests())-countPCI(s) {
		t.Errorf("rate-limit count %d, API requests %d", n, len(s.Requests())-countPCI(s))
	}
}

// countPCI counts the recorded requests that are not API calls.
func countPCI(s *mangopaytest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/__") {
			n++
		}
	}
	return n
}
