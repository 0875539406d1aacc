package payment

// declineMessages are the words a shopper reads for each stable decline
// code, shared by every gateway so the same refusal reads the same.
var declineMessages = map[string]string{
	"card_declined":           "Your card was declined. Try another card or contact your bank.",
	"insufficient_funds":      "Your card has insufficient funds. Try another card.",
	"processing_error":        "An error occurred while processing your card. Try again in a little while, or use another card.",
	"invalid_token":           "We could not find the card you entered. Enter your card details again.",
	"expired_card":            "Your card has expired. Try another card.",
	"incorrect_cvc":           "The security code (CVC) is not right. Check it and try again.",
	"incorrect_number":        "The card number is not right. Check it and try again.",
	"authentication_required": "Your bank asks to confirm this payment in a way this shop cannot offer yet. Try another card.",
}

// NewDecline returns the Decline for a code with its plain-words message;
// an unknown code gets the general card_declined message.
func NewDecline(code string) *Decline {
	msg, ok := declineMessages[code]
	if !ok {
		msg = declineMessages["card_declined"]
	}
	return &Decline{Code: code, Message: msg}
}
