// Command add-page is the Lambda function of the add-page operation (see
// internal/operations). It serves its HTTP route, its queue, and the pages
// bucket's notifications of presigned uploads (objects under uploads/).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// Prefetch: every invocation creates at Mangopay.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true))
	lambda.Start(api.HandlerWithS3(d.Service.AddPageOp(), d.API, d.Service.AddPageFromS3))
}
