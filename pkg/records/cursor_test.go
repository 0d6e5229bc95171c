package records

import (
	"errors"
	"testing"
	"time"
)

func TestCursorOnlyMovesForward(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.GetCursor(f.ctx, "reconcile"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unset cursor: got %v, want ErrNotFound", err)
	}
	t1 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	if err := f.store.SetCursor(f.ctx, "reconcile", t1); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetCursor(f.ctx, "reconcile", t1.Add(-time.Hour)); !errors.Is(err, ErrConflict) {
		t.Fatalf("moving back: got %v, want ErrConflict", err)
	}
	if err := f.store.SetCursor(f.ctx, "reconcile", t1.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.GetCursor(f.ctx, "reconcile")
	if err != nil || !got.Equal(t1.Add(time.Hour)) {
		t.Fatalf("cursor = %v %v, want %v", got, err, t1.Add(time.Hour))
	}
	if _, err := f.store.GetCursor(f.ctx, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatal("cursors are separate by name")
	}
}
