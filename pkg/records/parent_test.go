package records

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func refund(owner, parent string) *Record {
	return &Record{
		Kind: KindRefund, OwnerRef: owner, ParentID: parent, SyncState: SyncSynced, Status: "SUCCEEDED",
		Transaction: &Transaction{Type: "PAYOUT", Nature: "REFUND", DebitedFunds: Money{Amount: 100, Currency: "EUR"},
			Fees: Money{Currency: "EUR"}, CreditedFunds: Money{Amount: 100, Currency: "EUR"}},
	}
}

// listAllByParent pages through ListByParent with pages of limit records
// and returns the ids, and the size of each page.
func listAllByParent(t *testing.T, f *fixture, parent string, kind Kind, limit int) (ids []string, sizes []int) {
	t.Helper()
	token := ""
	for {
		recs, next, err := f.store.ListByParent(f.ctx, parent, kind, limit, token)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(recs))
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if next == "" {
			return ids, sizes
		}
		token = next
	}
}

func TestListByParent(t *testing.T) {
	f := newFixture(t)
	payA, payB := f.store.NewID(KindPayIn), f.store.NewID(KindPayIn)
	user := f.create(t, &Record{Kind: KindUserNatural, OwnerRef: "alice", SyncState: SyncSynced})
	var refundsA, refundsB []string
	var payout *Record
	for i := range 7 {
		refundsA = append(refundsA, f.create(t, refund("alice", payA)).ID)
		f.clock.Advance(time.Second)
		// the same owner's refunds of another pay-in, interleaved
		refundsB = append(refundsB, f.create(t, refund("alice", payB)).ID)
		f.clock.Advance(time.Second)
		if i < 2 {
			// a kind not listed by parent, with the same parent
			payout = f.create(t, &Record{Kind: KindPayout, OwnerRef: "alice", ParentID: payA, SyncState: SyncSynced})
		}
	}
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "alice", ParentID: user.ID, Document: &Document{Type: "IDENTITY_PROOF"}})
	noParent := f.create(t, wallet("alice"))

	tests := []struct {
		name   string
		parent string
		kind   Kind
		limit  int
		want   []string
		sizes  []int
	}{
		{"one transaction's refunds, paged by 3", payA, KindRefund, 3, refundsA, []int{3, 3, 1}},
		{"the other transaction's refunds", payB, KindRefund, 0, refundsB, []int{7}},
		{"a user's documents", user.ID, KindDocument, 0, []string{doc.ID}, []int{1}},
		{"a kind the parent has none of", payA, KindDocument, 0, nil, []int{0}},
		{"an unknown parent", "pay_none", KindRefund, 0, nil, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, sizes := listAllByParent(t, f, tc.parent, tc.kind, tc.limit)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v in creation order", got, tc.want)
			}
			// A last page may come back empty when the previous one was full.
			if !slices.Equal(sizes, tc.sizes) && !slices.Equal(sizes, append(slices.Clone(tc.sizes), 0)) {
				t.Fatalf("page sizes %v, want %v", sizes, tc.sizes)
			}
		})
	}

	t.Run("every kind of a parent", func(t *testing.T) {
		all, _, err := f.store.ListByParent(f.ctx, payA, "", 100, "")
		if err != nil || len(all) != 7 {
			t.Fatalf("every kind: %d records (%v), want the 7 refunds (payouts are not listed by parent)", len(all), err)
		}
		if _, _, err := f.store.ListByParent(f.ctx, payA, KindPayout, 100, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("listing payouts by parent: %v, want ErrInvalid", err)
		}
	})
	t.Run("a record without a parent is not in the index", func(t *testing.T) {
		if _, ok := f.rawItem(t, noParent.ID)[AttrParent]; ok {
			t.Fatalf("wallet without ParentID stored with %s", AttrParent)
		}
		if _, ok := f.rawItem(t, payout.ID)[AttrParent]; ok {
			t.Fatalf("a payout (a kind not listed by parent) stored with %s: one more index write for nothing", AttrParent)
		}
		if got := f.rawItem(t, doc.ID)[AttrParent]; got == nil || got.(*types.AttributeValueMemberS).Value != user.ID {
			t.Fatalf("document stored with %s %v, want %s", AttrParent, got, user.ID)
		}
	})
	t.Run("reads only that parent's records", func(t *testing.T) {
		f.calls.Reset()
		if _, _, err := f.store.ListByParent(f.ctx, payA, KindRefund, 0, ""); err != nil {
			t.Fatal(err)
		}
		// by_owner would read alice's 14 refunds to find payA's 7.
		if n := f.calls.ItemsRead(dynamodb.ServiceID, "Query"); n != 7 {
			t.Fatalf("items read %d, want 7", n)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		_, ownerToken, err := f.store.ListByOwner(f.ctx, "alice", KindRefund, 1, "")
		if err != nil || ownerToken == "" {
			t.Fatalf("owner token %q %v", ownerToken, err)
		}
		_, bToken, _ := f.store.ListByParent(f.ctx, payB, KindRefund, 1, "")
		for name, call := range map[string]func() error{
			"empty parent":             func() error { _, _, err := f.store.ListByParent(f.ctx, "", KindRefund, 0, ""); return err },
			"another parent's token":   func() error { _, _, err := f.store.ListByParent(f.ctx, payA, KindRefund, 1, bToken); return err },
			"a by_owner token":         func() error { _, _, err := f.store.ListByParent(f.ctx, payA, KindRefund, 1, ownerToken); return err },
			"a by_parent token, owner": func() error { _, _, err := f.store.ListByOwner(f.ctx, "alice", KindRefund, 1, bToken); return err },
		} {
			if err := call(); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: got %v, want ErrInvalid", name, err)
			}
		}
	})
}

// forgetParent makes a record look as written before by_parent existed.
func (f *fixture) forgetParent(t *testing.T, id string) {
	t.Helper()
	_, err := f.db.UpdateItem(f.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(testTable), Key: pkKey(id), UpdateExpression: aws.String("REMOVE #p"),
		ExpressionAttributeNames: map[string]string{"#p": AttrParent},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackfillParentMigratesOlderRecords(t *testing.T) {
	f := newFixture(t)
	pay := f.store.NewID(KindPayIn)
	var legacy []string
	for range 5 {
		r := f.create(t, refund("alice", pay))
		f.forgetParent(t, r.ID)
		legacy = append(legacy, r.ID)
		f.clock.Advance(time.Second)
	}
	fresh := f.create(t, refund("alice", pay)) // written with parent already
	f.create(t, wallet("alice"))               // no ParentID: nothing to do
	// A kind not listed by parent, with a ParentID: left out of the index.
	f.create(t, &Record{Kind: KindPayout, OwnerRef: "alice", ParentID: pay, SyncState: SyncSynced})
	if _, err := f.store.BeginIdempotent(f.ctx, "refund-payin", "key-1", "fp", pay); err != nil {
		t.Fatal(err) // not a record: left alone
	}
	// A legacy record rewritten by the Store gets its parent back without
	// the backfill.
	rewritten := legacy[0]
	if _, err := f.store.Update(f.ctx, rewritten, func(r *Record) error { r.Tag = "touched"; return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := listAllByParent(t, f, pay, KindRefund, 0)
	if !slices.Equal(before, []string{rewritten, fresh.ID}) {
		t.Fatalf("before the backfill: %v, want only the rewritten and the new refund", before)
	}

	dry, err := BackfillParent(f.ctx, f.db, testTable, true)
	if err != nil || dry.Missing != 4 || dry.Updated != 0 {
		t.Fatalf("dry run: %+v %v, want 4 missing, none updated", dry, err)
	}
	versions := map[string]int64{}
	for _, id := range legacy {
		r, err := f.store.Get(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		versions[id] = r.Version
	}
	st, err := BackfillParent(f.ctx, f.db, testTable, false)
	if err != nil || st.Missing != 4 || st.Updated != 4 || st.Skipped != 0 || st.Scanned < 8 {
		t.Fatalf("backfill: %+v %v, want 4 missing and updated of at least 8 scanned", st, err)
	}
	after, _ := listAllByParent(t, f, pay, KindRefund, 0)
	if !slices.Equal(after, append(slices.Clone(legacy), fresh.ID)) {
		t.Fatalf("after the backfill: %v, want %v then %s", after, legacy, fresh.ID)
	}
	for _, id := range legacy {
		if r, err := f.store.Get(f.ctx, id); err != nil || r.Version != versions[id] {
			t.Fatalf("%s: version %d (%v), want %d: the backfill must not change the record", id, r.Version, err, versions[id])
		}
	}
	again, err := BackfillParent(f.ctx, f.db, testTable, false)
	if err != nil || again.Missing != 0 || again.Updated != 0 {
		t.Fatalf("second run: %+v %v, want nothing to do", again, err)
	}
}

// TestBackfillParentLosesToAConcurrentChange: an item changed between the
// scan and the update (here its ParentID, which no code changes, to make
// the race visible) is skipped, not overwritten.
func TestBackfillParentLosesToAConcurrentChange(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, refund("alice", "pay_a"))
	f.forgetParent(t, r.ID)
	racing := &racingScan{BackfillAPI: f.db, before: func() {
		_, err := f.db.UpdateItem(f.ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(testTable), Key: pkKey(r.ID), UpdateExpression: aws.String("SET parent_id = :x"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":x": stringAV("pay_b")},
		})
		if err != nil {
			t.Error(err)
		}
	}}
	st, err := BackfillParent(f.ctx, racing, testTable, false)
	if err != nil || st.Missing != 1 || st.Skipped != 1 || st.Updated != 0 {
		t.Fatalf("backfill: %+v %v, want 1 skipped", st, err)
	}
	if _, ok := f.rawItem(t, r.ID)[AttrParent]; ok {
		t.Fatal("the changed item was given a parent")
	}
}

// racingScan runs before after each Scan answer, before any update.
type racingScan struct {
	BackfillAPI
	before func()
}

func (r *racingScan) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := r.BackfillAPI.Scan(ctx, in, opts...)
	r.before()
	return out, err
}
