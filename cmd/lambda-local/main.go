// Command lambda-local runs the function set on this machine as it runs in
// AWS (package internal/local): `lambda-local run` serves it, `lambda-local
// demo` plays the marketplace story, `lambda-local invoke` runs one
// function's binary on one event.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambda-mangopay/lambda-mangopay/internal/local"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := local.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
