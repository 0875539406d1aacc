package order

import (
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Export is an order as a shopper's data export ("download my data")
// shows it: what was bought, where it went and how it was paid, without the
// shop's internal references.
type Export struct {
	Card           string         `json:"card"`
	CreatedAt      time.Time      `json:"created_at"`
	DiscountCode   string         `json:"discount_code"`
	Email          string         `json:"email"`
	Items          []Item         `json:"items"`
	Number         string         `json:"number"`
	PaidAt         *time.Time     `json:"paid_at"`
	Refunded       int64          `json:"refunded"`
	Address        ocean.Address  `json:"shipping_address"`
	ShippingMethod string         `json:"shipping_method"`
	Status         Status         `json:"status"`
	Totals         pricing.Totals `json:"totals"`
	Tracking       string         `json:"tracking_number"`
}

// Export returns o as a data export shows it.
func (o *Order) Export() Export {
	return Export{Number: o.Number(), Status: o.Status, Email: o.Email, Items: o.Items, Totals: o.Totals,
		Refunded: o.Refunded, DiscountCode: o.DiscountCode, ShippingMethod: o.ShippingMethod,
		Address: o.Address, Tracking: o.Tracking, Card: o.Card, CreatedAt: o.CreatedAt, PaidAt: o.PaidAt}
}
