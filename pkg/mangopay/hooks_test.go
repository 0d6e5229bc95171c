package mangopay_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestHooksCRUD(t *testing.T) {
	f := newFixture(t)
	h := must(f.c.CreateHook(f.ctx, &mangopay.HookCreate{EventType: mangopay.EventPayInNormalSucceeded, URL: "https://127.0.0.1:1/payin", Tag: "payins"}))(t)
	wantPrefix(t, "hook", h.ID, "hook_m_")
	if h.EventType != mangopay.EventPayInNormalSucceeded || h.URL != "https://127.0.0.1:1/payin" ||
		h.Status != mangopay.HookStatusEnabled || h.Validity != mangopay.HookValidityValid || h.Tag != "payins" {
		t.Fatalf("hook = %+v", h)
	}
	_, err := f.c.CreateHook(f.ctx, &mangopay.HookCreate{EventType: mangopay.EventPayInNormalSucceeded, URL: "https://127.0.0.1:1/other"})
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.Fields["EventType"] == "" {
		t.Fatalf("second hook for the same EventType: want a 400 on EventType, got %v", err)
	}
	up := must(f.c.UpdateHook(f.ctx, h.ID, &mangopay.HookUpdate{Status: mangopay.HookStatusDisabled, URL: "https://127.0.0.1:1/v2"}))(t)
	if up.Status != mangopay.HookStatusDisabled || up.URL != "https://127.0.0.1:1/v2" || up.Tag != "payins" {
		t.Fatalf("updated hook = %+v", up)
	}
	if got := must(f.c.GetHook(f.ctx, h.ID))(t); got.Status != mangopay.HookStatusDisabled {
		t.Fatalf("GetHook = %+v", got)
	}
	must(f.c.CreateHook(f.ctx, &mangopay.HookCreate{EventType: mangopay.EventPayoutNormalSucceeded, URL: "https://127.0.0.1:1/payout"}))(t)
	page := must(f.c.ListHooks(f.ctx, &mangopay.ListOptions{PerPage: 1}))(t)
	if page.TotalItems != 2 || page.TotalPages != 2 || len(page.Items) != 1 {
		t.Fatalf("hooks page = %d items, total %d, pages %d", len(page.Items), page.TotalItems, page.TotalPages)
	}
}

func TestHookIsCalledOnEvent(t *testing.T) {
	var mu sync.Mutex
	var calls []map[string]string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		calls = append(calls, map[string]string{"method": r.Method, "EventType": q.Get("EventType"), "RessourceId": q.Get("RessourceId")})
		mu.Unlock()
	}))
	defer rcv.Close()
	f := newFixture(t)
	must(f.c.CreateHook(f.ctx, &mangopay.HookCreate{EventType: mangopay.EventPayInNormalSucceeded, URL: rcv.URL + "/mangopay"}))(t)
	_, _, p := f.funded(1000, 0)
	f.srv.WaitHooks()
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || calls[0]["method"] != http.MethodGet || calls[0]["EventType"] != mangopay.EventPayInNormalSucceeded || calls[0]["RessourceId"] != p.ID {
		t.Fatalf("hook calls = %v", calls)
	}
}
