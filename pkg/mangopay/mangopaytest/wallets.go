package mangopaytest

import (
	"net/http"
	"slices"
	"strings"
)

// wallet is a user wallet (FundsType DEFAULT) or a client FEES wallet.
type wallet struct {
	Description *string  `json:"Description"`
	Owners      []string `json:"Owners"`
	entityBase
	Balance   money  `json:"Balance"`
	Currency  string `json:"Currency"`
	FundsType string `json:"FundsType"`
}

func (w *wallet) view() any { return w }

func (w *wallet) owner() string {
	if len(w.Owners) == 0 {
		return ""
	}
	return w.Owners[0]
}

// feesWallet returns the platform's FEES wallet for a currency, creating it.
func (st *state) feesWallet(cur string) *wallet {
	w, ok := st.fees[cur]
	if !ok {
		st.seq++
		w = &wallet{Owners: []string{}, Currency: cur, FundsType: "FEES", Balance: money{Currency: cur},
			entityBase: entityBase{Id: "FEES_" + cur, CreationDate: st.unix(), seq: st.seq}}
		st.fees[cur] = w
	}
	return w
}

type walletIn struct {
	Owners      []string `json:"Owners"`
	Description *string  `json:"Description"`
	Currency    *string  `json:"Currency"`
	Tag         *string  `json:"Tag"`
}

// createWallet is POST /wallets: exactly one owner, a documented currency.
func (s *Server) createWallet(c *call) *reply {
	st := s.st
	var in walletIn
	errs := decodeBody(c.body, &in)
	_, badOwners := errs["Owners"]
	switch {
	case badOwners:
	case len(in.Owners) == 0:
		errs.required("Owners")
	case len(in.Owners) > 1:
		errs.add("Owners", "Owners doesn't support multiple values for the moment")
	default:
		st.bodyUser(errs, "Owners", &in.Owners[0], true)
	}
	checkStr(errs, "Description", in.Description, true, 1, 255)
	if in.Currency == nil || *in.Currency == "" {
		errs.required("Currency")
	} else if !slices.Contains(currencies, *in.Currency) {
		errs.addf("Currency", "Currency: The currency %s is not available", *in.Currency)
	}
	checkTag(errs, in.Tag)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	w := &wallet{Description: in.Description, Owners: in.Owners, entityBase: st.base("wlt_m_", in.Tag),
		Balance: money{Currency: *in.Currency}, Currency: *in.Currency, FundsType: "DEFAULT"}
	st.wallets.add(w)
	return jsonReply(http.StatusOK, w)
}

func (s *Server) walletOr404(id string) (*wallet, *reply) {
	w, ok := s.st.wallets.get(id)
	if !ok {
		return nil, s.st.notFound("Wallet", id)
	}
	return w, nil
}

// bodyWallet finds a wallet named in a request body (400 when unknown).
func (st *state) bodyWallet(errs fieldErrs, field string, id *string) *wallet {
	if id == nil || *id == "" {
		errs.required(field)
		return nil
	}
	w, ok := st.wallets.get(*id)
	if !ok {
		errs.addf(field, "The wallet %s does not exist", *id)
	}
	return w
}

// getWallet is GET /wallets/{id}, under SCA for OWNER users (sca.go).
func (s *Server) getWallet(c *call) *reply {
	sca, rep := s.scaContext(c)
	if rep != nil {
		return rep
	}
	w, rep := s.walletOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	if rep := s.walletSCA(w.owner(), sca); rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, w)
}

// updateWallet is PUT /wallets/{id}: only Description and Tag change.
func (s *Server) updateWallet(c *call) *reply {
	st := s.st
	w, rep := s.walletOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	var in walletIn
	errs := decodeBody(c.body, &in)
	checkStr(errs, "Description", in.Description, false, 1, 255)
	checkTag(errs, in.Tag)
	if in.Currency != nil && *in.Currency != w.Currency {
		errs.add("Currency", "The Currency of a wallet cannot be changed")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	if in.Description != nil {
		w.Description = in.Description
	}
	if in.Tag != nil {
		w.Tag = in.Tag
	}
	return jsonReply(http.StatusOK, w)
}

// listUserWallets is GET /users/{id}/wallets, under SCA for OWNER users
// (sca.go).
func (s *Server) listUserWallets(c *call) *reply {
	sca, rep := s.scaContext(c)
	if rep != nil {
		return rep
	}
	if _, rep := s.getUserOr404(c.param("id")); rep != nil {
		return rep
	}
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	if rep := s.walletSCA(c.param("id"), sca); rep != nil {
		return rep
	}
	return s.listReply(o, filtered(s.st.wallets.list, func(w *wallet) bool {
		return w.owner() == c.param("id") && o.keep(w, "Currency", w.Currency)
	}))
}

// listWalletTransactions is GET /wallets/{id}/transactions with filters
// Status, ResultCode, Type, Nature, BeforeDate, AfterDate; under SCA for
// OWNER users (sca.go).
func (s *Server) listWalletTransactions(c *call) *reply {
	sca, rep := s.scaContext(c)
	if rep != nil {
		return rep
	}
	w, rep := s.walletOr404(c.param("id"))
	if rep != nil {
		return rep
	}
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	if rep := s.walletSCA(w.owner(), sca); rep != nil {
		return rep
	}
	id := c.param("id")
	var items []record
	for _, tx := range s.st.transactions() {
		b := tx.tx()
		if strOr(b.CreditedWalletId) != id && strOr(b.DebitedWalletId) != id {
			continue
		}
		if o.keep(tx, "Status", b.Status, "ResultCode", strOr(b.ResultCode), "Type", b.Type, "Nature", b.Nature) {
			items = append(items, tx)
		}
	}
	return s.listReply(o, items)
}

// listClientWallets is GET /clients/wallets (the FEES wallets).
func (s *Server) listClientWallets(c *call) *reply {
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	var items []record
	for _, w := range s.st.fees {
		items = append(items, w)
	}
	return s.listReply(o, items)
}

// getClientWallet is GET /clients/wallets/{FEES|CREDIT}/{currency}.
func (s *Server) getClientWallet(c *call) *reply {
	st := s.st
	cur := strings.ToUpper(c.param("currency"))
	if !strings.EqualFold(c.param("funds"), "FEES") || !slices.Contains(currencies, cur) {
		return st.notFound("ClientWallet", c.param("funds")+"/"+c.param("currency"))
	}
	return jsonReply(http.StatusOK, st.feesWallet(cur))
}

// Balance returns a wallet's balance (user wallets and "FEES_<CUR>").
func (s *Server) Balance(walletID string) (int64, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.st.wallets.get(walletID)
	if !ok {
		for _, f := range s.st.fees {
			if f.Id == walletID {
				return f.Balance.Amount, f.Currency, nil
			}
		}
		return 0, "", errNotFound("wallet", walletID)
	}
	return w.Balance.Amount, w.Currency, nil
}

// FeesBalance is the balance of the platform's FEES wallet for a currency.
func (s *Server) FeesBalance(currency string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.st.fees[currency]; ok {
		return w.Balance.Amount
	}
	return 0
}

// move adds amount to a wallet (negative to debit).
func (w *wallet) move(amount int64) { w.Balance.Amount += amount }
