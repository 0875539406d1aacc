package checkout

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/ocean"
)

// HandoffTTL is how long a checkout link made for an assistant opens its
// cart in a browser.
const HandoffTTL = 30 * time.Minute

// handoffAAD binds a sealed handoff to its purpose: a sealed address or
// phone number can never pass for one.
const handoffAAD = "cart.handoff"

var errBadHandoff = ocean.Errorf(ocean.ENOTFOUND, "This checkout link is not valid or has expired; ask for a new one.")

// Handoff returns the storefront link that opens the cart's checkout in a
// browser, where the shopper types their address and card (an assistant
// that asked for the link never sees either). The link carries the cart id
// sealed with the shop's key and an expiry, never the bare id, and works
// for HandoffTTL. Only whoever may see the cart gets a link (cart.Load's
// rule); an empty or no longer open cart is EUNPROCESSABLE.
func (s *Service) Handoff(ctx context.Context, cartID string, userID int64) (link string, expires time.Time, err error) {
	v, err := s.c.Carts.Get(ctx, cartID, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	if v.Status != cart.Open {
		return "", time.Time{}, ocean.Errorf(ocean.EUNPROCESSABLE, "This cart has already been checked out; create a new cart.")
	}
	if v.Count == 0 {
		return "", time.Time{}, ocean.Errorf(ocean.EUNPROCESSABLE, "The cart is empty; add something before checking out.")
	}
	if s.c.Sealer == nil {
		return "", time.Time{}, ocean.Errorf(ocean.EUNAVAILABLE, "Checkout links are not available on this shop.")
	}
	expires = s.c.Now().Add(HandoffTTL).UTC().Truncate(time.Second)
	sealed, err := s.c.Sealer.Seal(cartID+" "+strconv.FormatInt(expires.Unix(), 10), handoffAAD)
	if err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimRight(s.c.PublicURL, "/") + "/cart/resume?t=" + url.QueryEscape(sealed), expires, nil
}

// OpenHandoff returns the cart id a link made by Handoff names, or
// ENOTFOUND when the token was not made by this shop's keys or has expired.
func (s *Service) OpenHandoff(token string) (string, error) {
	if s.c.Sealer == nil || token == "" || len(token) > 512 {
		return "", errBadHandoff
	}
	plain, err := s.c.Sealer.Open(token, handoffAAD)
	if err != nil {
		return "", errBadHandoff
	}
	id, exp, ok := strings.Cut(plain, " ")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || !cart.ValidID(id) || s.c.Now().After(time.Unix(unix, 0)) {
		return "", errBadHandoff
	}
	return id, nil
}
