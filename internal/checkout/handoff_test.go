package checkout_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/ocean"
)

// TestHandoff: a checkout link opens its own cart for HandoffTTL, only for
// whoever may see the cart, never for an empty or ordered cart, and an
// altered, foreign or expired token opens nothing.
func TestHandoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cartID := e.newCart(0, e.tee, 1)
	link, exp, err := e.svc.Handoff(e.ctx, cartID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://shop.example/cart/resume?t=") || strings.Contains(link, cartID) {
		t.Fatalf("link %q", link)
	}
	if got := exp.Sub(e.clock.Now()); got > checkout.HandoffTTL || got < checkout.HandoffTTL-time.Second {
		t.Errorf("expires in %s, want %s", got, checkout.HandoffTTL)
	}
	u, _ := url.Parse(link)
	tok := u.Query().Get("t")
	if id, err := e.svc.OpenHandoff(tok); err != nil || id != cartID {
		t.Fatalf("open: %q, %v", id, err)
	}
	for _, bad := range []string{"", tok + "x", "cart.handoff|" + "bm90IGEgY2FydA==", strings.Repeat("a", 600), strings.Replace(tok, "cart.handoff", "order.address:x", 1)} {
		if _, err := e.svc.OpenHandoff(bad); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Errorf("token %.40q opened: %v", bad, err)
		}
	}
	e.clock.Add(checkout.HandoffTTL + time.Second)
	if _, err := e.svc.OpenHandoff(tok); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Errorf("an expired link opened: %v", err)
	}

	// A shopper's cart gets a link only for that shopper.
	uid := e.user("bea@example.com")
	own := e.newCart(uid, e.tee, 1)
	if _, _, err := e.svc.Handoff(e.ctx, own, 0); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Errorf("a guest got a link to a shopper's cart: %v", err)
	}
	if _, _, err := e.svc.Handoff(e.ctx, own, uid); err != nil {
		t.Errorf("the shopper's own link: %v", err)
	}
	// Nothing to pay for: no link.
	empty, _ := e.carts.Create(e.ctx, 0)
	if _, _, err := e.svc.Handoff(e.ctx, empty.ID, 0); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Errorf("an empty cart got a link: %v", err)
	}
	if _, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Handoff(e.ctx, cartID, 0); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Errorf("an ordered cart got a link: %v", err)
	}
	e.seal.failSeal.Store(true)
	if _, _, err := e.svc.Handoff(e.ctx, own, uid); err == nil {
		t.Error("a link without a key")
	}
}
