// Command get-user is the Lambda function of the get-user operation
// (see internal/operations). It serves its HTTP route and its queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// No prefetch: a GET serves the stored record; only ?refresh=true calls Mangopay.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(false))
	lambda.Start(api.Handler(d.Service.GetUserOp(), d.API))
}
