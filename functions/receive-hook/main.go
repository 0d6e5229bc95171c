// Command receive-hook is the URL Mangopay calls for each event
// (GET /hooks/{token}?EventType=&RessourceId=&Date=): it checks the secret
// token, stores the notification once and queues it for process-hook,
// answering within Mangopay's 2 seconds.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// No prefetch: never calls Mangopay (stores the notification, then SQS).
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(false))
	if err := d.Hooks.CheckReceiver(); err != nil {
		d.Exit(err)
	}
	lambda.Start(d.Hooks.HTTPHandler(d.API))
}
