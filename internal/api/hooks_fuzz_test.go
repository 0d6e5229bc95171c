package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
)

const fuzzHookToken = "hk_fuzz_0123456789abcdefghijklmnopqrstuvwxyz"

// FuzzHookQuery fuzzes Mangopay's hook call (GET /hooks/{token}?EventType=
// &RessourceId=&Date=): a wrong token is API Gateway's plain 404 before
// anything is decoded; with the right token, the query is accepted only
// when ReceiveHook can use it as is (Date fits Unix seconds), else it is a
// 400 naming the parameter (checkAnswer).
func FuzzHookQuery(f *testing.F) {
	for _, s := range [][4]string{
		{fuzzHookToken, "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "1700000000"},
		{fuzzHookToken, "PAYIN_NORMAL_FAILED", "", "1"},
		{fuzzHookToken, "payout_normal_succeeded", "po_m_1", "1700000000"},
		{fuzzHookToken, "PAYOUT_NORMAL_SUCCEEDED", "../../x", "1700000000"},
		{fuzzHookToken, "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "-1"},
		{fuzzHookToken, "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "99999999999999999999"},
		{fuzzHookToken, "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "1e9"},
		{"", "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "1700000000"},
		{"HK_FUZZ_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "1700000000"},
		{fuzzHookToken + "x", "PAYOUT_NORMAL_SUCCEEDED", "po_m_1", "1700000000"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	var p *probe
	for _, c := range catalog() {
		if c.name == "receive-hook" {
			p = c
		}
	}
	hooks := &operations.Hooks{Token: fuzzHookToken}
	guard := hooks.HTTPHandler(api.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, token, eventType, ressourceID, date string) {
		named := map[string]string{operations.HookTokenParam: token, "EventType": eventType, "RessourceId": ressourceID, "Date": date}
		if token != fuzzHookToken {
			// The guard answers before the operation: with no store
			// behind it, reaching the operation would panic.
			resp, err := guard(context.Background(), request(http.MethodGet, nil, named))
			if err != nil || resp.StatusCode != http.StatusNotFound || resp.Body != `{"message":"Not Found"}` {
				t.Fatalf("token %q: %d %s %v, want API Gateway's 404", token, resp.StatusCode, resp.Body, err)
			}
			return
		}
		resp := p.handle(request(http.MethodGet, nil, named))
		checkAnswer(t, p, nil, named, resp)
		if resp.StatusCode == http.StatusOK {
			if _, err := strconv.ParseInt(date, 10, 64); err != nil {
				t.Fatalf("Date %q accepted, which ReceiveHook cannot read: %v", date, err)
			}
		}
	})
}
