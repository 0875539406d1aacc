package checkout_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
)

func TestOrderVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	guest := e.paid(1)
	mine, err := e.svc.Checkout(e.ctx, e.request(e.newCart(ann, e.tee, 1), ann, "tok_visa"))
	if err != nil {
		t.Fatal(err)
	}
	// A guest order to whoever holds its id; a shopper's order to that shopper only.
	for _, c := range []struct {
		id   string
		user int64
		ok   bool
	}{{guest.PublicID, 0, true}, {guest.PublicID, bob, true}, {mine.PublicID, ann, true}, {mine.PublicID, bob, false},
		{mine.PublicID, 0, false}, {"short", ann, false}, {strings.Repeat("0", 32), ann, false}} {
		o, err := e.svc.OrderFor(e.ctx, c.id, c.user)
		if c.ok != (err == nil) || (c.ok && o.Address.City != "Cape Town") {
			t.Errorf("OrderFor(%s, %d) = %v", c.id, c.user, err)
		} else if !c.ok {
			wantCode(t, err, ocean.ENOTFOUND)
		}
	}
	if _, err := e.svc.OrderByID(e.ctx, "nope"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Error(err)
	}
	// A shopper's list holds placed orders only, not declined attempts.
	if _, err := e.svc.Checkout(e.ctx, e.request(e.newCart(ann, e.tee, 1), ann, "tok_chargeDeclined")); err == nil {
		t.Fatal("declined card paid")
	}
	os, err := e.svc.Orders(e.ctx, order.Filter{UserID: ann})
	if err != nil || len(os) != 1 || os[0].ID != mine.ID || os[0].Address.Line1 == "" {
		t.Fatalf("%v %+v", err, os)
	}
	all, err := e.svc.AllOrdersOf(e.ctx, ann) // "download my data" has the attempt too
	if err != nil || len(all) != 2 {
		t.Fatalf("%v %d", err, len(all))
	}
	if _, err := e.svc.Orders(e.ctx, order.Filter{Status: "lost"}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Fatal(err)
	}
	// Nor the admin's: the declined checkout is not an order, in the list
	// or the counts, and has no number.
	if os, err := e.svc.Orders(e.ctx, order.Filter{Status: order.Cancelled}); err != nil || len(os) != 0 {
		t.Fatalf("%v %d", err, len(os))
	}
	if os, err := e.svc.Orders(e.ctx, order.Filter{}); err != nil || len(os) != 2 || os[0].ID != mine.ID || os[1].ID != guest.ID {
		t.Fatalf("%v %d", err, len(os))
	}
	counts, err := e.svc.CountByStatus(e.ctx)
	if err != nil || counts[order.Paid] != 2 || counts[order.Cancelled] != 0 || len(counts) != 1 {
		t.Fatalf("%v %v", err, counts)
	}
	if declined := e.rows(order.Filter{Status: order.Cancelled}); len(declined) != 1 || declined[0].Number() != "" {
		t.Fatalf("declined rows %+v", declined)
	}
	// An erased or unreadable address leaves the order readable.
	e.seal.failOpen.Store(true)
	if o, err := e.svc.OrderByID(e.ctx, mine.PublicID); err != nil || o.Address.Line1 != "" || o.Number() != mine.Number() {
		t.Fatalf("%v %+v", err, o)
	}
	boom := errors.New("disk I/O error")
	e.store.set("Orders", func() error { return boom })
	if _, err := e.svc.AllOrdersOf(e.ctx, ann); !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestFulfilDeliverAndIllegalMoves(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLocks)
	o := e.paid(1)
	if _, err := e.svc.Deliver(e.ctx, o.PublicID, "admin@example.com"); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("delivered before shipping: %v", err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("9", 65), "a\nb"} {
		if _, err := e.svc.Fulfil(e.ctx, o.PublicID, bad, "admin"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			t.Errorf("tracking %q: %v", bad, err)
		}
	}
	_, err := e.svc.Fulfil(e.ctx, o.PublicID, strings.Repeat("9", 10000), "admin")
	if fe := ocean.ErrorFields(err); ocean.ErrorMessage(err) != "The tracking number is too long (max 64 characters)." || len(fe) != 1 || fe[0].Message != "is too long (max 64 characters)" {
		t.Errorf("a 10,000-character tracking number: %v %v", err, fe)
	}
	got, err := e.svc.Fulfil(e.ctx, o.PublicID, " TRK123 ", "admin@example.com")
	if err != nil || got.Status != order.Fulfilled || got.Tracking != "TRK123" {
		t.Fatalf("%v %+v", err, got)
	}
	if _, err := e.svc.Fulfil(e.ctx, o.PublicID, "TRK124", "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("fulfilled twice: %v", err)
	}
	shipped := 0
	for _, m := range e.sentMails() {
		if m.subject == "Your order "+o.Number()+" is on its way" {
			shipped++
			if m.to != o.Email || !strings.Contains(m.text, "Tracking number: TRK123") || !strings.Contains(m.text, "/orders/"+o.PublicID) {
				t.Errorf("shipment mail: %+v", m)
			}
		}
	}
	if shipped != 1 {
		t.Errorf("%d shipment mails, want 1", shipped)
	}
	if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("cancelled a shipped order: %v", err)
	}
	got, err = e.svc.Deliver(e.ctx, o.PublicID, "admin@example.com")
	if err != nil || got.Status != order.Delivered {
		t.Fatalf("%v %+v", err, got)
	}
	ev, rf, err := e.svc.History(e.ctx, o.ID)
	if err != nil || len(rf) != 0 || len(ev) < 3 || ev[len(ev)-1].To != order.Delivered || ev[len(ev)-1].Actor != "admin@example.com" {
		t.Fatalf("%v %+v", err, ev)
	}
	if _, err := e.svc.Deliver(e.ctx, "0123456789abcdef0123456789abcdef", "admin"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	if _, err := e.svc.Deliver(e.ctx, "short", "admin"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
}

func TestOrderMoveStoreFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.paid(1)
	boom := errors.New("disk I/O error")
	// Another admin moved it first: the compare-and-set loses.
	e.store.set("Transition", once(func() error {
		_, err := e.data.Transition(e.ctx, o.ID, []order.Status{order.Paid}, order.Cancelled, "other", "", "")
		return err
	}))
	if _, err := e.svc.Fulfil(e.ctx, o.PublicID, "TRK", "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT || !strings.Contains(err.Error(), "Cancelled") {
		t.Fatalf("%v", err)
	}
	o = e.paid(1)
	e.store.set("Transition", func() error { return boom })
	if _, err := e.svc.Fulfil(e.ctx, o.PublicID, "TRK", "admin"); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	e.store.set("Transition", nil)
	n := 0
	e.store.set("OrderByPublicID", func() error {
		if n++; n > 1 {
			return boom
		}
		return nil
	})
	if _, err := e.svc.Fulfil(e.ctx, o.PublicID, "TRK", "admin"); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	e.store.set("OrderByPublicID", nil)
	e.store.set("Events", func() error { return boom })
	if _, _, err := e.svc.History(e.ctx, o.ID); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// The order lock is busy past the wait.
	e.locker.set("TryLock", lock.ErrNotAcquired)
	e.locker.set("Acquire", errors.New("lock: wait: context deadline exceeded"))
	if _, err := e.svc.Deliver(e.ctx, o.PublicID, "admin"); ocean.ErrorCode(err) != ocean.EUNAVAILABLE {
		t.Fatal(err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	t.Run("pending order", func(t *testing.T) {
		e := newEnv(t)
		e.gw.set("authorize", fail(errTimeout))
		e.gw.set("lookup", fail(errTimeout))
		_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 2), 0, "tok_visa"))
		os := e.rows(order.Filter{})
		got, err := e.svc.Cancel(e.ctx, os[0].PublicID, "admin@example.com")
		if err != nil || got.Status != order.Cancelled || got.DeclineCode != "cancelled" || e.stock(e.tee) != 10 {
			t.Fatalf("%v %+v", err, got)
		}
	})
	t.Run("authorized: void", func(t *testing.T) {
		e := newEnv(t)
		e.gw.set("capture", fail(errTimeout))
		o, _ := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 2), 0, "tok_visa"))
		got, err := e.svc.Cancel(e.ctx, o.PublicID, "admin@example.com")
		if err != nil || got.Status != order.Cancelled || got.PaymentStatus != order.PaymentVoided || e.auth(got).Status != payment.Voided || e.stock(e.tee) != 10 {
			t.Fatalf("%v %+v", err, got)
		}
		if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT {
			t.Fatalf("cancelled twice: %v", err)
		}
	})
	t.Run("captured: refund in full", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(2)
		got, err := e.svc.Cancel(e.ctx, o.PublicID, "admin@example.com")
		if err != nil || got.Status != order.Cancelled || got.Refunded != o.Totals.Total.Amount || e.stock(e.tee) != 10 {
			t.Fatalf("%v %+v", err, got)
		}
		if a := e.auth(got); a.Refunded != o.Totals.Total.Amount {
			t.Fatalf("gateway %+v", a)
		}
		_, rf, _ := e.svc.History(e.ctx, o.ID)
		if len(rf) != 1 || rf[0].Reference != "cancel_"+o.PublicID {
			t.Fatalf("%+v", rf)
		}
	})
	t.Run("partly refunded: the rest", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(2)
		if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "r-1", "admin"); err != nil {
			t.Fatal(err)
		}
		// A partly refunded order cannot be cancelled; the rest is refunded instead.
		if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT {
			t.Fatal(err)
		}
	})
	t.Run("gateway down: the reconciler settles", func(t *testing.T) {
		for _, op := range []string{"void", "refund"} {
			e := newEnv(t)
			if op == "void" {
				e.gw.set("capture", fail(errTimeout))
			}
			o, _ := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
			e.gw.set("capture", nil)
			e.gw.set(op, actThenTimeout) // done, answer lost: unknown outcome
			got, err := e.svc.Cancel(e.ctx, o.PublicID, "admin")
			if err != nil || got.Status != order.Cancelled || !e.log.has("not settled yet") {
				t.Fatalf("%s: %v %+v", op, err, got)
			}
			e.gw.set(op, nil)
			if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 1 {
				t.Fatalf("%s: reconcile %d %v", op, n, err)
			}
			got = e.order(o.ID)
			a := e.auth(got)
			if op == "void" && (got.PaymentStatus != order.PaymentVoided || a.Status != payment.Voided) ||
				op == "refund" && (got.Refunded != o.Totals.Total.Amount || a.Refunded != o.Totals.Total.Amount) {
				t.Fatalf("%s: %+v gateway %+v", op, got, a)
			}
			if n, _ := e.svc.Reconcile(e.ctx); n != 0 {
				t.Fatalf("%s: settled twice", op)
			}
		}
	})
	t.Run("reconciler: gateway still down", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(1)
		e.gw.set("refund", fail(errTimeout))
		if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 || !e.log.has("cancelled order not settled; will retry") {
			t.Fatalf("%d %v", n, err)
		}
	})
	t.Run("lost the race", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(1)
		e.store.set("CancelPaid", func() error {
			_, err := e.data.Transition(e.ctx, o.ID, []order.Status{order.Paid}, order.Fulfilled, "other", "", "T1")
			return err
		})
		if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT || !strings.Contains(err.Error(), "Shipped") && !strings.Contains(err.Error(), "ulfil") {
			t.Fatalf("%v", err)
		}
		boom := errors.New("disk I/O error")
		o = e.paid(1)
		e.store.set("CancelPaid", func() error { return boom })
		if _, err := e.svc.Cancel(e.ctx, o.PublicID, "admin"); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(e.ctx, "nope", "admin"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatal(err)
		}
	})
}

func TestRefund(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.paid(1) // 200.00 + 60.00 shipping + VAT = 299.00
	total := o.Totals.Total.Amount
	for _, bad := range []int64{0, -1, total + 1} {
		if _, err := e.svc.Refund(e.ctx, o.PublicID, bad, "", "admin"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
			t.Errorf("refund %d: %v", bad, err)
		}
	}
	got, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin@example.com")
	if err != nil || got.Status != order.PartiallyRefunded || got.Refunded != 1000 {
		t.Fatalf("%v %+v", err, got)
	}
	// A retry with the same reference refunds nothing more.
	got, err = e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin@example.com")
	if err != nil || got.Refunded != 1000 || e.auth(got).Refunded != 1000 || e.gw.count("refund") != 1 {
		t.Fatalf("%v %+v", err, got)
	}
	// Without a reference the service makes one; the rest makes it refunded.
	got, err = e.svc.Refund(e.ctx, o.PublicID, total-1000, "", "admin@example.com")
	if err != nil || got.Status != order.Refunded || got.Refunded != total || e.auth(got).Refunded != total {
		t.Fatalf("%v %+v", err, got)
	}
	if _, err := e.svc.Refund(e.ctx, o.PublicID, 1, "", "admin"); ocean.ErrorCode(err) != ocean.EUNPROCESSABLE {
		t.Fatalf("refund past the total: %v", err)
	}
	_, rf, err := e.svc.History(e.ctx, o.ID)
	if err != nil || len(rf) != 2 || rf[0].Actor != "admin@example.com" {
		t.Fatalf("%v %+v", err, rf)
	}
	// The shopper hears of each refund once (the retry sent nothing).
	var told []sentMail
	for _, m := range e.sentMails() {
		if strings.HasPrefix(m.subject, "A refund on your order") {
			told = append(told, m)
		}
	}
	if len(told) != 2 || told[0].to != o.Email || !strings.Contains(told[0].text, "We refunded R10.00") ||
		!strings.Contains(told[0].text, "Total after refunds: "+ocean.Money{Amount: total - 1000, Currency: "ZAR"}.String()) ||
		!strings.Contains(told[1].text, "Total after refunds: R0.00") || !strings.Contains(told[1].text, "/orders/"+o.PublicID) {
		t.Errorf("refund mails: %+v", told)
	}
}

func TestRefundOfPaymentNotCaptured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("capture", fail(errTimeout))
	o, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	if err != nil || o.PaymentStatus != order.PaymentAuthorized {
		t.Fatal(err)
	}
	// The capture still fails: nothing is refunded.
	if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "r1", "admin"); ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !strings.Contains(err.Error(), "could not be captured") {
		t.Fatalf("%v", err)
	}
	// It works again: the refund captures first.
	e.gw.set("capture", nil)
	got, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "r1", "admin")
	if err != nil || got.PaymentStatus != order.PaymentCaptured || got.Refunded != 1000 {
		t.Fatalf("%v %+v", err, got)
	}
	// A pending order has nothing to refund.
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	os := e.rows(order.Filter{Status: order.PendingPayment})
	if _, err := e.svc.Refund(e.ctx, os[0].PublicID, 100, "", "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("%v", err)
	}
}

func TestRefundGatewayOutcomes(t *testing.T) {
	t.Parallel()
	t.Run("unknown, then confirmed by a retry", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(1)
		tries := 0
		e.gw.set("refund", func(real func() (payment.Authorization, error)) (payment.Authorization, error) {
			if tries++; tries == 1 {
				return actThenTimeout(real)
			}
			return real()
		})
		got, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin")
		if err != nil || got.Refunded != 1000 || e.auth(got).Refunded != 1000 || tries != 2 {
			t.Fatalf("%v %+v after %d tries", err, got, tries)
		}
	})
	t.Run("unknown after every try: kept, not undone", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(1)
		e.gw.set("refund", actThenTimeout)
		_, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin")
		if ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !strings.Contains(err.Error(), "check the gateway") || e.gw.count("refund") != 3 {
			t.Fatalf("%v (%d tries)", err, e.gw.count("refund"))
		}
		// The refund stays recorded: a second click does not refund twice.
		got := e.order(o.ID)
		if got.Refunded != 1000 || got.Status != order.PartiallyRefunded || e.auth(got).Refunded != 1000 {
			t.Fatalf("%+v", got)
		}
		e.gw.set("refund", nil)
		if got, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin"); err != nil || got.Refunded != 1000 {
			t.Fatalf("%v %+v", err, got)
		}
	})
	for _, c := range []struct {
		name string
		err  error
	}{
		{"refused: nothing done", nothingDone{}},
		{"refused: state", ocean.Errorf(ocean.ECONFLICT, "This payment is voided, so it cannot be refunded.")},
		{"refused: decline", payment.NewDecline("processing_error")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			o := e.paid(1)
			e.gw.set("refund", fail(c.err))
			_, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref-1", "admin")
			if ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !strings.Contains(err.Error(), "nothing was refunded") || e.gw.count("refund") != 1 {
				t.Fatalf("%v", err)
			}
			got := e.order(o.ID)
			if got.Refunded != 0 || got.Status != order.Paid {
				t.Fatalf("the refused refund was kept: %+v", got)
			}
			_, rf, _ := e.svc.History(e.ctx, o.ID)
			if len(rf) != 0 {
				t.Fatalf("%+v", rf)
			}
		})
	}
	t.Run("refused, and the undo fails", func(t *testing.T) {
		e := newEnv(t)
		o := e.paid(1)
		e.gw.set("refund", fail(nothingDone{}))
		e.store.set("UndoRefund", func() error { return errors.New("disk I/O error") })
		if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "", "admin"); ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !e.log.has("not undone") {
			t.Fatal(err)
		}
	})
}

func TestRefundStoreOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boom := errors.New("disk I/O error")
	o := e.paid(1)
	e.store.set("Refunds", func() error { return boom })
	if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref", "admin"); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	e.store.set("Refunds", nil)
	e.store.set("AddRefund", func() error { return boom })
	if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref", "admin"); !errors.Is(err, boom) || e.gw.count("refund") != 0 {
		t.Fatal(err)
	}
	// Another admin's refund landed between the read and the write: the
	// compare-and-set loses and nothing goes to the gateway.
	e.store.set("AddRefund", once(func() error {
		_, err := e.data.AddRefund(e.ctx, checkout.RefundChange{OrderID: o.ID, Amount: 500, Reference: "other", Actor: "other",
			From: order.Paid, To: order.PartiallyRefunded})
		return err
	}))
	if _, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "ref", "admin"); ocean.ErrorCode(err) != ocean.ECONFLICT || !strings.Contains(err.Error(), "changed meanwhile") {
		t.Fatal(err)
	}
	// The same reference refunded meanwhile (a double submit on two instances).
	o = e.paid(1)
	e.store.set("AddRefund", once(func() error {
		_, err := e.data.AddRefund(e.ctx, checkout.RefundChange{OrderID: o.ID, Amount: 1000, Reference: "dup", Actor: "admin",
			From: order.Paid, To: order.PartiallyRefunded})
		return err
	}))
	if got, err := e.svc.Refund(e.ctx, o.PublicID, 1000, "dup", "admin"); err != nil || got.Refunded != 1000 {
		t.Fatal(err)
	}
	// An order of a gateway this shop no longer runs.
	e.cfg.Gateways = map[string]payment.Gateway{}
	svc := checkout.New(e.cfg)
	o = e.paid(1)
	if _, err := svc.Refund(e.ctx, o.PublicID, 100, "", "admin"); ocean.ErrorCode(err) != ocean.EUNAVAILABLE {
		t.Fatal(err)
	}
	if _, err := svc.Refund(e.ctx, "nope", 100, "", "admin"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
}

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pending := func() *order.Order {
		t.Helper()
		e.gw.set("authorize", actThenTimeout)
		e.gw.set("lookup", fail(errTimeout))
		_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
		e.gw.set("authorize", nil)
		e.gw.set("lookup", nil)
		os := e.rows(order.Filter{Status: order.PendingPayment})
		if len(os) != 1 {
			t.Fatalf("%d pending orders", len(os))
		}
		return &os[0]
	}
	if err := e.svc.HandleEvent(e.ctx, "stripe", payment.Event{ID: "evt_0"}); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	o := pending()
	a := e.auth(o)
	// An authorization event completes the order once. (A pending order
	// has no payment id yet: an event naming only that is not matched.)
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_0", Type: "payment.authorized", AuthID: a.ID}); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != order.PendingPayment {
		t.Fatalf("%+v", got)
	}
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_1", Type: "payment.authorized", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != order.Paid || got.PaymentStatus != order.PaymentCaptured {
		t.Fatalf("%+v", got)
	}
	// The same event again, and an event for an order that is no longer pending, change nothing.
	for _, ev := range []payment.Event{{ID: "evt_1", Type: "payment.authorized", Reference: o.PaymentRef},
		{ID: "evt_1b", Type: "payment.captured", AuthID: a.ID}, {ID: "evt_2", Type: "payment.failed", Reference: o.PaymentRef}} {
		if err := e.svc.HandleEvent(e.ctx, "sandbox", ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.order(o.ID); got.Status != order.Paid || e.gw.count("capture") != 1 {
		t.Fatalf("%+v", got)
	}
	// Not ours.
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_3", Type: "payment.authorized", Reference: "ocean_elsewhere"}); err != nil {
		t.Fatal(err)
	}
	// A failure releases a pending order.
	o = pending()
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_4", Type: "payment.failed", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != order.Cancelled || got.PaymentStatus != order.PaymentDeclined || e.stock(e.tee) != 9 {
		t.Fatalf("%+v stock %d", got, e.stock(e.tee))
	}
	// An event whose payment the gateway does not hold as authorized changes nothing.
	o = pending()
	if _, err := e.sb.Void(e.ctx, e.auth(o).ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_5", Type: "payment.captured", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != order.PendingPayment {
		t.Fatalf("%+v", got)
	}
}

func TestWebhookFailureIsRedelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	os := e.rows(order.Filter{})
	ev := payment.Event{ID: "evt_1", Type: "payment.authorized", Reference: os[0].PaymentRef}
	// The gateway does not answer the lookup: the event fails and is forgotten.
	if err := e.svc.HandleEvent(e.ctx, "sandbox", ev); !errors.Is(err, errTimeout) {
		t.Fatal(err)
	}
	e.gw.set("lookup", nil)
	if err := e.svc.HandleEvent(e.ctx, "sandbox", ev); err != nil {
		t.Fatal(err)
	}
	if got := e.order(os[0].ID); got.Status != order.Paid {
		t.Fatalf("the redelivered event was not processed: %+v", got)
	}
	// Store failures: reading the order, recording the event, forgetting it, releasing.
	boom := errors.New("disk I/O error")
	e.store.set("OrderByPaymentRef", func() error { return boom })
	e.store.set("ForgetWebhook", func() error { return boom })
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_2", Type: "payment.failed", Reference: "x"}); !errors.Is(err, boom) || !e.log.has("not forgotten") {
		t.Fatal(err)
	}
	e.store.set("FirstWebhook", func() error { return boom })
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_3"}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestWebhookLosesToExpiry(t *testing.T) {
	t.Parallel()
	// The event arrives after the reservation was released: no error (the
	// gateway must not redeliver), and the hold is voided.
	e := newEnv(t)
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	e.gw.set("lookup", nil)
	os := e.rows(order.Filter{})
	o := os[0]
	e.store.set("MarkPaid", once(func() error {
		_, err := e.data.Release(e.ctx, o.ID, order.PaymentFailed, "expired", "expired", "reconciler")
		return err
	}))
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_1", Type: "payment.authorized", Reference: o.PaymentRef}); err != nil {
		t.Fatal(err)
	}
	if got := e.order(o.ID); got.Status != order.Cancelled || e.auth(got).Status != payment.Voided {
		t.Fatalf("%+v", got)
	}
	// A release that fails is an error (redelivered).
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	os = e.rows(order.Filter{Status: order.PendingPayment})
	e.store.set("Release", func() error { return errors.New("disk I/O error") })
	if err := e.svc.HandleEvent(e.ctx, "sandbox", payment.Event{ID: "evt_2", Type: "payment.failed", Reference: os[0].PaymentRef}); err == nil {
		t.Fatal("release failure swallowed")
	}
}

func TestReconcileSkipsAndStoreFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boom := errors.New("disk I/O error")
	for _, m := range []string{"Stale", "Unsettled", "Unanswered"} {
		e.store.set(m, func() error { return boom })
		if _, err := e.svc.Reconcile(e.ctx); !errors.Is(err, boom) {
			t.Fatalf("%s: %v", m, err)
		}
		e.store.set(m, nil)
	}
	// Orders of a gateway this instance does not run are left alone.
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	e.gw.set("authorize", nil)
	e.gw.set("lookup", nil)
	e.gw.set("capture", fail(errTimeout))
	e.paid2()
	e.gw.set("capture", nil)
	e.gw.set("authorize", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	e.gw.set("authorize", nil)
	os := e.rows(order.Filter{Status: order.Cancelled})
	if _, err := e.sb.Authorize(e.ctx, payment.AuthorizeRequest{Reference: os[0].PaymentRef, Amount: os[0].Totals.Total, Token: "tok_visa"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	cfg := e.cfg
	cfg.Gateways = map[string]payment.Gateway{"stripe": e.gw}
	if n, err := checkout.New(cfg).Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("%d %v", n, err)
	}
	// The stale order completes but its capture is not recorded; the
	// late authorization's void is not recorded: reported.
	e.store.set("SetPayment", func() error { return boom })
	if _, err := e.svc.Reconcile(e.ctx); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Completing a stale order fails: logged, tried again next time.
	e.store.set("SetPayment", nil)
	e.store.set("MarkPaid", func() error { return boom })
	e.gw.set("authorize", actThenTimeout)
	e.gw.set("lookup", fail(errTimeout))
	_, _ = e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	e.gw.set("lookup", nil)
	e.clock.Add(time.Hour)
	if _, err := e.svc.Reconcile(e.ctx); err != nil || !e.log.has("reconcile: order not completed") {
		t.Fatal(err)
	}
}

// paid2 checks out one tee whose capture may fail (no status check).
func (e *env) paid2() *order.Order {
	e.t.Helper()
	o, err := e.svc.Checkout(e.ctx, e.request(e.newCart(0, e.tee, 1), 0, "tok_visa"))
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func TestRunReconcilerOneLeader(t *testing.T) {
	t.Parallel()
	// Two instances share the lock service: one runs the reconciler; when
	// it stops, the other takes over.
	e := newEnv(t)
	e.gw.set("capture", fail(errTimeout))
	o := e.paid2()
	e.gw.set("capture", nil)

	a := checkout.New(e.cfg)
	logB := &logBuffer{}
	cfgB := e.cfg
	cfgB.Log = slog.New(logB)
	b := checkout.New(cfgB)
	ctxA, stopA := context.WithCancel(e.ctx)
	ctxB, stopB := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.RunReconciler(ctxA, 5*time.Millisecond) }()
	waitFor(t, "the leader captures", func() bool { return e.order(o.ID).PaymentStatus == order.PaymentCaptured })
	tries := e.locker.count("TryLock")
	go func() { defer wg.Done(); b.RunReconciler(ctxB, 5*time.Millisecond) }()
	waitFor(t, "the second instance tries", func() bool { return e.locker.count("TryLock") >= tries+2 })
	if logB.has("this instance runs the reconciler") {
		t.Fatal("two leaders")
	}
	stopA()
	waitFor(t, "the second instance takes over", func() bool { return logB.has("this instance runs the reconciler") })
	stopB()
	wg.Wait()
}

func TestRunReconcilerWithoutLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.set("capture", fail(errTimeout))
	o := e.paid2()
	e.gw.set("capture", nil)
	e.cfg.Locker = nil
	svc := checkout.New(e.cfg)
	ctx, stop := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.RunReconciler(ctx, time.Millisecond) }()
	waitFor(t, "the capture", func() bool { return e.order(o.ID).PaymentStatus == order.PaymentCaptured })
	e.store.set("Stale", func() error { return errors.New("disk I/O error") })
	waitFor(t, "the failure logged", func() bool { return e.log.has("reconcile failed") })
	stop()
	<-done
}

func TestRunReconcilerLockServiceDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.locker.set("TryLock", lock.ErrUnavailable)
	ctx, stop := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunReconciler(ctx, time.Millisecond) }()
	waitFor(t, "the warning", func() bool { return e.log.has("lock service unavailable; will retry") })
	stop()
	<-done
	// The leader loses its lock: it stops reconciling and tries again.
	e.locker.set("TryLock", nil)
	l := &leaseStealer{locker: e.locker}
	e.cfg.Locker = l
	svc := checkout.New(e.cfg)
	ctx, stop = context.WithCancel(e.ctx)
	done = make(chan struct{})
	go func() { defer close(done); svc.RunReconciler(ctx, time.Millisecond) }()
	waitFor(t, "the lost lock", func() bool { return e.log.has("lost the leader lock") })
	stop()
	<-done
}

// leaseStealer grants the reconciler's lock, then releases it behind the
// holder's back as a lock service losing its keys would.
type leaseStealer struct{ *locker }

func (l *leaseStealer) TryLock(ctx context.Context, key string, opts ...lock.Option) (*lock.Lease, error) {
	lease, err := l.locker.TryLock(ctx, key, opts...)
	if err == nil {
		go func() { _ = lease.Release() }()
	}
	return lease, err
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRefundRestock: a refund's restock is checked against the order
// before any money moves, written after the gateway refunded, and only
// once for a retried reference; a store failure while restocking is
// reported, the refund standing. CancelWith without restock keeps the
// units sold.
func TestRefundRestock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := e.stock(e.tee)
	o := e.paid(3)
	for _, bad := range []checkout.RefundRequest{
		{Amount: 100, Lines: []checkout.RestockLine{{VariantID: 999999, Quantity: 1}}},
		{Amount: 100, Lines: []checkout.RestockLine{{VariantID: e.tee, Quantity: 0}}},
		{Amount: 100, Lines: []checkout.RestockLine{{VariantID: e.tee, Quantity: 2}, {VariantID: e.tee, Quantity: 2}}},
	} {
		if _, err := e.svc.RefundWith(e.ctx, o.PublicID, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if cur := e.order(o.ID); cur.Refunded != 0 || e.gw.count("refund") != 0 || e.stock(e.tee) != start-3 {
		t.Fatalf("a refused restock moved money or stock: %d, %d refunds, stock %d", cur.Refunded, e.gw.count("refund"), e.stock(e.tee))
	}
	req := checkout.RefundRequest{Amount: 500, Reference: "ret-1", Actor: "admin:1", Lines: []checkout.RestockLine{{VariantID: e.tee, Quantity: 1}}}
	for range 2 {
		if _, err := e.svc.RefundWith(e.ctx, o.PublicID, req); err != nil {
			t.Fatal(err)
		}
	}
	if e.stock(e.tee) != start-2 {
		t.Fatalf("after restocking 1 (twice the same reference): %d, want %d", e.stock(e.tee), start-2)
	}
	boom := errors.New("disk full")
	e.store.set("Restock", func() error { return boom })
	if _, err := e.svc.RefundWith(e.ctx, o.PublicID, checkout.RefundRequest{Amount: 100, Actor: "admin:1", RestockAll: true}); !errors.Is(err, boom) {
		t.Fatalf("restock failure: %v", err)
	}
	e.store.set("Restock", nil)
	if got, err := e.svc.RefundWith(e.ctx, o.PublicID, checkout.RefundRequest{Amount: 100, Actor: "admin:1", RestockAll: true}); err != nil || got.Refunded != 700 || e.stock(e.tee) != start {
		t.Fatalf("restock all: %v, refunded %d, stock %d", err, got.Refunded, e.stock(e.tee))
	}
	// Everything is back: asking for one more is refused (the refund stands).
	_, err := e.svc.RefundWith(e.ctx, o.PublicID, checkout.RefundRequest{Amount: 100, Actor: "admin:1", Lines: []checkout.RestockLine{{VariantID: e.tee, Quantity: 1}}})
	if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || !strings.Contains(ocean.ErrorMessage(err), "The refund was made, but nothing went back in stock") {
		t.Fatalf("restock past the order: %v", err)
	}
	c := e.paid(1)
	got, err := e.svc.CancelWith(e.ctx, c.PublicID, "admin:1", false)
	if err != nil || got.Status != order.Cancelled || e.stock(e.tee) != start-1 {
		t.Fatalf("cancel without restock: %v, stock %d", err, e.stock(e.tee))
	}
}
