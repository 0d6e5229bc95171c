package operations

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// HookTag tags the hooks RegisterHooks creates.
const HookTag = "lambda-mangopay"

// RegisterReport says what RegisterHooks did, by event type.
type RegisterReport struct {
	Created  []string `json:"created"`
	Repaired []string `json:"repaired"`
	OK       []string `json:"ok"`
}

// RegisterHooks makes Mangopay call hookURL for every event type we handle
// (HookEventTypes): it creates the missing hooks and repairs those whose
// Url differs, that are DISABLED, or that went INVALID (after 100 failed
// deliveries), with PUT Url, Status ENABLED and, for an INVALID one,
// Validity VALID. Running it again changes nothing.
func (h *Hooks) RegisterHooks(ctx context.Context, hookURL string) (RegisterReport, error) {
	var rep RegisterReport
	if u, err := url.Parse(hookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return rep, fmt.Errorf("hooks: %q is not an absolute URL", hookURL)
	}
	if strings.Contains(hookURL, "?") {
		return rep, fmt.Errorf("hooks: the hook URL must not have a query (Mangopay appends its parameters)")
	}
	existing, err := h.listHooks(ctx)
	if err != nil {
		return rep, err
	}
	for _, t := range HookEventTypes() {
		hk, ok := existing[t]
		if !ok {
			if _, err := h.S.MP.CreateHook(ctx, &mangopay.HookCreate{EventType: t, URL: hookURL, Tag: HookTag}); err != nil {
				return rep, fmt.Errorf("hooks: creating the %s hook: %w", t, err)
			}
			rep.Created = append(rep.Created, t)
			continue
		}
		if hk.URL == hookURL && hk.Status == mangopay.HookStatusEnabled && hk.Validity != mangopay.HookValidityInvalid {
			rep.OK = append(rep.OK, t)
			continue
		}
		upd := &mangopay.HookUpdate{URL: hookURL, Status: mangopay.HookStatusEnabled}
		if hk.Validity == mangopay.HookValidityInvalid {
			upd.Validity = mangopay.HookValidityValid
		}
		if _, err := h.S.MP.UpdateHook(ctx, hk.ID, upd); err != nil {
			return rep, fmt.Errorf("hooks: repairing the %s hook %s: %w", t, hk.ID, err)
		}
		rep.Repaired = append(rep.Repaired, t)
	}
	return rep, nil
}

// listHooks reads every page of GET /hooks, by event type.
func (h *Hooks) listHooks(ctx context.Context) (map[string]mangopay.Hook, error) {
	all := map[string]mangopay.Hook{}
	for page := 1; ; page++ {
		p, err := h.S.MP.ListHooks(ctx, &mangopay.ListOptions{Page: page, PerPage: 100})
		if err != nil {
			return nil, fmt.Errorf("hooks: listing Mangopay's hooks (page %d): %w", page, err)
		}
		for _, hk := range p.Items {
			all[hk.EventType] = hk
		}
		if page >= p.TotalPages || len(p.Items) == 0 {
			return all, nil
		}
	}
}
