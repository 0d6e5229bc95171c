// Command backfill-parent is the one-off migration that comes with the
// by_parent index: it gives the `parent` attribute to every record written
// before that index existed (records.BackfillParent), so that refund
// checks and KYC requirements, which list through by_parent, see them.
// Run it once after the `sam deploy` that adds the index; it scans the
// table once, and a second run finds nothing to do. It uses the usual AWS
// configuration (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...) and needs
// dynamodb:DescribeTable, dynamodb:Scan and dynamodb:UpdateItem on the
// table.
//
//	go run ./cmd/backfill-parent -table <records table> [-dry-run]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		err = run(ctx, cfg, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill-parent:", err)
		os.Exit(1)
	}
}

// run parses the flags and runs the backfill with cfg's clients.
func run(ctx context.Context, cfg aws.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backfill-parent", flag.ContinueOnError)
	fs.SetOutput(out)
	table := fs.String("table", os.Getenv("TABLE_NAME"), "the records table (default $TABLE_NAME)")
	dryRun := fs.Bool("dry-run", false, "only count the records that lack the attribute")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" || fs.NArg() > 0 {
		return errors.New("usage: backfill-parent -table <records table> [-dry-run]")
	}
	db := dynamodb.NewFromConfig(cfg)
	if err := indexActive(ctx, db, *table); err != nil {
		return err
	}
	st, err := records.BackfillParent(ctx, db, *table, *dryRun)
	fmt.Fprintf(out, "table %s: %d items scanned, %d records without %s, %d updated, %d changed meanwhile (skipped)\n",
		*table, st.Scanned, st.Missing, records.AttrParent, st.Updated, st.Skipped)
	return err
}

// indexActive checks that the table has the by_parent index, built: the
// backfill is for a table that got it from a deployment.
func indexActive(ctx context.Context, db *dynamodb.Client, table string) error {
	dt, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", table, err)
	}
	for _, g := range dt.Table.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) != records.IndexByParent {
			continue
		}
		if g.IndexStatus != types.IndexStatusActive {
			return fmt.Errorf("index %s of %s is %s: wait until it is ACTIVE", records.IndexByParent, table, g.IndexStatus)
		}
		return nil
	}
	return fmt.Errorf("table %s has no index %s: deploy the template that adds it first", table, records.IndexByParent)
}
