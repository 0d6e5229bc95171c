// Command bench measures the functions (internal/bench) and writes
// BENCHMARKS.md and BENCHMARKS.json at the repository's root: make bench.
package main

import (
	"context"
	"log"
	"os"

	"github.com/lambda-mangopay/lambda-mangopay/internal/bench"
)

func main() {
	if err := bench.Main(context.Background(), os.Args[1:], log.New(os.Stderr, "bench: ", log.Ltime)); err != nil {
		log.Fatal(err)
	}
}
