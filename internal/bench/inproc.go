package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// InProcess are the handlers measured in-process, built as their mains
// build them.
var InProcess = map[string]func(d *coldstart.Deps) any{
	"create-natural-user":   func(d *coldstart.Deps) any { return api.Handler(d.Service.CreateNaturalUserOp(), d.API) },
	"create-wallet":         func(d *coldstart.Deps) any { return api.Handler(d.Service.CreateWalletOp(), d.API) },
	"create-bankwire-payin": func(d *coldstart.Deps) any { return api.Handler(d.Service.CreateBankWirePayInOp(), d.API) },
	"get-user":              func(d *coldstart.Deps) any { return api.Handler(d.Service.GetUserOp(), d.API) },
	"get-wallet":            func(d *coldstart.Deps) any { return api.Handler(d.Service.GetWalletOp(), d.API) },
}

// OverheadOps are the operations whose own overhead is reported.
var OverheadOps = []string{"create-natural-user", "create-wallet", "get-user"}

// InProcessCall runs events through the InProcess handlers over d.
func InProcessCall(d *coldstart.Deps) func(ctx context.Context, folder string, event []byte) ([]byte, error) {
	hs := map[string]lambda.Handler{}
	return func(ctx context.Context, folder string, event []byte) ([]byte, error) {
		h, ok := hs[folder]
		if !ok {
			mk, ok := InProcess[folder]
			if !ok {
				return nil, fmt.Errorf("bench: no in-process handler for %s", folder)
			}
			h = lambda.NewHandler(mk(d))
			hs[folder] = h
		}
		out, err := h.Invoke(ctx, event)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", folder, err)
		}
		if st := httpStatus(out); st != 0 && (st < 200 || st > 299) {
			return nil, fmt.Errorf("%s: HTTP %d: %s", folder, st, clip(out))
		}
		return out, nil
	}
}

// AccountConfig is cfg on another moto account (its own tables, queues).
func AccountConfig(cfg aws.Config, account string) aws.Config {
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), smithyhttp.AddHeaderValue("x-moto-account-id", account))
	return cfg
}

// Overhead is an operation's own time: the wall time of a warm in-process
// invocation minus the time its HTTP calls were in flight.
type Overhead struct {
	Function string         `json:"function"`
	Overhead Summary        `json:"overhead"`
	Wall     Summary        `json:"wall"`
	Calls    map[string]int `json:"calls_per_invocation"`
	Error    string         `json:"error,omitempty"`
}

// MeasureOverhead invokes folder n times (after one warm-up), each with a
// new event from fx, and splits each invocation's time.
func MeasureOverhead(ctx context.Context, call func(context.Context, string, []byte) ([]byte, error), fx *Fixture, c *Counter, folder string, n int) Overhead {
	o := Overhead{Function: folder}
	var own, wall []time.Duration
	for i := range n + 1 {
		ev, err := fx.Event(ctx, folder+".json")
		if err != nil {
			o.Error = err.Error()
			return o
		}
		c.Reset()
		start := time.Now()
		_, err = call(ctx, folder, ev)
		took := time.Since(start)
		if err != nil {
			o.Error = err.Error()
			return o
		}
		if i == 0 {
			continue // warm-up: the token and the secret
		}
		if i == 1 {
			o.Calls = c.Counts()
		}
		wall, own = append(wall, took), append(own, took-c.Wait())
	}
	o.Overhead, o.Wall = Summarize(own), Summarize(wall)
	return o
}

// Recheck is one re-check run over a table of Records items of which
// Pending are due.
type Recheck struct {
	Records   int            `json:"records"`
	Pending   int            `json:"pending"`
	ItemsRead int            `json:"items_read"`
	Checked   int            `json:"rechecked_in_run"`
	Queued    int            `json:"fanned_out"`
	Calls     map[string]int `json:"calls"`
	Took      time.Duration  `json:"took_ns"`
	SeedTook  time.Duration  `json:"seed_took_ns"`
	Report    string         `json:"report"`
	Error     string         `json:"error,omitempty"`
}

// Seed writes n copies of item (new ids, via BatchWriteItem, 4 writers);
// pending copies keep their re-check attributes, the others lose them.
func Seed(ctx context.Context, db *dynamodb.Client, table string, store *records.Store, tmpl map[string]types.AttributeValue, kind records.Kind, n int, pending bool) error {
	oldID := tmpl[records.AttrPK].(*types.AttributeValueMemberS).Value
	jobs := make(chan []types.WriteRequest)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range jobs {
				req := map[string][]types.WriteRequest{table: batch}
				for len(req[table]) > 0 {
					out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
					if err != nil {
						errs <- err
						return
					}
					req = out.UnprocessedItems
				}
			}
		}()
	}
	var batch []types.WriteRequest
	for i := range n {
		item := replaceID(&types.AttributeValueMemberM{Value: tmpl}, oldID, store.NewID(kind)).(*types.AttributeValueMemberM).Value
		if !pending {
			delete(item, records.AttrRecheckBucket)
			delete(item, records.AttrRecheckAt)
		} else {
			item[records.AttrRecheckAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)}
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(batch) == 25 || i == n-1 {
			select {
			case jobs <- batch:
			case err := <-errs:
				close(jobs)
				wg.Wait()
				return err
			}
			batch = nil
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// replaceID copies an attribute value, replacing old by id in every string.
func replaceID(v types.AttributeValue, old, id string) types.AttributeValue {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: strings.ReplaceAll(t.Value, old, id)}
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(t.Value))
		for k, x := range t.Value {
			m[k] = replaceID(x, old, id)
		}
		return &types.AttributeValueMemberM{Value: m}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(t.Value))
		for i, x := range t.Value {
			l[i] = replaceID(x, old, id)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return v
}

// RecheckRun runs the transactions' re-check handler once, as its main
// builds it, on a forced run, and reads its report.
func RecheckRun(ctx context.Context, d *coldstart.Deps, c *Counter, r *Recheck) error {
	h, err := operations.NewRecheckHandler(d.Service, records.BucketTransaction, d.API.Queue, d.Log, "")
	if err != nil {
		return err
	}
	c.Reset()
	start := time.Now()
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, []byte(`{"bucket":"TRANSACTION","force":true}`))
	r.Took = time.Since(start)
	r.Calls = c.Counts()
	if err != nil {
		return err
	}
	r.Report = string(out)
	var rep struct {
		ItemsRead int `json:"items_read"`
		Checked   int `json:"rechecked"`
		Due       int `json:"due"`
		Queued    int `json:"queued"`
	}
	_ = json.Unmarshal(out, &rep)
	r.ItemsRead, r.Checked, r.Queued, r.Pending = rep.ItemsRead, rep.Checked, rep.Queued, rep.Due
	return nil
}

type (
	dynamodbAttr = types.AttributeValue
	dynamodbS    = types.AttributeValueMemberS
)
