package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

func TestCreateNeverOverwrites(t *testing.T) {
	f := newFixture(t)
	orig := f.create(t, wallet("ext-1"))
	if orig.Version != 1 || orig.SyncState != SyncSynced || !orig.CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("create filled in %+v", orig)
	}
	f.clock.Advance(time.Minute)
	dup := wallet("ext-2")
	dup.ID = orig.ID
	dup.Wallet.Description = "intruder"
	if err := f.store.Create(f.ctx, dup); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	got, err := f.store.Get(f.ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OwnerRef != "ext-1" || got.Wallet.Description != "main" || !got.CreatedAt.Equal(orig.CreatedAt) {
		t.Fatalf("original changed: %+v", got)
	}
}

func TestCreateRejectsMalformedRecords(t *testing.T) {
	f := newFixture(t)
	for name, r := range map[string]*Record{
		"unknown kind":       {Kind: "PIZZA", OwnerRef: "x"},
		"no owner":           {Kind: KindWallet},
		"page without doc":   {Kind: KindPage, OwnerRef: "x"},
		"id of another kind": {ID: "pay_01J0000000000000000000000", Kind: KindWallet, OwnerRef: "x"},
		"raw is not JSON":    {Kind: KindWallet, OwnerRef: "x", Raw: json.RawMessage("{nope")},
		"bad sync state":     {Kind: KindWallet, OwnerRef: "x", SyncState: "MAYBE"},
	} {
		if err := f.store.Create(f.ctx, r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestGetUnknownIsNotFound(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.Get(f.ctx, "wlt_nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if _, err := f.store.GetByMangopayID(f.ctx, "wlt_m_nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("by Mangopay id: got %v, want ErrNotFound", err)
	}
}

// TestUpdateInterleaved forces the race: A reads, B reads and writes, then
// A writes. A's write must fail its version check, re-read and re-apply,
// so the record ends with both changes.
func TestUpdateInterleaved(t *testing.T) {
	f := newFixture(t)
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "ext-1", Document: &Document{Type: "IDENTITY_PROOF"}})
	aRead, bDone := make(chan struct{}), make(chan struct{})
	var aCalls atomic.Int32
	go func() {
		defer close(bDone)
		<-aRead
		if _, err := f.store.Update(f.ctx, doc.ID, func(r *Record) error {
			r.Document.Flags = append(r.Document.Flags, "B")
			return nil
		}); err != nil {
			t.Error(err)
		}
	}()
	got, err := f.store.Update(f.ctx, doc.ID, func(r *Record) error {
		if aCalls.Add(1) == 1 {
			close(aRead)
			<-bDone
		}
		r.Document.Flags = append(r.Document.Flags, "A")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if aCalls.Load() != 2 {
		t.Fatalf("A applied its change %d times, want 2 (one lost race, one retry)", aCalls.Load())
	}
	if !slices.Equal(got.Document.Flags, []string{"B", "A"}) || got.Version != 3 {
		t.Fatalf("flags %v version %d, want [B A] and 3", got.Document.Flags, got.Version)
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	for _, n := range []int{2, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFixture(t)
			w := f.create(t, wallet("ext-1"))
			var calls atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, err := f.store.Update(f.ctx, w.ID, func(r *Record) error {
						calls.Add(1)
						r.Wallet.Balance.Amount += 100
						r.Tag += fmt.Sprintf("[%d]", i)
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got, err := f.store.Get(f.ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Wallet.Balance.Amount != int64(100*n) || got.Version != int64(1+n) {
				t.Fatalf("balance %d version %d, want %d and %d", got.Wallet.Balance.Amount, got.Version, 100*n, 1+n)
			}
			for i := range n {
				if !strings.Contains(got.Tag, fmt.Sprintf("[%d]", i)) {
					t.Fatalf("change of updater %d lost: %q", i, got.Tag)
				}
			}
			t.Logf("%d updaters: %d applications (%d retried after a lost race)", n, calls.Load(), int(calls.Load())-n)
		})
	}
}

func TestUpdateRules(t *testing.T) {
	f := newFixture(t)
	w := f.create(t, wallet("ext-1"))
	if _, err := f.store.Update(f.ctx, w.ID, func(r *Record) error { r.Kind = KindCard; return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("changing the kind: got %v, want ErrInvalid", err)
	}
	boom := errors.New("boom")
	if _, err := f.store.Update(f.ctx, w.ID, func(*Record) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("fn error: got %v, want boom", err)
	}
	got, err := f.store.Update(f.ctx, w.ID, func(*Record) error { return ErrNoChange })
	if err != nil || got.Version != 1 {
		t.Errorf("ErrNoChange: got %v, %v; want version 1, no error", got, err)
	}
	if _, err := f.store.Update(f.ctx, "wlt_missing", func(*Record) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: got %v, want ErrNotFound", err)
	}
}

func TestGetByMangopayID(t *testing.T) {
	f := newFixture(t)
	p := f.create(t, payout("ext-1", ""))
	p.SyncState = SyncPending
	if _, err := f.store.GetByMangopayID(f.ctx, "po_m_42"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before Mangopay answered: got %v, want ErrNotFound", err)
	}
	if _, err := f.store.Update(f.ctx, p.ID, func(r *Record) error {
		r.MangopayID, r.Status, r.SyncState = "po_m_42", "CREATED", SyncSynced
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.GetByMangopayID(f.ctx, "po_m_42")
	if err != nil || got.ID != p.ID || got.Status != "CREATED" {
		t.Fatalf("got %+v, %v", got, err)
	}
	twin := payout("ext-2", "CREATED")
	twin.MangopayID = "po_m_42"
	f.create(t, twin)
	if _, err := f.store.GetByMangopayID(f.ctx, "po_m_42"); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("two records, one Mangopay id: got %v, want ErrAmbiguous", err)
	}
}

func TestListByOwnerPaginates(t *testing.T) {
	f := newFixture(t)
	var want []string
	for range 7 {
		want = append(want, f.create(t, wallet("alice")).ID)
		f.clock.Advance(time.Second)
		f.create(t, wallet("bob"))
	}
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "alice", Document: &Document{Type: "IDENTITY_PROOF"}})
	page := f.create(t, &Record{Kind: KindPage, OwnerRef: "alice", ParentID: doc.ID, Page: &Page{Number: 1}})

	var got []string
	var sizes []int
	token := ""
	for {
		recs, next, err := f.store.ListByOwner(f.ctx, "alice", KindWallet, 3, token)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(recs))
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("alice's wallets in pages %v: %v, want %v in creation order", sizes, got, want)
	}
	all, _, err := f.store.ListByOwner(f.ctx, "alice", "", 100, "")
	if err != nil || len(all) != 8 {
		t.Fatalf("every kind: %d records (%v), want 7 wallets and 1 document", len(all), err)
	}
	pages, _, err := f.store.ListByOwner(f.ctx, doc.ID, KindPage, 0, "")
	if err != nil || len(pages) != 1 || pages[0].ID != page.ID {
		t.Fatalf("pages of the document: %v, %v", pages, err)
	}
	_, bobToken, _ := f.store.ListByOwner(f.ctx, "bob", KindWallet, 1, "")
	if _, _, err := f.store.ListByOwner(f.ctx, "alice", KindWallet, 3, bobToken); !errors.Is(err, ErrInvalid) {
		t.Fatalf("someone else's page token: got %v, want ErrInvalid", err)
	}
}

func TestRawPayloadIsRedacted(t *testing.T) {
	f := newFixture(t)
	raw := `{"Id":"bankacc_m_1","Type":"IBAN","IBAN":"FR7630004000031234567890143","BIC":"BNPAFRPP",` +
		`"OwnerName":"Alex Smith","Nested":{"AccountNumber":"55779911"}}`
	r := f.create(t, &Record{Kind: KindBankAccount, OwnerRef: "ext-1", Raw: json.RawMessage(raw),
		BankAccount: &BankAccount{Type: "IBAN", AccountMasked: MaskIBAN("FR7630004000031234567890143"), Active: true}})
	item := f.rawItem(t, r.ID)
	stored := string(item["raw"].(*types.AttributeValueMemberB).Value)
	for _, secret := range []string{"FR7630004000031234567890143", "55779911"} {
		if strings.Contains(stored, secret) {
			t.Fatalf("stored raw payload holds %s: %s", secret, stored)
		}
	}
	if !strings.Contains(stored, `"FR76…0143"`) || !strings.Contains(stored, `"…9911"`) || !strings.Contains(stored, `"BNPAFRPP"`) {
		t.Fatalf("stored raw payload %s lacks the masked numbers or the BIC", stored)
	}
}

func TestUpdateFromStaleRecordReReadsAndKeepsBothChanges(t *testing.T) {
	f := newFixture(t)
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "ext-1", Document: &Document{Type: "IDENTITY_PROOF"}})
	stale := *doc
	if _, err := f.store.Update(f.ctx, doc.ID, func(r *Record) error {
		r.Document.Flags = append(r.Document.Flags, "B")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.UpdateFrom(f.ctx, &stale, func(r *Record) error {
		r.Document.Flags = append(r.Document.Flags, "A")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Document.Flags, []string{"B", "A"}) || got.Version != 3 {
		t.Fatalf("flags %v version %d, want [B A] and 3", got.Document.Flags, got.Version)
	}
	if len(stale.Document.Flags) != 0 {
		t.Fatalf("the caller's record was changed: %v", stale.Document.Flags)
	}
	fresh, err := f.store.UpdateFrom(f.ctx, got, func(r *Record) error { r.Status = "VALIDATED"; return nil })
	if err != nil || fresh.Version != 4 || fresh.Status != "VALIDATED" {
		t.Fatalf("update from a fresh record: %+v %v", fresh, err)
	}
}

// The SDK retries a write whose answer was lost; when the first attempt
// had been written, the retry fails its condition on our own item. That
// must count as success: a create is not ErrExists, an update is applied
// once. (Seen under load in CI: "records: create ...: already exists".)
func TestRetriedWritesAfterALostAnswerSucceedOnce(t *testing.T) {
	var faults awstest.Faults
	f := newFixtureWith(t, faults.Middleware)
	faults.DuplicateNext("DynamoDB", "PutItem", 1)
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "ext-1", Document: &Document{Type: "IDENTITY_PROOF"}})
	faults.DuplicateNext("DynamoDB", "PutItem", 1)
	calls := 0
	got, err := f.store.Update(f.ctx, doc.ID, func(r *Record) error {
		calls++
		r.Document.Flags = append(r.Document.Flags, "A")
		return nil
	})
	if err != nil || calls != 1 || !slices.Equal(got.Document.Flags, []string{"A"}) || got.Version != 2 {
		t.Fatalf("update: %+v (applied %d times) %v", got, calls, err)
	}
}
