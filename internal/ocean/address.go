package ocean

// Address is a postal address with the name and phone number of the person
// there: a saved address in an account's address book (account.Address
// adds its id), where an order goes (order.Order), what a checkout asks for
// (checkout.Request) and what the API reads and writes. Where it is stored
// its personal fields are sealed (encrypted); the country, which shipping
// and tax rules need, may be kept in clear.
type Address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
	Phone      string `json:"phone"`
}
