// Command process-hook processes queued hook notifications as hints: it
// re-reads the object from Mangopay, stores it, and the record's outbox
// publishes the outcome event.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// Prefetch: each hook re-reads its object at Mangopay.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true))
	lambda.Start(api.SQS(d.Hooks.ProcessHookOp(), d.API))
}
