package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// MangopayLimits are Mangopay's call limits per 15 min, 30 min, 1 h and
// 24 h (mangopay-api.md).
var MangopayLimits = [4]int{2300, 4500, 8800, 105600}

// MeasureOverheadAll measures, in this process against a moto account
// of its own, each OverheadOps operation's own overhead.
func MeasureOverheadAll(ctx context.Context, o Options, l *Local, r *Report) error {
	suffix := strconv.FormatInt(time.Now().Unix(), 36)
	cfg := AccountConfig(l.AWS, "100000000001")
	in, err := NewInProcess(ctx, cfg, l.Fake, "overhead-"+suffix, o.Root)
	if err != nil {
		return err
	}
	call, fx, c := in.Fixture.Call, in.Fixture, in.Counter
	for _, op := range OverheadOps {
		ov := MeasureOverhead(ctx, call, fx, c, op, o.Overhead)
		o.Log.Printf("overhead %-22s median %.3f ms p99 %.3f ms (wall median %.2f ms) %s", op, ms(ov.Overhead.Median), ms(ov.Overhead.P99), ms(ov.Wall.Median), ov.Error)
		r.Overhead = append(r.Overhead, ov)
	}
	return nil
}

// MeasureRechecks measures the re-check's scaling at each of o.Records,
// each table in a moto account of its own, on a moto_server of its own
// (stopped at the end: 100 000 records make a moto slow for everyone
// else, and a second moto process uses the second core).
func MeasureRechecks(ctx context.Context, o Options, r *Report) {
	moto, err := awstest.StartServer()
	if err != nil {
		r.Rechecks = append(r.Rechecks, Recheck{Error: err.Error()})
		return
	}
	defer moto.Stop()
	l := &Local{AWS: LocalConfig(moto.URL)}
	suffix := strconv.FormatInt(time.Now().Unix(), 36)
	for i, n := range o.Records {
		rc := Recheck{Records: n, Pending: n / 100}
		if err := recheckScale(ctx, o.Root, l.AWS, fmt.Sprintf("1000000001%02d", i), suffix, &rc); err != nil {
			rc.Error = err.Error()
		}
		o.Log.Printf("re-check %6d records (%d pending): read %d, re-checked %d, queued %d, calls %v in %s (seeded in %s) %s",
			n, rc.Pending, rc.ItemsRead, rc.Checked, rc.Queued, rc.Calls, rc.Took.Round(time.Millisecond), rc.SeedTook.Round(time.Millisecond), rc.Error)
		r.Rechecks = append(r.Rechecks, rc)
	}
}

// recheckScale seeds a table of rc.Records items, rc.Pending of them due
// pay-ins, and runs the re-check once against a fake with 50 ms latency
// and Mangopay's rate limits enforced.
func recheckScale(ctx context.Context, root string, base aws.Config, account, suffix string, rc *Recheck) error {
	fake, err := mangopaytest.Start("127.0.0.1:0", mangopaytest.WithLatency(50*time.Millisecond), mangopaytest.WithRateLimits(MangopayLimits, true))
	if err != nil {
		return err
	}
	defer fake.Close()
	cfg := AccountConfig(base, account)
	in, err := NewInProcess(ctx, cfg, fake, "recheck-"+account+"-"+suffix, root)
	if err != nil {
		return err
	}
	st, c, d, fx := in.Stack, in.Counter, in.Deps, in.Fixture
	ev, err := fx.Event(ctx, "create-bankwire-payin.json")
	if err != nil {
		return err
	}
	payin, err := id(fx.callRaw(ctx, "create-bankwire-payin", ev))
	if err != nil {
		return err
	}
	wallet, err := fx.value(ctx, "WALLET_ID")
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg)
	table := st.Vars["TABLE_NAME"]
	get := func(id string) (map[string]dynamodbAttr, error) {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]dynamodbAttr{records.AttrPK: &dynamodbS{Value: id}}})
		if err != nil {
			return nil, err
		}
		if out.Item == nil {
			return nil, fmt.Errorf("no item %s", id)
		}
		return out.Item, nil
	}
	payItem, err := get(payin)
	if err != nil {
		return err
	}
	walletItem, err := get(wallet)
	if err != nil {
		return err
	}
	if _, ok := payItem[records.AttrRecheckBucket]; !ok {
		return fmt.Errorf("the bank-wire pay-in %s is not in the re-check index", payin)
	}
	store := records.New(db, table)
	start := time.Now()
	// The fixture made 3 records (user, wallet, pay-in; the pay-in's
	// next check is a weekday ahead, not due); the copies make up the rest.
	if err := Seed(ctx, db, table, store, payItem, records.KindPayIn, rc.Pending, true); err != nil {
		return err
	}
	if err := Seed(ctx, db, table, store, walletItem, records.KindWallet, rc.Records-rc.Pending-3, false); err != nil {
		return err
	}
	rc.SeedTook = time.Since(start)
	return RecheckRun(ctx, d, c, rc)
}
