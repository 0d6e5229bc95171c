// Command recheck-documents is the weekday re-check of the DOCUMENT bucket
// (see internal/operations/recheck.go). EventBridge Scheduler invokes it
// Monday to Friday with {"bucket":"DOCUMENT"}; it re-checks the due records
// it can within its budget and sends the rest to its own queue
// (OPERATION_QUEUE_URL), whose batches it re-checks too. RECHECK_TIME_ZONE
// (default Europe/Paris) is the calendar's time zone: the system's, else
// one of those internal/schedule embeds (no time/tzdata: 450 KB).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func main() {
	// No prefetch: most runs find nothing due, and no caller waits on a run.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(false))
	h, err := operations.NewRecheckHandler(d.Service, records.BucketDocument, d.API.Queue, d.Log, os.Getenv(operations.RecheckTimeZoneVar))
	if err != nil {
		d.Exit(err)
	}
	lambda.Start(h.Handle)
}
