package mangopaytest

import "strings"

// resultMessages are the ResultMessage texts of the ResultCodes the fake
// produces (§21).
var resultMessages = map[string]string{
	"000000": "Success",
	"001001": "Unsufficient wallet balance",
	"001002": "Author is not the wallet owner",
	"001013": "Invalid transaction amount",
	"001014": "CreditedFunds must be more than 0 (DebitedFunds can not equal Fees)",
	"001023": "Author is not the card owner",
	"001505": "The PayIn DebitedFunds can't be higher than the PreAuthorization remaining amount",
	"002701": "PAYER users cannot receive transfers from PAYER users",
	"002702": "OWNER users cannot transfer to PAYER users",
	"002703": "PAYER users cannot request payouts",
	"002704": "User pending SCA: the transfer needs the user's strong customer authentication",
	"002999": "The debited user has not been verified (KYC limit reached)",
	"007101": "Strong customer authentication failed",
	"007102": "Strong customer authentication was not completed in time",
	"005403": "The refund amount exceeds the initial transaction amount",
	"005404": "The refunded fees exceed the initial transaction fees",
	"005407": "The same amount has already been refunded today",
	"008005": "Security violation",
	"008006": "Fraud suspected by the bank",
	"009103": "PSP configuration error",
	"009199": "PSP technical error",
	"009499": "Bank technical error",
	"101101": "Transaction refused by the bank (Do not honor)",
	"101102": "Transaction refused by the bank (Amount limit)",
	"101103": "Transaction refused by the terminal",
	"101108": "Debited and credited wallets are the same",
	"101109": "The payment period has expired",
	"101111": "Maximum number of attempts reached",
	"101115": "Debit limit exceeded",
	"101301": "3DSecure authentication failed",
	"101410": "The card is not active",
	"105101": "Invalid card number",
	"105103": "Invalid PIN code",
	"105202": "Card number: invalid format",
	"105203": "Expiry date: missing or invalid format",
	"105204": "CVV: missing or invalid format",
	"105206": "Registration data: invalid format",
	"105299": "Token input error",
	"121006": "The bank account is inactive",
	"121009": "Payout expired before processing",
	"121999": "Generic withdrawal error",
}

func resultMessage(code string) string {
	if m, ok := resultMessages[code]; ok {
		return m
	}
	return "Transaction failed (" + code + ")"
}

// sandboxAmounts are the card amounts (minor units) that fail in sandbox
// (§21.2).
var sandboxAmounts = map[int64]string{
	33313: "001013", 33363: "008005", 33334: "008006", 33303: "009103", 33394: "009199",
	33391: "009499", 33305: "101101", 33351: "101102", 33358: "101103", 33338: "101111",
	33361: "101115", 33314: "105101", 33355: "105103",
}

// challengePAN is the sandbox card that always asks for 3DS.
const challengePAN = "4970105181818183"

// luhn checks the Luhn checksum of a digit string.
func luhn(pan string) bool {
	sum, double := 0, false
	for i := len(pan) - 1; i >= 0; i-- {
		d := int(pan[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardProvider guesses the network from the BIN.
func cardProvider(pan, cardType string) string {
	switch {
	case cardType == "BCMC":
		return "BCMC"
	case strings.HasPrefix(pan, "34"), strings.HasPrefix(pan, "37"):
		return "AMEX"
	case strings.HasPrefix(pan, "4"):
		return "VISA"
	case pan[:2] >= "51" && pan[:2] <= "55", pan[:4] >= "2221" && pan[:4] <= "2720":
		return "MASTERCARD"
	case strings.HasPrefix(pan, "50"), pan[:2] >= "56" && pan[:2] <= "58", strings.HasPrefix(pan, "6759"):
		return "MAESTRO"
	case strings.HasPrefix(pan, "35"):
		return "JCB"
	case strings.HasPrefix(pan, "6011"), strings.HasPrefix(pan, "65"):
		return "DISCOVER"
	}
	return "CB"
}
