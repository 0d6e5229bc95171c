package records

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// TestDueForRecheckCostsPendingNotTable loads 10 000 records of which 50
// need polling and checks that finding the due ones reads those 50 items,
// while a filtered scan of the table reads all 10 000.
func TestDueForRecheckCostsPendingNotTable(t *testing.T) {
	f := newFixture(t)
	const total, pending = 10_000, 50
	now := f.clock.Now()
	recs := pendingAmongSettled(f, total, pending, now)
	start := time.Now()
	if err := batchLoad(f.ctx, f.db, recs); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d records with BatchWriteItem in %s", total, time.Since(start).Round(time.Millisecond))

	var got []Record
	var scanned int32
	token := ""
	for {
		page, err := f.store.DueForRecheck(f.ctx, BucketTransaction, now, 20, token)
		if err != nil {
			t.Fatal(err)
		}
		got, scanned, token = append(got, page.Records...), scanned+page.ScannedCount, page.Next
		if token == "" {
			break
		}
	}
	if len(got) != pending || scanned > pending+2 {
		t.Fatalf("re-check query returned %d records reading %d items; want %d and about %d, not %d",
			len(got), scanned, pending, pending, total)
	}
	for i := 1; i < len(got); i++ {
		if got[i].RecheckAt.Before(*got[i-1].RecheckAt) {
			t.Fatalf("due records not in due order at %d", i)
		}
	}
	naive := scanCount(t, f, "CREATED")
	t.Logf("re-check query read %d items for %d due; a filtered Scan read %d", scanned, len(got), naive)
	if naive < total {
		t.Fatalf("the filtered scan read %d items: expected the whole table (%d)", naive, total)
	}
}

// pendingAmongSettled makes total payouts of which pending are CREATED (one
// every total/pending), the others settled; all have a RecheckAt in the past.
func pendingAmongSettled(f *fixture, total, pending int, now time.Time) []*Record {
	recs := make([]*Record, 0, total)
	for i := range total {
		// Settled payouts without their transaction part: the load is
		// faster, and the items' size does not change what the index holds.
		// They keep a stale RecheckAt, as if polled before they settled:
		// the Store must leave them out of the index anyway.
		r := payout(fmt.Sprintf("ext-%d", i%500), "SUCCEEDED")
		r.Transaction = nil
		if i%(total/pending) == 0 {
			r = payout(fmt.Sprintf("ext-%d", i%500), "CREATED")
		}
		at := now.Add(-time.Duration(i) * time.Second)
		r.RecheckAt = &at
		r.ID, r.CreatedAt, r.UpdatedAt, r.Version = f.store.NewID(KindPayout), now, now, 1
		recs = append(recs, r)
	}
	return recs
}

// scanCount scans the table for a status, returning how many items the
// scan read: the cost a design without the sparse index would pay.
func scanCount(t *testing.T, f *fixture, status string) int32 {
	t.Helper()
	var scanned int32
	p := dynamodb.NewScanPaginator(f.db, &dynamodb.ScanInput{
		TableName:                 aws.String(testTable),
		FilterExpression:          aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": stringAV(status)},
		Select:                    types.SelectCount,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		scanned += out.ScannedCount
	}
	return scanned
}

// batchLoad writes records with BatchWriteItem, 25 at a time over four
// connections, retrying unprocessed items.
func batchLoad(ctx context.Context, db *dynamodb.Client, recs []*Record) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for start := 0; start < len(recs); start += 25 {
		batch := recs[start:min(start+25, len(recs))]
		g.Go(func() error { return writeBatch(ctx, db, batch) })
	}
	return g.Wait()
}

func writeBatch(ctx context.Context, db *dynamodb.Client, batch []*Record) error {
	reqs := make([]types.WriteRequest, 0, len(batch))
	for _, r := range batch {
		if err := normalize(r); err != nil {
			return err
		}
		av, err := toItem(r)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	for len(reqs) > 0 {
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{testTable: reqs},
		})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[testTable]
	}
	return nil
}

func TestRecordLeavesRecheckIndex(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	due, later := now.Add(-time.Minute), now.Add(time.Hour)
	p := payout("ext-1", "CREATED")
	p.RecheckAt = &due
	f.create(t, p)
	doc := &Record{Kind: KindDocument, OwnerRef: "ext-1", SyncState: SyncSynced, Status: "VALIDATION_ASKED",
		RecheckAt: &later, Document: &Document{Type: "IDENTITY_PROOF"}}
	f.create(t, doc)

	f.wantDue(t, BucketTransaction, now, p.ID)
	f.wantDue(t, BucketDocument, now)
	f.wantDue(t, BucketDocument, later, doc.ID)

	for _, id := range []string{p.ID, doc.ID} {
		r, err := f.store.Update(f.ctx, id, func(r *Record) error {
			r.Status = map[Kind]string{KindPayout: "SUCCEEDED", KindDocument: "VALIDATED"}[r.Kind]
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The final status decided an event: the record stays due until
		// it is published.
		if _, ok := f.rawItem(t, id)[AttrRecheckBucket]; !ok || len(r.Outbox) != 1 {
			t.Fatalf("%s left the re-check index with its outbox %v unpublished", id, r.Outbox)
		}
		if err := f.store.ClearOutbox(f.ctx, id, outboxIDs(r)); err != nil {
			t.Fatal(err)
		}
		item := f.rawItem(t, id)
		for _, a := range []string{AttrRecheckBucket, AttrRecheckAt} {
			if _, ok := item[a]; ok {
				t.Fatalf("%s still has %s after reaching a final status", id, a)
			}
		}
	}
	f.wantDue(t, BucketTransaction, later)
	f.wantDue(t, BucketDocument, later)
}

func TestPendingRecordIsPolledUntilAnswered(t *testing.T) {
	f := newFixture(t)
	grace := f.clock.Now().Add(2 * time.Minute)
	u := &Record{Kind: KindUserNatural, OwnerRef: "ext-1", RecheckAt: &grace, User: &User{UserCategory: "PAYER"}}
	f.create(t, u)
	f.wantDue(t, BucketOther, grace, u.ID)
	if _, err := f.store.Update(f.ctx, u.ID, func(r *Record) error {
		r.SyncState, r.MangopayID = SyncSynced, "user_m_1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.wantDue(t, BucketOther, grace)
}

func (f *fixture) wantDue(t *testing.T, bucket string, at time.Time, ids ...string) {
	t.Helper()
	page, err := f.store.DueForRecheck(f.ctx, bucket, at, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range page.Records {
		got = append(got, r.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("due in %s at %s: %v, want %v", bucket, at.Format(time.TimeOnly), got, ids)
	}
}
