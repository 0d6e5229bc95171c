// Command reconcile-hooks reads Mangopay's GET /events since its last run,
// on a schedule, and processes what no hook delivered.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// Prefetch: every run lists Mangopay's events.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true))
	lambda.Start(d.Hooks.ReconcileJob(time.Now))
}
