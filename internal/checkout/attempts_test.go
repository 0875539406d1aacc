package checkout_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
)

// outcomes is an attempt list as "outcome/code" words, oldest first.
func outcomes(as []order.Attempt) string {
	var w []string
	for _, a := range as {
		w = append(w, a.Outcome+"/"+a.DeclineCode)
	}
	return strings.Join(w, " ")
}

// TestDeclinesThenPaidIsOneNumberedOrder: two declined cards and then a
// good one on the same cart make one order, numbered next in line, that
// shows all three attempts; the declines burn no number and are no order
// to anyone's list or count.
func TestDeclinesThenPaidIsOneNumberedOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.paid(1)
	if first.Number() != "OC100001" {
		t.Fatalf("first order of a new shop = %q", first.Number())
	}
	cartID := e.newCart(0, e.tee, 2)
	for _, tok := range []string{"tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds"} {
		_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, tok))
		var d *checkout.DeclineError
		if !errors.As(err, &d) || d.Order.Number() != "" {
			t.Fatalf("%s: %v", tok, err)
		}
	}
	o, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number() != "OC100002" || !o.Placed() {
		t.Fatalf("paid after two declines: number %q", o.Number())
	}
	as := e.attempts(o)
	if got := outcomes(as); got != "declined/card_declined declined/insufficient_funds succeeded/" {
		t.Fatalf("attempts = %s", got)
	}
	for _, a := range as {
		if a.CartID != cartID || a.Gateway != "sandbox" || a.Amount != o.Totals.Total || a.Reference == "" || a.CreatedAt.IsZero() {
			t.Errorf("attempt %+v", a)
		}
	}
	if as[2].OrderID != o.ID || as[0].OrderID == o.ID || as[0].Message == "" {
		t.Errorf("attempts point at %d, %d (order %d); message %q", as[0].OrderID, as[2].OrderID, o.ID, as[0].Message)
	}
	// Staff find an order by the number people quote.
	for _, ref := range []string{"OC100002", "oc100002", "100002"} {
		if got, err := e.svc.OrderByID(e.ctx, ref); err != nil || got.ID != o.ID || got.Address.City != "Cape Town" {
			t.Errorf("OrderByID(%s) = %v, %v", ref, got, err)
		}
	}
	for _, ref := range []string{"OC100003", "OC0", "OC-1", ""} {
		if _, err := e.svc.OrderByID(e.ctx, ref); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Errorf("OrderByID(%q): %v", ref, err)
		}
	}
	// The first order's checkout had one attempt only.
	if got := outcomes(e.attempts(first)); got != "succeeded/" {
		t.Errorf("first order's attempts = %s", got)
	}
	// The mail quotes the stored number.
	if m := e.sentMails(); len(m) != 2 || !strings.Contains(m[1].subject, "OC100002") {
		t.Errorf("mails %+v", m)
	}
	os, err := e.svc.Orders(e.ctx, order.Filter{})
	if err != nil || len(os) != 2 || os[0].Number() != "OC100002" || os[1].Number() != "OC100001" {
		t.Fatalf("orders %v %+v", err, os)
	}
	counts, err := e.svc.CountByStatus(e.ctx)
	if err != nil || counts[order.Paid] != 2 || counts[order.Cancelled] != 0 {
		t.Fatalf("counts %v %v", counts, err)
	}
	if rows := e.rows(order.Filter{}); len(rows) != 4 {
		t.Fatalf("%d rows: the declined checkouts keep theirs", len(rows))
	}
	if e.stock(e.tee) != 7 {
		t.Errorf("stock %d: declines give their units back", e.stock(e.tee))
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "read tcp 10.0.0.1:443: i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

type nothingDoneErr struct{}

func (nothingDoneErr) Error() string     { return "gateway: 503 service unavailable" }
func (nothingDoneErr) NothingDone() bool { return true }

// TestAttemptOutcomes: each way an authorization can end is one row with
// the outcome an admin can tell apart; the raw error stays in the log.
func TestAttemptOutcomes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		err     error
		outcome string
		code    string
	}{
		{"timed out (net timeout)", timeoutErr{}, order.AttemptTimedOut, "timeout"},
		{"timed out (deadline)", fmt.Errorf("post: %w", context.DeadlineExceeded), order.AttemptTimedOut, "timeout"},
		{"gateway unavailable, nothing done", nothingDoneErr{}, order.AttemptFailed, "gateway_unavailable"},
		{"no answer", errTimeout, order.AttemptFailed, "gateway_error"},
		{"invalid token", payment.NewDecline("invalid_token"), order.AttemptDeclined, "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.gw.set("authorize", fail(c.err))
			cartID := e.newCart(0, e.tee, 1)
			if _, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa")); err == nil {
				t.Fatal("paid")
			}
			rows := e.rows(order.Filter{})
			if len(rows) != 1 || rows[0].Number() != "" {
				t.Fatalf("rows %+v", rows)
			}
			as := e.attempts(&rows[0])
			if len(as) != 1 || as[0].Outcome != c.outcome || as[0].DeclineCode != c.code || as[0].Message == "" {
				t.Fatalf("attempts %+v", as)
			}
			if strings.Contains(as[0].Message, "10.0.0.1") || strings.Contains(as[0].Message, "503") {
				t.Errorf("the raw error is shown: %q", as[0].Message)
			}
			if os, _ := e.svc.Orders(e.ctx, order.Filter{}); len(os) != 0 {
				t.Errorf("%d orders after a failed payment", len(os))
			}
		})
	}
}

// TestAttemptNotRecordedStillDeclines: the record of a declined attempt
// is not the decline; a store that cannot write it still releases the
// stock, answers the shopper and says so in the log.
func TestAttemptNotRecordedStillDeclines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.set("RecordAttempt", func() error { return errors.New("disk full") })
	cartID := e.newCart(0, e.tee, 1)
	_, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_chargeDeclined"))
	var d *checkout.DeclineError
	if !errors.As(err, &d) || d.Code != "card_declined" {
		t.Fatalf("%v", err)
	}
	if e.stock(e.tee) != 10 || e.cartStatus(cartID) != "open" {
		t.Errorf("stock %d, cart %s", e.stock(e.tee), e.cartStatus(cartID))
	}
	if !e.log.has("payment attempt not recorded") {
		t.Error("no log line for the lost record")
	}
	if as := e.attempts(d.Order); len(as) != 0 {
		t.Errorf("attempts %+v", as)
	}
	e.store.set("Attempts", func() error { return errors.New("disk I/O error") })
	if _, err := e.svc.Attempts(e.ctx, d.Order); err == nil {
		t.Error("Attempts hid a store error")
	}
}

// TestPaymentWriteFailsThenReconciled: a checkout's succeeded attempt is
// written in the payment's own transaction. When that write fails the
// shopper is not told the order is paid, the units stay reserved, and the
// reconciler later finds the authorization at the gateway: the order is
// paid with the first number and its attempt is on record once.
func TestPaymentWriteFailsThenReconciled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.set("RecordAttempt", func() error { return errors.New("disk full") })
	cartID := e.newCart(0, e.tee, 1)
	if o, err := e.svc.Checkout(e.ctx, e.request(cartID, 0, "tok_visa")); err == nil {
		t.Fatalf("paid without its record: %+v", o)
	}
	e.store.set("RecordAttempt", nil)
	rows := e.rows(order.Filter{})
	if len(rows) != 1 || rows[0].Status != order.PendingPayment || rows[0].Number() != "" || e.stock(e.tee) != 9 {
		t.Fatalf("rows %+v, stock %d", rows, e.stock(e.tee))
	}
	e.clock.Add(e.cfg.ReservationTTL + time.Minute)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile %d %v", n, err)
	}
	got := e.order(rows[0].ID)
	if got.Status != order.Paid || got.Number() != "OC100001" || e.stock(e.tee) != 9 {
		t.Fatalf("%+v, stock %d", got, e.stock(e.tee))
	}
	if s := outcomes(e.attempts(got)); s != "succeeded/" {
		t.Fatalf("attempts = %s", s)
	}
}

// TestConfirmedAttemptOnce: an authorization whose answer was lost is
// recorded when the reconciler finds it at the gateway, once however many
// times it is reported (a webhook after the reconciler), and the order
// gets the next number.
func TestConfirmedAttemptOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("authorize", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
		_, _ = real()
		return payment.Authorization{}, timeoutErr{}
	})
	cartID := e.newCart(0, e.tee, 1)
	r := e.request(cartID, 0, "tok_visa")
	_, err := e.svc.Checkout(e.ctx, r)
	wantCode(t, err, ocean.EUNAVAILABLE)
	e.gw.set("authorize", nil)
	rows := e.rows(order.Filter{})
	if len(rows) != 1 || rows[0].Status != order.PendingPayment {
		t.Fatalf("rows %+v", rows)
	}
	o := rows[0]
	e.clock.Add(e.cfg.ReservationTTL + time.Minute)
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile %d %v", n, err)
	}
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_late", Type: "payment.authorized", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	got := e.order(o.ID)
	if got.Status != order.Paid || got.Number() != "OC100001" {
		t.Fatalf("%+v", got)
	}
	if s := outcomes(e.attempts(got)); s != "timed_out/timeout succeeded/" {
		t.Fatalf("attempts = %s", s)
	}
}
