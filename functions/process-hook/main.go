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
	d := coldstart.MustLoad(context.Background())
	lambda.Start(api.SQS(d.Hooks.ProcessHookOp(), d.API))
}
