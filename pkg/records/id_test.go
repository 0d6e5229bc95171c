package records

import (
	"regexp"
	"testing"
	"time"
)

func TestIDsSortByTimeAndStayOrderedWithinAMillisecond(t *testing.T) {
	c := newClock()
	g := NewIDGenerator(c.Now)
	valid := regexp.MustCompile(`^pay_[0-9A-HJKMNP-TV-Z]{26}$`)
	prev := ""
	for i := range 1000 {
		if i%100 == 0 {
			c.Advance(time.Millisecond)
		}
		id := g.New(KindPayIn)
		if !valid.MatchString(id) {
			t.Fatalf("id %q is not <prefix>_<26 Crockford base32>", id)
		}
		if id <= prev {
			t.Fatalf("id %d %q does not sort after %q", i, id, prev)
		}
		prev = id
	}
	a := NewIDGenerator(func() time.Time { return time.UnixMilli(1) }).ULID()
	b := NewIDGenerator(func() time.Time { return time.UnixMilli(2) }).ULID()
	if a[:10] != "0000000001" || b[:10] != "0000000002" || a >= b {
		t.Fatalf("time part: %s then %s", a, b)
	}
}

func TestIdempotencyKeyFitsMangopay(t *testing.T) {
	id := NewIDGenerator(nil).New(KindPayout)
	key := IdempotencyKey(id)
	if !regexp.MustCompile(`^[A-Za-z0-9-]{16,36}$`).MatchString(key) {
		t.Fatalf("IdempotencyKey(%q) = %q: Mangopay wants 16 to 36 letters, digits or dashes", id, key)
	}
	if k, ok := KindOfID(id); !ok || k != KindPayout {
		t.Fatalf("KindOfID(%q) = %s, %v", id, k, ok)
	}
}
