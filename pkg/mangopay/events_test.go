package mangopay_test

import (
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

func TestListEventsWithFilters(t *testing.T) {
	f := newFixture(t)
	start := f.srv.Now().Unix()
	_, _, first := f.funded(1000, 0)
	f.srv.Advance(time.Hour)
	mid := f.srv.Now().Unix()
	f.srv.Advance(time.Hour)
	_, _, second := f.funded(2000, 0)

	all := must(f.c.ListEvents(f.ctx, &mangopay.ListOptions{Filters: mangopay.EventFilters(mangopay.EventPayInNormalSucceeded, 0, 0)}))(t)
	if all.TotalItems != 2 || len(all.Items) != 2 {
		t.Fatalf("PAYIN_NORMAL_SUCCEEDED events = %d (total %d)", len(all.Items), all.TotalItems)
	}
	for _, e := range all.Items {
		if e.EventType != mangopay.EventPayInNormalSucceeded || e.Date < start || (e.ResourceID != first.ID && e.ResourceID != second.ID) {
			t.Fatalf("event = %+v", e)
		}
	}
	later := must(f.c.ListEvents(f.ctx, &mangopay.ListOptions{Filters: mangopay.EventFilters(mangopay.EventPayInNormalSucceeded, mid, 0)}))(t)
	if len(later.Items) != 1 || later.Items[0].ResourceID != second.ID {
		t.Fatalf("events after %d = %+v", mid, later.Items)
	}
	earlier := must(f.c.ListEvents(f.ctx, &mangopay.ListOptions{Filters: mangopay.EventFilters(mangopay.EventPayInNormalSucceeded, 0, mid)}))(t)
	if len(earlier.Items) != 1 || earlier.Items[0].ResourceID != first.ID {
		t.Fatalf("events before %d = %+v", mid, earlier.Items)
	}
	page := must(f.c.ListEvents(f.ctx, &mangopay.ListOptions{PerPage: 1, Page: 2, Filters: mangopay.EventFilters(mangopay.EventPayInNormalSucceeded, 0, 0)}))(t)
	if page.TotalItems != 2 || page.TotalPages != 2 || len(page.Items) != 1 || page.Items[0].ResourceID != first.ID { // newest first by default
		t.Fatalf("page 2 of 1 = %+v (total %d, pages %d)", page.Items, page.TotalItems, page.TotalPages)
	}
}
