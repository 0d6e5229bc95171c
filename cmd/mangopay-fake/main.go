// Command mangopay-fake serves the in-memory Mangopay fake (package mangopaytest) until SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	mp "github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	id, key := flag.String("client-id", "fakeclient", "ClientId"), flag.String("api-key", "fake-api-key-0123456789abcdef", "API key")
	payout := flag.Duration("payout-delay", 0, "settle payouts this long after creation on the fake clock (0 = by control)")
	kyc := flag.Duration("kyc-delay", 0, "decide KYC documents this long after submission on the fake clock (0 = by control)")
	latency := flag.Duration("latency", 0, "real delay added to every API call")
	enforce := flag.Bool("enforce-rate-limits", false, "answer 429 over the rate limits")
	flag.Parse()
	s, err := mp.Start(*addr, mp.WithCredentials(*id, *key), mp.WithPayoutDelay(*payout), mp.WithKYCReviewDelay(*kyc),
		mp.WithLatency(*latency), mp.WithRateLimits([4]int{2300, 4500, 8800, 105600}, *enforce))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mangopay-fake listening on %s client_id=%s\n", s.URL, s.ClientID)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}
