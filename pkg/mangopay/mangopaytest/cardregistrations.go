package mangopaytest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

var cardTypes = []string{"CB_VISA_MASTERCARD", "AMEX", "MAESTRO", "BCMC"}

// cardReg is a card registration.
type cardReg struct {
	entityBase
	UserId              string  `json:"UserId"`
	AccessKey           string  `json:"AccessKey"`
	PreregistrationData string  `json:"PreregistrationData"`
	RegistrationData    *string `json:"RegistrationData"`
	CardId              *string `json:"CardId"`
	CardType            string  `json:"CardType"`
	CardRegistrationURL string  `json:"CardRegistrationURL"`
	ResultCode          *string `json:"ResultCode"`
	ResultMessage       *string `json:"ResultMessage"`
	Currency            string  `json:"Currency"`
	Status              string  `json:"Status"`
}

func (r *cardReg) view() any { return r }

// pciData is what the fake vault keeps of a tokenized card: never the full
// PAN nor the CVV.
type pciData struct {
	regID       string
	bin, last4  string
	fingerprint string
	provider    string
	expiry      string // MMYY
	challenge   bool   // the sandbox 3DS challenge card
}

// createCardRegistration is POST /cardregistrations.
func (s *Server) createCardRegistration(c *call) *reply {
	st := s.st
	var in struct {
		UserId   *string `json:"UserId"`
		Currency *string `json:"Currency"`
		CardType *string `json:"CardType"`
		Tag      *string `json:"Tag"`
	}
	errs := decodeBody(c.body, &in)
	st.bodyUser(errs, "UserId", in.UserId, true)
	if in.Currency == nil || *in.Currency == "" {
		errs.required("Currency")
	} else if !slices.Contains(currencies, *in.Currency) {
		errs.addf("Currency", "Currency: The currency %s is not available", *in.Currency)
	}
	checkEnum(errs, "CardType", in.CardType, false, cardTypes...)
	checkTag(errs, in.Tag)
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	r := &cardReg{entityBase: st.base("cardreg_m_", in.Tag), UserId: *in.UserId, AccessKey: randCode(20),
		PreregistrationData: randCode(40), CardType: "CB_VISA_MASTERCARD", Currency: *in.Currency, Status: "CREATED"}
	if in.CardType != nil {
		r.CardType = *in.CardType
	}
	r.CardRegistrationURL = s.URL + "/__pci/tokenize/" + r.Id
	st.cardRegs.add(r)
	return jsonReply(http.StatusOK, r)
}

func (s *Server) getCardRegistration(c *call) *reply {
	r, ok := s.st.cardRegs.get(c.param("id"))
	if !ok {
		return s.st.notFound("CardRegistration", c.param("id"))
	}
	return jsonReply(http.StatusOK, r)
}

// servePCI is the fake vault: POST {CardRegistrationURL} with the form
// fields, answering "data=<token>" or "errorCode=<code>" as plain text.
func (s *Server) servePCI(r *http.Request, regID string, body []byte) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := func(v string) *reply {
		return &reply{status: http.StatusOK, body: []byte(v), ctype: "text/plain; charset=utf-8"}
	}
	if r.Method != http.MethodPost {
		return text("errorCode=02632")
	}
	form, err := url.ParseQuery(string(body))
	reg, ok := s.st.cardRegs.get(regID)
	if err != nil || !ok || reg.Status != "CREATED" ||
		form.Get("data") != reg.PreregistrationData || form.Get("accessKeyRef") != reg.AccessKey {
		return text("errorCode=09101")
	}
	pan := form.Get("cardNumber")
	if code := s.checkCardForm(pan, form.Get("cardExpirationDate"), form.Get("cardCvx")); code != "" {
		return text("errorCode=" + code)
	}
	tok := randCode(64)
	sum := sha256.Sum256([]byte(pan))
	s.st.pci[tok] = &pciData{regID: reg.Id, bin: pan[:6], last4: pan[len(pan)-4:],
		fingerprint: hex.EncodeToString(sum[:16]), provider: cardProvider(pan, reg.CardType),
		expiry: form.Get("cardExpirationDate"), challenge: pan == challengePAN}
	return text("data=" + tok)
}

// checkCardForm validates number (12-19 digits, Luhn), expiry (MMYY, not
// past on the fake clock) and CVV (3 digits, 4 for AMEX).
func (s *Server) checkCardForm(pan, exp, cvx string) string {
	if len(pan) < 12 || len(pan) > 19 || !reDigits.MatchString(pan) || !luhn(pan) {
		return "02625"
	}
	if !s.validExpiry(exp) {
		return "02626"
	}
	want := 3
	if cardProvider(pan, "") == "AMEX" {
		want = 4
	}
	if len(cvx) != want || !reDigits.MatchString(cvx) {
		return "02627"
	}
	return ""
}

func (s *Server) validExpiry(exp string) bool {
	if len(exp) != 4 || !reDigits.MatchString(exp) {
		return false
	}
	month := int(exp[0]-'0')*10 + int(exp[1]-'0')
	year := 2000 + int(exp[2]-'0')*10 + int(exp[3]-'0')
	if month < 1 || month > 12 {
		return false
	}
	endOfMonth := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	return s.st.now.Before(endOfMonth)
}

// vaultResults maps vault error codes to registration ResultCodes.
var vaultResults = map[string]string{"02625": "105202", "02626": "105203", "02627": "105204"}

// updateCardRegistration is PUT /cardregistrations/{id} with
// RegistrationData (and optional CardHolderName): VALIDATED + CardId, or
// ERROR with a ResultCode.
func (s *Server) updateCardRegistration(c *call) *reply {
	st := s.st
	r, ok := st.cardRegs.get(c.param("id"))
	if !ok {
		return st.notFound("CardRegistration", c.param("id"))
	}
	var in struct {
		RegistrationData *string `json:"RegistrationData"`
		CardHolderName   *string `json:"CardHolderName"`
	}
	errs := decodeBody(c.body, &in)
	checkStr(errs, "RegistrationData", in.RegistrationData, true, 1, 4096)
	checkStr(errs, "CardHolderName", in.CardHolderName, false, 2, 255)
	if len(errs) == 0 && r.Status != "CREATED" {
		errs.add("RegistrationData", "The card registration has already been processed (Status "+r.Status+")")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	r.RegistrationData = in.RegistrationData
	code, data := registrationOutcome(*in.RegistrationData, st.pci, r.Id)
	if code != "" {
		r.Status, r.ResultCode, r.ResultMessage = "ERROR", ptr(code), ptr(resultMessage(code))
		return jsonReply(http.StatusOK, r)
	}
	cd := s.newCard(r, data, in.CardHolderName)
	r.Status, r.CardId, r.ResultCode, r.ResultMessage = "VALIDATED", ptr(cd.Id), ptr("000000"), ptr("Success")
	return jsonReply(http.StatusOK, r)
}

// registrationOutcome reads RegistrationData: "data=<token>" issued for this
// registration, or "errorCode=<code>", or garbage.
func registrationOutcome(rd string, vault map[string]*pciData, regID string) (string, *pciData) {
	switch {
	case strings.HasPrefix(rd, "errorCode="):
		if code, ok := vaultResults[strings.TrimPrefix(rd, "errorCode=")]; ok {
			return code, nil
		}
		return "105299", nil
	case strings.HasPrefix(rd, "data="):
		d, ok := vault[strings.TrimPrefix(rd, "data=")]
		if !ok || d.regID != regID {
			return "105299", nil
		}
		return "", d
	}
	return "105206", nil
}
