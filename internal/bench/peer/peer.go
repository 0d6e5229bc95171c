// Package peer is the Go side of make bench's peer comparison: the same
// Mangopay sequence as tools/nodesdk/bench.js, through our pkg/mangopay
// client, in a process of its own (cmd/bench-peer) so that its peak RSS is
// the client's, not the benchmark's.
package peer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// CallsPerIteration are the Mangopay API calls of one PeerRun
// iteration (user, 2 wallets, card registration create and update, the
// vault's tokenization POST, pay-in, transfer, bank account, payout); the
// OAuth token is one more call per run.
const CallsPerIteration = 10

// Run runs n times, through our client, the sequence
// tools/nodesdk/bench.js runs through Mangopay's Node SDK, against the
// fake at base (its /__fake/ controls make each user REGULAR).
func Run(ctx context.Context, base, clientID, apiKey string, n int) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	c, err := mangopay.New(mangopay.Config{BaseURL: base, HTTPClient: hc,
		Credentials: mangopay.StaticCredentials{ClientID: clientID, APIKey: apiKey}})
	if err != nil {
		return err
	}
	post := func(u string, form url.Values) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return "", fmt.Errorf("peer: POST %s: %d", u, res.StatusCode)
		}
		return strings.TrimSpace(string(b)), nil
	}
	eur := func(a int64) mangopay.Money { return mangopay.Money{Currency: "EUR", Amount: a} }
	addr := &mangopay.Address{AddressLine1: "3 rue de la Cité", City: "Paris", Region: "Île-de-France", PostalCode: "75004", Country: "FR"}
	for i := range n {
		u, err := c.CreateNaturalUser(ctx, &mangopay.NaturalUserCreate{UserCategory: mangopay.UserCategoryOwner, TermsAndConditionsAccepted: true,
			FirstName: "Jane", LastName: "Doe", Email: fmt.Sprintf("peer-go-%d-%d@example.com", i, os.Getpid()),
			Birthday: mangopay.Int64(mangopay.Date(1990, time.May, 17)), Nationality: "FR", CountryOfResidence: "FR", Address: addr})
		if err != nil {
			return err
		}
		if _, err := post(base+"/__fake/users/"+url.PathEscape(u.ID)+"/kyc-level?level=REGULAR", nil); err != nil {
			return err
		}
		a, err := c.CreateWallet(ctx, &mangopay.WalletCreate{Owners: []string{u.ID}, Currency: "EUR", Description: "peer A"})
		if err != nil {
			return err
		}
		b, err := c.CreateWallet(ctx, &mangopay.WalletCreate{Owners: []string{u.ID}, Currency: "EUR", Description: "peer B"})
		if err != nil {
			return err
		}
		reg, err := c.CreateCardRegistration(ctx, &mangopay.CardRegistrationCreate{UserID: u.ID, Currency: "EUR"})
		if err != nil {
			return err
		}
		data, err := post(reg.CardRegistrationURL, url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
			"cardNumber": {"4970107111111119"}, "cardExpirationDate": {time.Now().AddDate(3, 0, 0).Format("0106")}, "cardCvx": {"123"}})
		if err != nil {
			return err
		}
		done, err := c.UpdateCardRegistration(ctx, reg.ID, &mangopay.CardRegistrationUpdate{RegistrationData: data, CardHolderName: "Jane Doe"})
		if err != nil {
			return err
		}
		if done.CardID == nil {
			return fmt.Errorf("peer: card registration %s has no card", done.Status)
		}
		p, err := c.CreateCardDirectPayIn(ctx, &mangopay.CardDirectPayInCreate{AuthorID: u.ID, CreditedWalletID: a.ID, CardID: *done.CardID,
			DebitedFunds: eur(10000), Fees: eur(0), SecureModeReturnURL: "https://example.com/return", SecureMode: mangopay.SecureModeDefault,
			StatementDescriptor: "Shop", IPAddress: "2001:db8::1", BrowserInfo: &mangopay.BrowserInfo{AcceptHeader: "text/html, application/xhtml+xml",
				Language: "FR-FR", ColorDepth: 24, ScreenHeight: 1080, ScreenWidth: 1920, TimeZoneOffset: -60, UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", JavascriptEnabled: true}})
		if err != nil {
			return err
		}
		if p.Status != mangopay.TransactionStatusSucceeded {
			return fmt.Errorf("peer: pay-in %s", p.Status)
		}
		t, err := c.CreateTransfer(ctx, &mangopay.TransferCreate{AuthorID: u.ID, DebitedWalletID: a.ID, CreditedWalletID: b.ID, DebitedFunds: eur(6000), Fees: eur(0)})
		if err != nil {
			return err
		}
		if t.Status != mangopay.TransactionStatusSucceeded {
			return fmt.Errorf("peer: transfer %s", t.Status)
		}
		ba, err := c.CreateIBANBankAccount(ctx, u.ID, &mangopay.IBANBankAccountCreate{OwnerName: "Jane Doe", OwnerAddress: addr, IBAN: "FR7630004000031234567890143", BIC: "BNPAFRPP"})
		if err != nil {
			return err
		}
		po, err := c.CreatePayout(ctx, &mangopay.PayoutCreate{AuthorID: u.ID, DebitedWalletID: b.ID, BankAccountID: ba.ID, DebitedFunds: eur(5000), Fees: eur(0)})
		if err != nil {
			return err
		}
		if po.Status != mangopay.TransactionStatusCreated {
			return fmt.Errorf("peer: payout %s", po.Status)
		}
	}
	return nil
}

// Main is cmd/bench-peer: args are base,clientID,apiKey,n; it runs the
// sequence and prints the loop's seconds as JSON.
func Main(ctx context.Context, arg string, w io.Writer) error {
	parts := strings.Split(arg, ",")
	if len(parts) != 4 {
		return fmt.Errorf("peer: want wants base,client-id,api-key,n")
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil {
		return fmt.Errorf("peer: want n: %w", err)
	}
	start := time.Now()
	if err := Run(ctx, parts[0], parts[1], parts[2], n); err != nil {
		return err
	}
	took := time.Since(start).Seconds()
	return json.NewEncoder(w).Encode(map[string]any{"iterations": n, "seconds": took, "vm_hwm_bytes": VmHWM()})
}

// VmHWM is this process's peak resident set (VmHWM in /proc/self/status),
// in bytes, or 0 where there is none. Not rusage's maxrss: a child that
// Go starts shares its parent's memory until exec, and Linux carries that
// peak into the child's maxrss.
func VmHWM() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
