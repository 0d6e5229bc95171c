package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// TestUpgradeOfATableWithoutByParent plays the upgrade on moto: a table
// as deployed before by_parent, holding refunds written then (no parent
// attribute); the stack update that adds the index; the backfill.
func TestUpgradeOfATableWithoutByParent(t *testing.T) {
	ctx := t.Context()
	cfg := awstest.Config(t)
	db := dynamodb.NewFromConfig(cfg)
	const table = "records"

	// The table as the previous template made it.
	old := records.CreateTableInput(table)
	old.GlobalSecondaryIndexes = slices.DeleteFunc(old.GlobalSecondaryIndexes,
		func(g types.GlobalSecondaryIndex) bool { return aws.ToString(g.IndexName) == records.IndexByParent })
	old.AttributeDefinitions = slices.DeleteFunc(old.AttributeDefinitions,
		func(a types.AttributeDefinition) bool { return aws.ToString(a.AttributeName) == records.AttrParent })
	if _, err := db.CreateTable(ctx, old); err != nil {
		t.Fatal(err)
	}
	store := records.New(db, table)
	pay := store.NewID(records.KindPayIn)
	var want []string
	for range 3 {
		r := &records.Record{Kind: records.KindRefund, OwnerRef: "payer-1", ParentID: pay, SyncState: records.SyncSynced, Status: "CREATED",
			Transaction: &records.Transaction{DebitedFunds: records.Money{Amount: 100, Currency: "EUR"}}}
		if err := store.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		// written by the previous version: no parent attribute
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:              map[string]types.AttributeValue{records.AttrPK: &types.AttributeValueMemberS{Value: r.ID}},
			UpdateExpression: aws.String("REMOVE #p"), ExpressionAttributeNames: map[string]string{"#p": records.AttrParent}}); err != nil {
			t.Fatal(err)
		}
		want = append(want, r.ID)
	}

	var out bytes.Buffer
	if err := run(ctx, cfg, []string{"-table", table}, &out); err == nil || !strings.Contains(err.Error(), "no index by_parent") {
		t.Fatalf("before the deploy: %v, want the missing index named", err)
	}
	if err := run(ctx, cfg, nil, &out); err == nil {
		t.Fatal("no table named: want a usage error")
	}

	// The stack update: CloudFormation adds the index to the live table.
	if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		AttributeDefinitions: records.CreateTableInput(table).AttributeDefinitions,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String(records.IndexByParent),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(records.AttrParent), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(records.AttrOwnerSort), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}}); err != nil {
		t.Fatal(err)
	}
	listed := func() []string {
		recs, _, err := store.ListByParent(ctx, pay, records.KindRefund, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("after the deploy, before the backfill: %v listed, want none", got)
	}

	tests := []struct {
		name    string
		args    []string
		summary string
		listed  []string
	}{
		{"dry run", []string{"-table", table, "-dry-run"}, "3 records without parent, 0 updated", nil},
		{"backfill", []string{"-table", table}, "3 records without parent, 3 updated", want},
		{"again", []string{"-table", table}, "0 records without parent, 0 updated", want},
	}
	for _, tc := range tests {
		out.Reset()
		if err := run(ctx, cfg, tc.args, &out); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.Contains(out.String(), tc.summary) {
			t.Fatalf("%s: printed %q, want %q", tc.name, out.String(), tc.summary)
		}
		if got := listed(); !slices.Equal(got, tc.listed) {
			t.Fatalf("%s: listed %v, want %v", tc.name, got, tc.listed)
		}
	}
}
