package mangopay_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// Seeds the decoding test checks field by field.
var (
	seedLegalPayer = `{"Id":"146476890","PersonType":"LEGAL","Name":"Acme","LegalPersonType":"BUSINESS","Email":"a@b.c","UserCategory":"PAYER",
	 "HeadquartersAddress":{"AddressLine1":null,"AddressLine2":null,"City":null,"Region":null,"PostalCode":null,"Country":null},
	 "LegalRepresentativeFirstName":"Jane","LegalRepresentativeLastName":"Doe","LegalRepresentativeBirthday":null,"CompanyNumber":null,
	 "KYCLevel":"LIGHT","CreationDate":1737216704,"Tag":null}`
	seedUserList = `[{"Id":"user_m_1","PersonType":"NATURAL"},{"Id":"user_m_2","PersonType":"LEGAL"}]`
	seedPayIn3DS = `{"Id":"wt_ba1e1201-ef12-4c33-942d-8461f1686a67","Tag":"…","CreationDate":1700210889,"AuthorId":"user_m_01","CreditedUserId":"user_m_01",
	 "DebitedFunds":{"Currency":"EUR","Amount":57842},"CreditedFunds":{"Currency":"EUR","Amount":48965},"Fees":{"Currency":"EUR","Amount":8877},
	 "Status":"CREATED","ResultCode":null,"ResultMessage":null,"ExecutionDate":null,"Type":"PAYIN","Nature":"REGULAR",
	 "CreditedWalletId":"wlt_m_01","DebitedWalletId":null,"PaymentType":"CARD","ExecutionType":"DIRECT","SecureMode":"DEFAULT",
	 "CardId":"card_m_01","SecureModeReturnURL":"https://example.com/ret?transactionId=209160523","SecureModeRedirectURL":"https://x/challenge",
	 "SecureModeNeeded":true,"Culture":"EN","SecurityInfo":{"AVSResult":"NO_CHECK"},"StatementDescriptor":"Mangopay",
	 "BrowserInfo":{"AcceptHeader":"text/html","JavaEnabled":true,"Language":"FR-FR","ColorDepth":4,"ScreenHeight":1800,"ScreenWidth":400,"TimeZoneOffset":"+60","UserAgent":"Mozilla"},
	 "IpAddress":"658e:1ef1::1","Billing":{"FirstName":"A","LastName":"B","Address":null},"Shipping":null,"Requested3DSVersion":null,"Applied3DSVersion":"V2_1",
	 "RecurringPayinRegistrationId":null,"PreferredCardNetwork":null,"PaymentCategory":"ECommerce",
	 "CardInfo":{"BIN":"497010","IssuingBank":"LA BANQUE POSTALE","IssuerCountryCode":"MA","Type":"CREDIT","Brand":"VISA","SubType":null}}`
	seedIdempotency = `{"StatusCode":"200","ContentLength":"591","ContentType":"application/json; charset=utf-8",
	 "Date":"Tue, 19 Jul 2022 08:47:59 GMT","RequestURL":"https://api.mangopay.com/V2.01/clientId/users/natural",
	 "Resource":{"Id":"user_m_01","PersonType":"NATURAL"}}`
	seedIdempotencyNumeric = `{"StatusCode":400,"ContentLength":12,"Date":"not a date","Resource":null}`
	seedParamError         = `{"Message":"One or several required parameters are missing or incorrect.","Type":"param_error","Id":"5e83fbe8-7345-4778-8437-4aa6464b3337",
	 "Date":1740581497.0,"errors":{"CreditedWalletId":"The CreditedWalletId field is required."}}`
)

// fuzzSeeds are realistic bodies, mostly from the API reference, including
// every error shape a client must survive.
var fuzzSeeds = []string{
	// Users.
	`{"Address":{"AddressLine1":"3 rue de la Cité","AddressLine2":"Appartement 7","City":"Paris","Region":"Île-de-France","PostalCode":"75004","Country":"FR"},
	 "FirstName":"Alex","LastName":"Smith","Birthday":null,"Nationality":null,"CountryOfResidence":null,"Occupation":null,"IncomeRange":null,
	 "ProofOfIdentity":null,"ProofOfAddress":null,"Capacity":"NORMAL","PhoneNumber":null,"PhoneNumberCountry":null,
	 "Id":"user_m_01JHX2YFX51HSR8R2HJ8ABSEFF","Tag":"…","CreationDate":1737216704,"PersonType":"NATURAL","Email":"alex.smith@example.com",
	 "KYCLevel":"LIGHT","TermsAndConditionsAccepted":false,"TermsAndConditionsAcceptedDate":null,"UserCategory":"PAYER","UserStatus":"ACTIVE"}`,
	seedLegalPayer,
	`{"Id":"user_m_1","PersonType":"NotSpecified","CreationDate":1}`,
	`{"Id":"user_m_1","PersonType":"NATURAL","Birthday":"yesterday"}`,
	seedUserList,
	// KYC.
	`{"Type":"IDENTITY_PROOF","UserId":"user_m_01","Flags":[],"Id":"kyc_01JA5M2N33ENJHWVPQXVJ6Q51P","Tag":"accept",
	 "CreationDate":1728913167,"ProcessedDate":null,"Status":"CREATED","RefusedReasonType":null,"RefusedReasonMessage":null}`,
	// Bank account and wallet.
	`{"OwnerAddress":{"AddressLine1":"1 rue","City":"Paris","PostalCode":"75001","Country":"FR"},"IBAN":"FR7630004000031234567890143","BIC":"BNPAFRPP",
	 "UserId":"142036728","OwnerName":"John Doe","Type":"IBAN","Id":"150287803","Tag":"custom meta","CreationDate":1661859994,"Active":true}`,
	`{"Description":"…","Owners":["user_m_01"],"Id":"wlt_m_01","Balance":{"Currency":"EUR","Amount":0},"Currency":"EUR","FundsType":"DEFAULT","Tag":"…","CreationDate":1724921476}`,
	// Card registration and card.
	`{"Id":"cardreg_wt_11ed4694-0000","Tag":null,"CreationDate":1726239226,"UserId":"user_m_01",
	 "AccessKey":"ehvrHoPE6FpjCCAgmNvg","PreregistrationData":"lhOJ6CFiDJ","RegistrationData":null,"CardId":null,
	 "CardType":"CB_VISA_MASTERCARD","CardRegistrationURL":"https://pci.sandbox.mangopay.com/api/mangopay/vault/tokenize/eyJ",
	 "ResultCode":null,"ResultMessage":null,"Currency":"EUR","Status":"CREATED"}`,
	`{"RegistrationData":"errorCode=02625","CardId":null,"ResultCode":"105202","ResultMessage":"Card number: invalid format","Status":"ERROR"}`,
	`{"ExpirationDate":"1229","Alias":"497010XXXXXX8183","CardType":"CB_VISA_MASTERCARD","CardProvider":"VISA","Country":"FRA",
	 "Product":"I","BankCode":"unknown","Active":true,"Currency":"EUR","Validity":"UNKNOWN","UserId":"user_m_01",
	 "Id":"card_m_01HXVD91R8QEDY7MYC8TX9R9M8","Tag":null,"CreationDate":1715685590,"Fingerprint":"48d63bbcfc2c47fcbc19df35e47b2f8d","CardHolderName":"Alex Smith"}`,
	// Pay-ins.
	seedPayIn3DS,
	`{"BrowserInfo":{"TimeZoneOffset":-120}}`,
	`{"BrowserInfo":{"TimeZoneOffset":"60.0"}}`,
	`{"BrowserInfo":{"TimeZoneOffset":"abc"}}`,
	`{"BrowserInfo":{"TimeZoneOffset":1e300}}`,
	`{"Id":"payin_m_1","PaymentType":"BANK_WIRE","ExecutionType":"DIRECT","DeclaredDebitedFunds":{"Currency":"EUR","Amount":10000},
	 "DeclaredFees":{"Currency":"EUR","Amount":500},"WireReference":"4a57980154","BankAccount":{"Type":"IBAN","OwnerName":"MANGOPAY SA","IBAN":"LU72","BIC":"BGLLLULL"}}`,
	// Preauthorization, refund, transfer, payout.
	`{"Id":"preauth_m_01","AuthorId":"user_m_01","DebitedFunds":{"Currency":"EUR","Amount":10000},"RemainingFunds":{"Currency":"EUR","Amount":10000},
	 "AuthorizationDate":1700000000,"Status":"SUCCEEDED","PaymentStatus":"WAITING","ExpirationDate":1700561600,"PayInId":null,"MultiCapture":true}`,
	`{"Id":"refund_m_01HW8A130S4SBVDZ70V809SS2X","AuthorId":"204071581","CreditedUserId":null,
	 "DebitedFunds":{"Currency":"EUR","Amount":2500},"CreditedFunds":{"Currency":"EUR","Amount":2750},"Fees":{"Currency":"EUR","Amount":-250},
	 "Status":"SUCCEEDED","ResultCode":"000000","ResultMessage":"Success","ExecutionDate":1713970908,"Type":"PAYOUT","Nature":"REFUND",
	 "InitialTransactionId":"204844475","InitialTransactionType":"PAYIN","InitialTransactionNature":"REGULAR",
	 "DebitedWalletId":"204844308","CreditedWalletId":null,"RefundReason":{"RefundReasonMessage":null,"RefundReasonType":"INITIALIZED_BY_CLIENT"},"StatementDescriptor":"Example123"}`,
	`{"Id":"xfer_m_01","Status":"FAILED","ResultCode":"001001","ResultMessage":"Unsufficient wallet balance","ScaContext":null,"PendingUserAction":{"RedirectUrl":"https://sca"}}`,
	`{"Id":"po_m_01","Status":"CREATED","ResultCode":null,"PaymentType":"BANK_WIRE","BankAccountId":"bankacc_m_01","BankWireRef":null,
	 "ModeRequested":"STANDARD","ModeApplied":"PENDING_RESPONSE","FallbackReason":{"Code":"001999","Message":"x"},"EndToEndId":null,
	 "PaymentRef":{"ReasonType":"PAYIN_REFUND","ReferenceId":"payin_m_1"},"RecipientVerificationOfPayee":{"Status":"MATCH"}}`,
	// Hook, events.
	`{"Url":"https://example.com/hook","Status":"ENABLED","Validity":"VALID","EventType":"PAYIN_NORMAL_SUCCEEDED","Id":"hook_m_01","Tag":null,"CreationDate":1}`,
	`[{"ResourceId":"payin_m_01","EventType":"PAYIN_NORMAL_SUCCEEDED","Date":1655891453}]`,
	// Idempotency responses.
	seedIdempotency,
	seedIdempotencyNumeric,
	`{"StatusCode":"409","Resource":"text"}`,
	// Error shapes.
	seedParamError,
	`{"Message":"x","Type":"original_transaction_must_be_succeeded","Id":"bf6cce22-0000#1452723935","Date":1452723944,"Errors":{}}`,
	`{"Message":"A resource has already been created with this Idempotency Key","Type":"idempotent_creation_conflict","Id":"bf6cce22-0000#1452723935","Date":1452723944,"errors":null}`,
	`{"Message":"The authorization credentials are not valid","Type":"invalid_credentials","Date":1733404277}`,
	`{"error":"invalid_client","error_description":"The authorization header was malformed or not recognized"}`,
	`{"error":"unauthorized_client","error_description":"This account has been temporarily locked for security reasons. Please try again later."}`,
	`{"Message":"Rate limit exceeded. Please contact support for more assistance","Type":"rate_limit","Id":null,"Date":null,"errors":null}`,
	`{"Message":"The ressource does not exist","Type":"ressource_not_found","Id":"x","Date":"1740580882","errors":{"RessourceNotFound":"Cannot found the ressource PayIn with the id=123456789"}}`,
	`{"errors":{"a":1,"b":{"c":true},"d":null},"Errors":{"e":"f"}}`,
	`<html><body><h1>503 Service Unavailable</h1></body></html>`,
	``,
	`null`,
	`{}`,
	`[]`,
}

// decodeTargets are the response types a client decodes.
func decodeTargets() []any {
	return []any{
		new(mangopay.User), new(mangopay.NaturalUser), new(mangopay.LegalUser), new([]mangopay.User),
		new(mangopay.KYCDocument), new(mangopay.BankAccount), new(mangopay.Wallet),
		new(mangopay.CardRegistration), new(mangopay.Card), new(mangopay.PayIn), new(mangopay.PreAuthorization),
		new(mangopay.Refund), new(mangopay.Transfer), new(mangopay.PayOut), new(mangopay.Hook),
		new([]mangopay.Event), new(mangopay.IdempotencyResponse), new(mangopay.BrowserInfo),
	}
}

func FuzzDecodeResponses(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, out := range decodeTargets() {
			if json.Unmarshal(body, out) != nil {
				continue
			}
			// What decoded must encode, and decode again.
			again, err := json.Marshal(out)
			if err != nil {
				t.Fatalf("%T decoded from %q but does not encode: %v", out, body, err)
			}
			if err := json.Unmarshal(again, decodeTargetLike(out)); err != nil {
				t.Fatalf("%T re-decoding %s: %v", out, again, err)
			}
			if r, ok := out.(*mangopay.IdempotencyResponse); ok {
				_ = r.Status()
				_, _ = r.Time()
				_ = r.Decode(new(mangopay.PayIn))
			}
		}
		for _, status := range []int{400, 401, 404, 409, 429, 500} {
			e := mangopay.DecodeError(status, body)
			if e == nil || e.StatusCode != status {
				t.Fatalf("DecodeError(%d) = %+v", status, e)
			}
			_ = e.Error()
		}
	})
}

// decodeTargetLike returns a new zero value of out's type.
func decodeTargetLike(out any) any {
	return reflect.New(reflect.TypeOf(out).Elem()).Interface()
}

func TestDecodeReferenceBodies(t *testing.T) {
	var p mangopay.PayIn
	if err := json.Unmarshal([]byte(seedPayIn3DS), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "wt_ba1e1201-ef12-4c33-942d-8461f1686a67" || p.DebitedFunds.Amount != 57842 || p.ResultCode != nil ||
		p.ExecutionDate != nil || p.DebitedWalletID != nil || !p.SecureModeNeeded || p.BrowserInfo.TimeZoneOffset != 60 ||
		mangopay.StringValue(p.CardInfo.BIN) != "497010" || p.CardInfo.SubType != nil || p.Shipping != nil || p.Billing.Address != nil {
		t.Fatalf("pay-in = %+v", p)
	}

	offsets := map[string]mangopay.TimeZoneOffset{`-120`: -120, `"+60"`: 60, `"-60"`: -60, `"60.0"`: 60, `" 30 "`: 30, `""`: 0, `null`: 0}
	for in, want := range offsets {
		var got mangopay.TimeZoneOffset
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("TimeZoneOffset %s = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{`"abc"`, `1.5`, `true`, `1e300`, `{}`} {
		var got mangopay.TimeZoneOffset
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("TimeZoneOffset %s decoded as %d, want an error", bad, got)
		}
	}

	var users []mangopay.User
	if err := json.Unmarshal([]byte(seedUserList), &users); err != nil {
		t.Fatal(err)
	}
	if users[0].Natural == nil || users[0].Legal != nil || users[1].Legal == nil || users[1].ID != "user_m_2" {
		t.Fatalf("users = %+v", users)
	}
	var legal mangopay.User
	if err := json.Unmarshal([]byte(seedLegalPayer), &legal); err != nil {
		t.Fatal(err)
	}
	if legal.Legal == nil || !legal.Legal.HeadquartersAddress.IsZero() || legal.Legal.CompanyNumber != nil || legal.Tag != "" {
		t.Fatalf("legal user = %+v", legal.Legal)
	}

	var r mangopay.IdempotencyResponse
	if err := json.Unmarshal([]byte(seedIdempotency), &r); err != nil {
		t.Fatal(err)
	}
	when, err := r.Time()
	var u mangopay.User
	if r.Status() != 200 || r.ContentLength != "591" || err != nil || when.Year() != 2022 || r.Decode(&u) != nil || u.Natural == nil {
		t.Fatalf("idempotency response = %+v (%v)", r, err)
	}
	var numeric mangopay.IdempotencyResponse
	if err := json.Unmarshal([]byte(seedIdempotencyNumeric), &numeric); err != nil || numeric.StatusCode != "400" || numeric.ContentLength != "12" {
		t.Fatalf("numeric StatusCode: %+v %v", numeric, err)
	}
	if numeric.Decode(&u) == nil {
		t.Fatal("Decode of a null Resource must fail")
	}

	e := mangopay.DecodeError(400, []byte(seedParamError))
	if e.Type != mangopay.TypeParamError || e.Date != 1740581497 || e.Fields["CreditedWalletId"] == "" {
		t.Fatalf("param error = %+v", e)
	}
}
