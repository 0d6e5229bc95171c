package mangopaytest

// SCA on transfers between OWNER users (reference §14). Mangopay applies
// strong customer authentication to a transfer from one OWNER user's wallet
// to another OWNER user's: POST /transfers takes a ScaContext, and when SCA
// is required it answers Status CREATED with PendingUserAction.RedirectUrl.
// The transfer stays CREATED, its funds unmoved, until the user completes
// SCA there; then it settles as any transfer (SUCCEEDED, or FAILED if, say,
// the balance no longer covers it). Not completed within 10 minutes, it
// fails with 007102. The fake does so for the authors marked with
// RequireTransferSCA; each such transfer has its own token (SCA on a
// payment is bound to that payment), so the mark lasts until
// ClearTransferSCA.
//
// Assumptions (the reference is silent on them):
//   - no ScaContext is taken as USER_PRESENT, as on wallet reads;
//   - ScaContext USER_NOT_PRESENT on a transfer that needs SCA is refused
//     the way the reference lists SCA refusals of transfers: 200 FAILED
//     with ResultCode 002704 "User pending SCA", nothing moved;
//   - a transfer that would fail anyway (same wallet, fees equal to the
//     funds, PAYER rules, too little money) fails at once, without SCA;
//   - a transfer between two wallets of the same OWNER needs no SCA;
//   - the fake has no way to fail the SCA itself (007101): only expiry.

// transferSCAWindow is how long the user has to complete a transfer's SCA
// (10 min).
const transferSCAWindow = 10 * 60

// RequireTransferSCA marks an OWNER user as needing SCA for the transfers it
// makes to another OWNER user: from now on each such transfer with
// ScaContext USER_PRESENT (or none) answers CREATED with a
// PendingUserAction redirect URL (on 127.0.0.1) of its own, and one with
// USER_NOT_PRESENT fails with 002704. It fails for an unknown user or a
// PAYER.
func (s *Server) RequireTransferSCA(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.checkSCAUser(userID, "transfer"); err != nil {
		return err
	}
	s.st.transferSCA[userID] = true
	return nil
}

// ClearTransferSCA lifts RequireTransferSCA for userID: its next transfers
// need no SCA. Transfers already waiting for SCA keep waiting.
func (s *Server) ClearTransferSCA(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.transferSCA, userID)
}

// transferNeedsSCA reports whether a transfer from dw to cw needs its
// author's SCA: both owners OWNER, two different users, the author marked.
func (st *state) transferNeedsSCA(dw, cw *wallet) bool {
	from, to := dw.owner(), cw.owner()
	if from == to || !st.transferSCA[from] {
		return false
	}
	src, ok1 := st.users.get(from)
	dst, ok2 := st.users.get(to)
	return ok1 && ok2 && src.isOwner() && dst.isOwner()
}

// holdForSCA settles a transfer that needs SCA the way its ScaContext asks:
// USER_NOT_PRESENT fails (002704); otherwise it waits, CREATED, for the
// user at its redirect URL.
func (s *Server) holdForSCA(t *transfer) {
	if t.ScaContext != nil && *t.ScaContext == scaUserNotPresent {
		s.txFail(t, "002704", s.st.unix())
		return
	}
	tok := randHex(16)
	t.scaToken, t.scaWaiting = tok, true
	s.st.transferTokens[tok] = t.Id
}

// scaRedirect is the redirect URL of a transfer waiting for SCA, or "".
func (s *Server) scaRedirect(t *transfer) string {
	if !t.scaWaiting {
		return ""
	}
	return s.loopbackURL() + scaPath + "?token=" + t.scaToken
}

// completeTransferSCA is the SCA page of a transfer: the user completes
// SCA, the transfer settles (funds move, the SUCCEEDED event and hooks
// fire). A transfer no longer waiting (completed, expired) is 404. s.mu
// held.
func (s *Server) completeTransferSCA(transferID string) *reply {
	t, ok := s.st.transfers.get(transferID)
	if !ok || !t.scaWaiting {
		return scaUnknownToken()
	}
	dw, ok1 := s.st.wallets.get(strOr(t.DebitedWalletId))
	cw, ok2 := s.st.wallets.get(strOr(t.CreditedWalletId))
	if !ok1 || !ok2 { // the fake never deletes wallets
		return scaUnknownToken()
	}
	t.scaWaiting = false
	s.settleTransfer(t, dw, cw)
	return scaCompletedPage()
}

// expireSCATransfers fails the transfers whose SCA was not completed within
// 10 minutes (007102), nothing moved.
func (s *Server) expireSCATransfers() {
	for _, t := range s.st.transfers.list {
		if t.scaWaiting && s.st.unix() >= t.CreationDate+transferSCAWindow {
			t.scaWaiting = false
			s.txFail(t, "007102", t.CreationDate+transferSCAWindow)
		}
	}
}

// ctlRequireTransferSCA is POST /__fake/users/{id}/transfer-sca:
// RequireTransferSCA.
func (s *Server) ctlRequireTransferSCA(c *call) *reply {
	return ctlResult(s.RequireTransferSCA(c.param("id")), map[string]any{"user": c.param("id"), "transfer_sca": true})
}
