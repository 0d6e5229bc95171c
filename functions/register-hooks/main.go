// Command register-hooks creates or repairs the Mangopay hook of every
// event type we handle, pointing at HOOK_URL; it runs daily and after a
// deployment (aws lambda invoke).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambda-mangopay/lambda-mangopay/internal/coldstart"
)

func main() {
	// Prefetch: every run lists Mangopay's hooks.
	d := coldstart.MustLoad(context.Background(), coldstart.WithPrefetch(true))
	job, err := d.Hooks.RegisterJob(d.Env.HookURL)
	if err != nil {
		d.Exit(err)
	}
	lambda.Start(job)
}
