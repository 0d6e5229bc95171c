// Command bench-peer runs the peer comparison's Mangopay sequence through
// our client (internal/bench/peer) and prints its time: make bench runs it
// as a process of its own to read its peak RSS.
package main

import (
	"context"
	"log"
	"os"

	"github.com/lambda-mangopay/lambda-mangopay/internal/bench/peer"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: bench-peer BASE_URL,CLIENT_ID,API_KEY,N")
	}
	if err := peer.Main(context.Background(), os.Args[1], os.Stdout); err != nil {
		log.Fatal(err)
	}
}
