// Command deactivate-card is the Lambda function of the deactivate-card operation
// (see internal/operations). It serves its HTTP route and its queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// Prefetch: every invocation changes the object at Mangopay.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true))
	lambda.Start(api.Handler(d.Service.DeactivateCardOp(), d.API))
}
