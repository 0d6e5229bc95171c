package records

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const testTable = "records"

// clock is a settable clock for the Store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a Store over a fresh table in the test's own moto account.
type fixture struct {
	store *Store
	db    *dynamodb.Client
	calls *awstest.Counter
	clock *clock
	ctx   context.Context
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, opts...)
}

// newFixtureWith is newFixture with an extra middleware on the DynamoDB
// client (e.g. awstest.Faults), nil for none.
func newFixtureWith(t *testing.T, mw func(*middleware.Stack) error, opts ...Option) *fixture {
	t.Helper()
	t.Parallel()
	ctx := t.Context()
	cfg, calls := awstest.CountingConfig(t)
	if mw != nil {
		cfg.APIOptions = append(cfg.APIOptions, mw)
	}
	db := dynamodb.NewFromConfig(cfg)
	if err := EnsureTable(ctx, db, testTable); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	s := New(db, testTable, append([]Option{WithClock(c.Now)}, opts...)...)
	return &fixture{store: s, db: db, calls: calls, clock: c, ctx: ctx}
}

// rawItem reads an item as stored, bypassing the Store.
func (f *fixture) rawItem(t *testing.T, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.GetItem(f.ctx, &dynamodb.GetItemInput{
		TableName: aws.String(testTable), Key: pkKey(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func (f *fixture) create(t *testing.T, r *Record) *Record {
	t.Helper()
	if err := f.store.Create(f.ctx, r); err != nil {
		t.Fatalf("create %s: %v", r.Kind, err)
	}
	return r
}

func wallet(owner string) *Record {
	return &Record{
		Kind: KindWallet, OwnerRef: owner, SyncState: SyncSynced,
		Wallet: &Wallet{Description: "main", Currency: "EUR", Balance: Money{Amount: 0, Currency: "EUR"}},
	}
}

func payout(owner, status string) *Record {
	return &Record{
		Kind: KindPayout, OwnerRef: owner, SyncState: SyncSynced, Status: status,
		Transaction: &Transaction{
			Type: "PAYOUT", Nature: "REGULAR", AuthorID: "user_m_1", DebitedWalletID: "wlt_m_1",
			DebitedFunds: Money{Amount: 1260, Currency: "EUR"}, Fees: Money{Currency: "EUR"},
			CreditedFunds: Money{Amount: 1260, Currency: "EUR"}, BankAccountID: "bankacc_m_1",
		},
	}
}
