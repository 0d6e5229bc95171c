// Command probe is a tiny Lambda function for lambdaruntime's tests: it
// echoes its event, or fails, exits, hangs or reports an environment
// variable, as the event asks.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Echo string `json:"echo"`
	Fail string `json:"fail"`
	Exit bool   `json:"exit"`
	Hang bool   `json:"hang"`
	Env  string `json:"env"`
}

type reply struct {
	Echo      string `json:"echo,omitempty"`
	Env       string `json:"env,omitempty"`
	RequestID string `json:"request_id"`
	Deadline  bool   `json:"deadline"`
}

func main() {
	lambda.Start(func(ctx context.Context, ev event) (reply, error) {
		switch {
		case ev.Fail != "":
			return reply{}, errors.New(ev.Fail)
		case ev.Exit:
			os.Exit(3)
		case ev.Hang:
			<-make(chan struct{})
		}
		lc, _ := lambdacontext.FromContext(ctx)
		_, hasDeadline := ctx.Deadline()
		return reply{Echo: ev.Echo, Env: os.Getenv(ev.Env), RequestID: lc.AwsRequestID, Deadline: hasDeadline}, nil
	})
}
