package mangopaytest

import "time"

// Now returns the fake clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.now
}

// Advance moves the fake clock forward by d and runs whatever became due:
// automatic payout settlement (WithPayoutDelay) and the 7-day payout expiry
// (121009), KYC reviews (WithKYCReviewDelay), preauthorization expiry, web
// pay-in expiry after 15 minutes (101109), transfer SCA expiry after 10
// minutes (007102) and hook retries. A negative d is
// ignored.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.st.now = s.st.now.Add(d)
	}
	s.runDue()
}

// runDue runs every time-based transition that is due. s.mu held.
func (s *Server) runDue() {
	s.runDuePayouts()
	s.runDueReviews()
	s.expirePreauths()
	s.expireWebPayIns()
	s.expireSCATransfers()
	s.runDueRetries()
	s.purgeIdempotency()
}

// purgeIdempotency forgets the Idempotency-Keys older than 24 h.
func (s *Server) purgeIdempotency() {
	for k := range s.st.idem {
		s.st.lookupIdem(k)
	}
}

// runDueReviews decides the submitted documents whose review delay passed.
func (s *Server) runDueReviews() {
	delay := int64(s.cfg.kycDelay.Seconds())
	if delay <= 0 {
		return
	}
	for _, d := range s.st.docs.list {
		if d.Status == "VALIDATION_ASKED" && s.st.unix() >= d.submittedAt+delay {
			s.decideDocument(d, d.submittedAt+delay)
		}
	}
}
