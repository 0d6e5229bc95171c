package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/leakcheck"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// DemoReport is what the demo did and found.
type DemoReport struct {
	// Records are the records made, by role ("seller", "payout", ...).
	Records map[string]*records.Record
	// Balances are the wallets' final balances (minor units), by role.
	Balances map[string]int64
	// Events are the outcome events received on the local bus.
	Events []Outcome
	// MangopayCalls counts the API calls the fake received.
	MangopayCalls int
	// Invocations counts the function invocations.
	Invocations int
	// LogLines is how many lines the functions logged; Leaks are the
	// lines among them holding a secret (the API key, a bearer token, the
	// hook token), card data, an IBAN or page bytes (see leakcheck).
	LogLines int
	Leaks    []leakcheck.Finding
	// Mismatches lists every expected outcome that was not met.
	Mismatches []string
}

// Demo amounts, in EUR cents.
const (
	demoPayIn       = 10000 // the buyer's card pay-in
	demoTransfer    = 8000  // buyer to seller
	demoTransferFee = 800   // the platform's fee on it
	demoRefund      = 1000  // partial refund of the pay-in
	demoPayout      = 5000  // seller to their bank account
	// What the wallets must hold at the end.
	demoBuyerBalance  = demoPayIn - demoTransfer - demoRefund
	demoSellerBalance = demoTransfer - demoTransferFee - demoPayout
)

// demoWait bounds each wait for background work (queues, hooks).
const demoWait = 20 * time.Second

// RunDemo plays the marketplace story against a running stack with the
// fake Mangopay, through its HTTP API as a client would, printing each
// step to out, then a summary. Mismatches in the report are the expected
// outcomes that were not met; an error means the story could not go on.
func RunDemo(ctx context.Context, s *Stack, out io.Writer) (*DemoReport, error) {
	if s.Fake == nil {
		return nil, errors.New("the demo needs the fake Mangopay (unset MANGOPAY_BASE_URL)")
	}
	d := &demo{s: s, c: NewClient(s.APIURL, "demo-"+randomToken()[:8]), out: out,
		rep: &DemoReport{Records: map[string]*records.Record{}, Balances: map[string]int64{}}}
	calls0 := len(s.Fake.Requests())
	inv0 := s.Invocations()
	err := d.story(ctx)
	d.rep.MangopayCalls = len(s.Fake.Requests()) - calls0
	d.rep.Invocations = s.Invocations() - inv0
	d.rep.Events = s.Outcomes()
	if err != nil {
		return d.rep, err
	}
	d.checkLogs()
	d.summary()
	return d.rep, nil
}

type demo struct {
	s    *Stack
	c    *Client
	out  io.Writer
	rep  *DemoReport
	step int
}

func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "%2d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// expect notes a mismatch when got differs from want.
func (d *demo) expect(what string, got, want any) {
	if fmt.Sprint(got) != fmt.Sprint(want) {
		m := fmt.Sprintf("%s: got %v, want %v", what, got, want)
		d.rep.Mismatches = append(d.rep.Mismatches, m)
		fmt.Fprintf(d.out, "    MISMATCH %s\n", m)
	}
}

// post creates a record and keeps it under role.
func (d *demo) post(ctx context.Context, role, path string, body any) (*records.Record, error) {
	var r records.Record
	if _, err := d.c.Do(ctx, http.MethodPost, path, body, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", role, err)
	}
	d.rep.Records[role] = &r
	return &r, nil
}

// await waits until the record at path satisfies ok (re-reading it after
// each background invocation).
func (d *demo) await(ctx context.Context, role, path string, ok func(*records.Record) bool) (*records.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	var last *records.Record
	err := d.s.Await(ctx, func() (bool, error) {
		r, err := d.c.Record(ctx, path)
		if err != nil {
			return false, err
		}
		last = r
		return ok(r), nil
	})
	if err != nil {
		return last, fmt.Errorf("%s: waiting for %s: %w (last: %s)", role, path, err, describe(last))
	}
	d.rep.Records[role] = last
	return last, nil
}

func describe(r *records.Record) string {
	if r == nil {
		return "none"
	}
	s := r.Status
	if r.Page != nil {
		s = r.Page.State
	}
	return fmt.Sprintf("%s %s %s", r.ID, s, r.SyncState)
}

var (
	demoAddress = map[string]any{"line1": "12 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
	demoBrowser = map[string]any{"accept_header": "text/html", "java_enabled": false, "language": "fr-FR", "color_depth": 24,
		"screen_height": 1080, "screen_width": 1920, "time_zone_offset": -60, "user_agent": "Mozilla/5.0 (lambda-mangopay demo)",
		"javascript_enabled": true}
)

func eur(n int64) map[string]any { return map[string]any{"amount": n, "currency": "EUR"} }

func (d *demo) story(ctx context.Context) error {
	c := d.c
	// Users.
	seller, err := d.post(ctx, "seller", "/users/natural", map[string]any{"external_user_id": "seller-1", "user_category": "OWNER",
		"terms_and_conditions_accepted": true, "first_name": "Camille", "last_name": "Martin", "email": "camille@example.com",
		"birthday": "1988-06-14", "nationality": "FR", "country_of_residence": "FR", "address": demoAddress, "occupation": "Ceramicist",
		"income_range": 2, "tag": "seller-1"})
	if err != nil {
		return err
	}
	d.say("seller (OWNER) %s created: %s, Mangopay user %s, KYC %s", seller.ID, seller.SyncState, seller.MangopayID, seller.User.KYCLevel)
	buyer, err := d.post(ctx, "buyer", "/users/natural", map[string]any{"external_user_id": "buyer-1", "user_category": "PAYER",
		"first_name": "Jonas", "last_name": "Weber", "email": "jonas@example.com", "tag": "buyer-1"})
	if err != nil {
		return err
	}
	d.say("buyer (PAYER) %s created: %s", buyer.ID, buyer.SyncState)

	// KYC: a generated page uploaded through the presigned PUT, which the
	// bucket's notification hands to add-page.
	doc, err := d.post(ctx, "kyc document", "/users/"+seller.ID+"/documents", map[string]any{"type": "IDENTITY_PROOF", "tag": "accept"})
	if err != nil {
		return err
	}
	page := PDF(40 << 10)
	var up operations.PageUploadAnswer
	if _, err := c.Do(ctx, http.MethodPost, "/documents/"+doc.ID+"/pages", map[string]any{"upload": map[string]any{"size": len(page)}}, &up); err != nil {
		return fmt.Errorf("page upload: %w", err)
	}
	if up.Upload == nil || up.Page == nil {
		return fmt.Errorf("page upload: no presigned upload in the answer")
	}
	if err := c.Put(ctx, up.Upload.Method, up.Upload.URL, up.Upload.Headers, page); err != nil {
		return err
	}
	// The page is SENT once the notification reached add-page: until then
	// the submit answers 409 (nothing changes), so submit again after each
	// background invocation.
	wctx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	tries := 0
	err = d.s.Await(wctx, func() (bool, error) {
		tries++
		_, err := c.Do(wctx, http.MethodPost, "/documents/"+doc.ID+"/submit", nil, nil)
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("submitting the document: %w", err)
	}
	d.say("KYC document %s: a %d KiB PDF page uploaded to S3 through the presigned PUT; the bucket's notification ran add-page, which sent it to Mangopay (submit tried %d time(s))",
		doc.ID, len(page)>>10, tries)
	sub, err := c.Record(ctx, "/documents/"+doc.ID)
	if err != nil {
		return err
	}
	d.say("document submitted: %s", sub.Status)
	d.expect("submitted document status", sub.Status, "VALIDATION_ASKED")
	recheck, err := d.s.RunSchedule(ctx, "recheck-documents", map[string]any{"force": true})
	if err != nil {
		return err
	}
	d.say("weekday re-check of documents (on demand, forced): %s", reportLine(recheck))
	if err := d.s.Fake.SettleDocument(sub.MangopayID); err != nil {
		return fmt.Errorf("settling the document at the fake: %w", err)
	}
	valid, err := d.await(ctx, "kyc document", "/documents/"+doc.ID, func(r *records.Record) bool { return r.Status != "VALIDATION_ASKED" })
	if err != nil {
		return err
	}
	d.say("Mangopay validated it; its hook reached receive-hook → process-hook: document %s", valid.Status)
	d.expect("document status after the hook", valid.Status, "VALIDATED")
	seller, err = d.await(ctx, "seller", "/users/"+seller.ID+"?refresh=true", func(r *records.Record) bool { return true })
	if err != nil {
		return err
	}
	d.expect("seller KYC level", seller.User.KYCLevel, "REGULAR")

	// Bank account and wallets.
	bank, err := d.post(ctx, "seller bank account", "/users/"+seller.ID+"/bank-accounts", map[string]any{"type": "IBAN",
		"owner_name": "Camille Martin", "owner_address": demoAddress, "iban": "FR7630004000031234567890143", "bic": "BNPAFRPP"})
	if err != nil {
		return err
	}
	d.say("seller's IBAN account %s: %s", bank.ID, bank.SyncState)
	bw, err := d.post(ctx, "buyer wallet", "/users/"+buyer.ID+"/wallets", map[string]any{"description": "Jonas (EUR)", "currency": "EUR"})
	if err != nil {
		return err
	}
	sw, err := d.post(ctx, "seller wallet", "/users/"+seller.ID+"/wallets", map[string]any{"description": "Camille's sales (EUR)", "currency": "EUR"})
	if err != nil {
		return err
	}
	d.say("wallets: buyer %s, seller %s", bw.ID, sw.ID)

	// The buyer's card, through the card vault as a browser would.
	var reg operations.CardRegistrationAnswer
	if _, err := c.Do(ctx, http.MethodPost, "/users/"+buyer.ID+"/card-registrations", map[string]any{"currency": "EUR", "card_type": "CB_VISA_MASTERCARD"}, &reg); err != nil {
		return fmt.Errorf("card registration: %w", err)
	}
	status, data, err := c.PostForm(ctx, reg.CardRegistrationURL, url.Values{"data": {reg.PreregistrationData}, "accessKeyRef": {reg.AccessKey},
		"cardNumber": {"4970107111111119"}, "cardExpirationDate": {time.Now().AddDate(2, 0, 0).Format("0106")}, "cardCvx": {"123"}})
	if err != nil || !strings.HasPrefix(data, "data=") {
		return fmt.Errorf("card vault: %d %s %v", status, truncate(data, 100), err)
	}
	var cardRec records.Record
	if _, err := c.Do(ctx, http.MethodPut, "/card-registrations/"+reg.ID, map[string]any{"registration_data": data, "card_holder_name": "Jonas Weber"}, &cardRec); err != nil {
		return fmt.Errorf("completing the card registration: %w", err)
	}
	d.rep.Records["card"] = &cardRec
	d.say("card registered through the CardRegistrationURL and completed: card %s", cardRec.ID)

	// Card pay-in with 3-D Secure.
	payin, err := d.post(ctx, "pay-in", "/payins/card/direct", map[string]any{"author_id": buyer.ID, "credited_wallet_id": bw.ID, "card_id": cardRec.ID,
		"debited_funds": eur(demoPayIn), "fees": eur(0), "secure_mode": "FORCE", "secure_mode_return_url": "https://shop.example.com/checkout/done",
		"browser_info": demoBrowser, "ip_address": "203.0.113.10"})
	if err != nil {
		return err
	}
	redirect := ""
	if payin.Transaction != nil {
		redirect = payin.Transaction.SecureModeRedirectURL
	}
	d.say("card pay-in %s of %s: %s, 3-D Secure page %s", payin.ID, money(demoPayIn), payin.Status, redirect)
	if redirect == "" {
		return fmt.Errorf("pay-in: no 3-D Secure redirect (status %s)", payin.Status)
	}
	if status, _, err := c.PostForm(ctx, redirect, url.Values{"result": {"success"}}); err != nil || status != http.StatusFound {
		return fmt.Errorf("3-D Secure page: %d %v", status, err)
	}
	payin, err = d.await(ctx, "pay-in", "/payins/"+payin.ID, func(r *records.Record) bool { return r.Status != "CREATED" })
	if err != nil {
		return err
	}
	d.say("3-D Secure passed; the hook brought the pay-in to %s", payin.Status)
	d.expect("pay-in status", payin.Status, "SUCCEEDED")

	// Transfer with the platform's fee, partial refund.
	tr, err := d.post(ctx, "transfer", "/transfers", map[string]any{"debited_wallet_id": bw.ID, "credited_wallet_id": sw.ID,
		"debited_funds": eur(demoTransfer), "fees": eur(demoTransferFee), "tag": "order-1"})
	if err != nil {
		return err
	}
	d.say("transfer %s of %s to the seller, platform fee %s: %s", tr.ID, money(demoTransfer), money(demoTransferFee), tr.Status)
	d.expect("transfer status", tr.Status, "SUCCEEDED")
	rf, err := d.post(ctx, "refund", "/payins/"+payin.ID+"/refunds", map[string]any{"debited_funds": eur(demoRefund), "fees": eur(0)})
	if err != nil {
		return err
	}
	d.say("partial refund %s of %s of the pay-in: %s", rf.ID, money(demoRefund), rf.Status)
	d.expect("refund status", rf.Status, "SUCCEEDED")

	// Payout, the weekday re-check, and the hook bringing it to SUCCEEDED.
	po, err := d.post(ctx, "payout", "/payouts", map[string]any{"debited_wallet_id": sw.ID, "bank_account_id": bank.ID,
		"debited_funds": eur(demoPayout), "fees": eur(0), "bank_wire_ref": "SALES"})
	if err != nil {
		return err
	}
	d.say("payout %s of %s to the IBAN account: %s", po.ID, money(demoPayout), po.Status)
	d.expect("payout status when created", po.Status, "CREATED")
	recheck, err = d.s.RunSchedule(ctx, "recheck-transactions/Weekdays", map[string]any{"force": true})
	if err != nil {
		return err
	}
	d.say("weekday re-check of transactions (on demand, forced): %s", reportLine(recheck))
	still, err := c.Record(ctx, "/payouts/"+po.ID)
	if err != nil {
		return err
	}
	d.expect("payout status after the re-check (the bank has not paid yet)", still.Status, "CREATED")
	if err := d.s.Fake.SettlePayout(po.MangopayID, true, "000000"); err != nil {
		return fmt.Errorf("settling the payout at the fake: %w", err)
	}
	po, err = d.await(ctx, "payout", "/payouts/"+po.ID, func(r *records.Record) bool { return r.Status != "CREATED" })
	if err != nil {
		return err
	}
	d.say("the bank paid; Mangopay's hook → receive-hook → process-hook: payout %s", po.Status)
	d.expect("payout status after the hook", po.Status, "SUCCEEDED")
	ectx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	ev, err := d.s.WaitOutcome(ectx, func(o Outcome) bool {
		return o.DetailType == "PayoutSucceeded" && strings.Contains(string(o.Detail), po.ID)
	})
	if err != nil {
		d.expect("PayoutSucceeded event on the bus", "none", "received")
	} else {
		d.say("event %s received on the bus %s", ev.DetailType, BusName)
	}

	// Balances.
	for role, id := range map[string]string{"buyer wallet": bw.ID, "seller wallet": sw.ID} {
		w, err := c.Record(ctx, "/wallets/"+id)
		if err != nil {
			return err
		}
		d.rep.Records[role] = w
		if w.Wallet != nil {
			d.rep.Balances[role] = w.Wallet.Balance.Amount
		}
	}
	d.expect("buyer wallet balance", money(d.rep.Balances["buyer wallet"]), money(demoBuyerBalance))
	d.expect("seller wallet balance", money(d.rep.Balances["seller wallet"]), money(demoSellerBalance))
	return nil
}

func money(cents int64) string { return fmt.Sprintf("EUR %d.%02d", cents/100, cents%100) }

// reportLine summarizes a re-check report.
func reportLine(raw []byte) string {
	var r operations.RecheckReport
	if json.Unmarshal(raw, &r) != nil {
		return string(raw)
	}
	s := fmt.Sprintf("%d due, %d re-checked, %d changed, %d unchanged", r.Due, r.Rechecked, r.Changed, r.Unchanged)
	if r.Stopped != "" {
		s += " (" + r.Stopped + ")"
	}
	return s
}

func (d *demo) summary() {
	o := d.out
	fmt.Fprintln(o, "\nSummary")
	fmt.Fprintln(o, "  records:")
	for _, role := range []string{"seller", "buyer", "kyc document", "seller bank account", "buyer wallet", "seller wallet", "card", "pay-in", "transfer", "refund", "payout"} {
		r := d.rep.Records[role]
		if r == nil {
			continue
		}
		status := r.Status
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(o, "    %-20s %-32s %-18s %-10s %s\n", role, r.ID, r.Kind, status, r.SyncState)
	}
	fmt.Fprintln(o, "  balances:")
	fmt.Fprintf(o, "    buyer wallet   %s (expected %s)\n", money(d.rep.Balances["buyer wallet"]), money(demoBuyerBalance))
	fmt.Fprintf(o, "    seller wallet  %s (expected %s)\n", money(d.rep.Balances["seller wallet"]), money(demoSellerBalance))
	fmt.Fprintf(o, "  events received on %s: %d\n", BusName, len(d.rep.Events))
	for _, e := range d.rep.Events {
		fmt.Fprintf(o, "    %s\n", e.DetailType)
	}
	fmt.Fprintf(o, "  Mangopay calls: %d; function invocations: %d\n", d.rep.MangopayCalls, d.rep.Invocations)
	fmt.Fprintf(o, "  function logs: %d lines in %s, %d leaking a secret or personal data\n", d.rep.LogLines, d.s.logDir, len(d.rep.Leaks))
	if len(d.rep.Mismatches) == 0 {
		fmt.Fprintln(o, "  every expected outcome was met")
	} else {
		fmt.Fprintf(o, "  %d MISMATCH(ES):\n", len(d.rep.Mismatches))
		for _, m := range d.rep.Mismatches {
			fmt.Fprintf(o, "    %s\n", m)
		}
	}
}

// checkLogs scans every function's log file for secrets and personal data:
// the fake's API key, each bearer token it issued, the hook token, and
// what leakcheck recognises (card numbers, CVVs, IBANs, page bytes).
func (d *demo) checkLogs() {
	secrets := append(d.s.Fake.Secrets(), d.s.HookToken)
	files, _ := filepath.Glob(filepath.Join(d.s.logDir, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			d.expect("reading "+f, err, nil)
			continue
		}
		d.rep.LogLines += bytes.Count(b, []byte("\n"))
		for _, l := range leakcheck.Scan(b, secrets...) {
			d.rep.Leaks = append(d.rep.Leaks, l)
			d.expect(filepath.Base(f)+" leaks", l, "nothing")
		}
	}
	d.expect("function log lines (none would mean the logs were not captured)", d.rep.LogLines > 0, true)
}
