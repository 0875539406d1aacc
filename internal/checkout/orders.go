package checkout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/pricing"
)

var errNoOrder = ocean.Errorf(ocean.ENOTFOUND, "There is no such order.")

// OrderFor returns an order by its public id if the caller may see it: a
// shopper's own orders, or a guest order to whoever holds its unguessable
// id. Anything else is ENOTFOUND.
func (s *Service) OrderFor(ctx context.Context, publicID string, userID int64) (*order.Order, error) {
	if len(publicID) != 32 {
		return nil, errNoOrder
	}
	o, err := s.c.Store.OrderByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if o.UserID != 0 && o.UserID != userID {
		return nil, errNoOrder
	}
	return s.open(o), nil
}

// OrderByID returns any order (staff) by its public id, or by the number
// people quote (OC100042, oc100042 or 100042), so an address or a search
// with the number from a customer's mail finds the order.
func (s *Service) OrderByID(ctx context.Context, publicID string) (*order.Order, error) {
	var o *order.Order
	var err error
	if len(publicID) == 32 {
		o, err = s.c.Store.OrderByPublicID(ctx, publicID)
	} else if n, ok := order.ParseNumber(publicID); ok {
		o, err = s.c.Store.OrderByNumber(ctx, n)
	} else {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	return s.open(o), nil
}

// Orders lists orders newest first (with f.UserID only that shopper's):
// only orders that were placed, that is paid at some point and so
// numbered. A checkout whose payment was declined, failed or never
// finished is not an order, to the shopper or to the admin; its attempts
// show on the order its cart finally became (Attempts).
func (s *Service) Orders(ctx context.Context, f order.Filter) ([]order.Order, error) {
	f.Placed = true
	if f.Status != "" && !f.Status.Valid() {
		return nil, &ocean.Error{Code: ocean.EINVALID, Message: "Unknown order status.", Fields: []ocean.FieldError{{Field: "status", Message: "must be one of pending_payment, paid, fulfilled, delivered, cancelled, refunded, partially_refunded"}}}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 501) // callers ask for one more than a page of up to 500
	os, err := s.c.Store.Orders(ctx, f)
	for i := range os {
		s.open(&os[i])
	}
	return os, err
}

// History returns an order's status changes and refunds.
func (s *Service) History(ctx context.Context, id int64) ([]order.Event, []order.Refund, error) {
	ev, err := s.c.Store.Events(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rf, err := s.c.Store.Refunds(ctx, id)
	return ev, rf, err
}

// Attempts lists the payment attempts of an order's checkout, oldest
// first: every authorization asked for its cart, declined, failed, timed
// out or succeeded.
func (s *Service) Attempts(ctx context.Context, o *order.Order) ([]order.Attempt, error) {
	return s.c.Store.Attempts(ctx, o.ID)
}

// CountByStatus counts orders (paid at some point) per status: the admin
// dashboard; a checkout never paid is not counted.
func (s *Service) CountByStatus(ctx context.Context) (map[order.Status]int, error) {
	return s.c.Store.CountByStatus(ctx)
}

func illegal(o *order.Order, to order.Status) error {
	return ocean.Errorf(ocean.ECONFLICT, "Order %s is %s and cannot become %s.", o.Number(), o.Status.Label(), strings.ToLower(to.Label()))
}

// maxTracking is the longest tracking number a shipment takes.
const maxTracking = 64

// Fulfil marks a paid order shipped with its tracking number.
func (s *Service) Fulfil(ctx context.Context, publicID, tracking, actor string) (*order.Order, error) {
	tracking = strings.TrimSpace(tracking)
	switch msg := TextProblem(tracking, 1, maxTracking); msg {
	case "":
	case "is required":
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "Enter the tracking number.", Fields: []ocean.FieldError{{Field: "tracking_number", Message: msg}}}
	default:
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The tracking number " + msg + ".", Fields: []ocean.FieldError{{Field: "tracking_number", Message: msg}}}
	}
	o, err := s.move(ctx, publicID, order.Fulfilled, actor, "", tracking)
	if err == nil {
		s.tell(ctx, o, "Your order "+o.Number()+" is on its way",
			fmt.Sprintf("Good news: your order %s has shipped.\n\nTracking number: %s\n", o.Number(), o.Tracking))
	}
	return o, err
}

// tell mails the shopper about a change to their order (shipped,
// refunded), with the link to the order; nil Mail sends nothing, and a
// failure is logged: the change is made either way.
func (s *Service) tell(ctx context.Context, o *order.Order, subject, text string) {
	if s.c.Mail == nil || o.Email == "" {
		return
	}
	text += fmt.Sprintf("\nSee your order: %s/orders/%s\n", strings.TrimRight(s.c.PublicURL, "/"), o.PublicID)
	if err := s.c.Mail(ctx, o.Email, subject, text); err != nil {
		s.c.Log.Error("order mail not sent", "order", o.Number(), "subject", subject, "err", err)
	}
}

// Deliver marks a shipped order delivered.
func (s *Service) Deliver(ctx context.Context, publicID, actor string) (*order.Order, error) {
	return s.move(ctx, publicID, order.Delivered, actor, "", "")
}

// lockedOrder takes the order's lock and reads the order under it, so a
// status change decides on the status it will compare-and-set.
func (s *Service) lockedOrder(ctx context.Context, publicID string) (*order.Order, func(), error) {
	if len(publicID) != 32 {
		return nil, nil, errNoOrder
	}
	release, err := s.lock(ctx, orderLock(publicID), lockWait)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.OrderByID(ctx, publicID)
	if err != nil {
		release()
		return nil, nil, err
	}
	return o, release, nil
}

func (s *Service) move(ctx context.Context, publicID string, to order.Status, actor, note, tracking string) (*order.Order, error) {
	o, release, err := s.lockedOrder(ctx, publicID)
	if err != nil {
		return nil, err
	}
	defer release()
	if !o.Allows(to) {
		return nil, illegal(o, to)
	}
	won, err := s.c.Store.Transition(ctx, o.ID, []order.Status{o.Status}, to, actor, note, tracking)
	if err != nil {
		return nil, err
	}
	cur, err := s.OrderByID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, illegal(cur, to)
	}
	return cur, nil
}

// Cancel cancels an order: units return to stock and the payment is voided
// or refunded in full.
func (s *Service) Cancel(ctx context.Context, publicID, actor string) (*order.Order, error) {
	return s.CancelWith(ctx, publicID, actor, true)
}

// CancelWith cancels an order; restock says whether a paid order's units
// go back in stock (the default: the goods never left) or stay sold
// (damaged, lost). A reservation not paid for is always given back.
func (s *Service) CancelWith(ctx context.Context, publicID, actor string, restock bool) (*order.Order, error) {
	o, release, err := s.lockedOrder(ctx, publicID)
	if err != nil {
		return nil, err
	}
	defer release()
	var won bool
	switch o.Status {
	case order.PendingPayment:
		won, err = s.c.Store.Release(ctx, o.ID, order.PaymentFailed, "cancelled", "Cancelled by the shop.", actor)
	case order.Paid:
		won, err = s.c.Store.CancelPaid(ctx, o.ID, actor, restock)
	default:
		return nil, illegal(o, order.Cancelled)
	}
	if err != nil {
		return nil, err
	}
	if !won {
		cur, _ := s.OrderByID(ctx, publicID)
		if cur == nil {
			cur = o
		}
		return nil, illegal(cur, order.Cancelled)
	}
	s.stockChanged(ctx, o, false)
	cur, err := s.OrderByID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if err := s.settle(ctx, cur); err != nil {
		s.c.Log.Error("cancelled order's payment not settled yet; the reconciler retries", "order", cur.Number(), "err", err)
	}
	return s.OrderByID(ctx, publicID)
}

// settle makes the gateway match a cancelled order: void the hold, or
// refund what was captured and not yet refunded.
func (s *Service) settle(ctx context.Context, o *order.Order) error {
	gw, ok := s.c.Gateways[o.Gateway]
	if !ok || o.PaymentID == "" {
		return nil
	}
	switch o.PaymentStatus {
	case order.PaymentAuthorized:
		if _, err := gw.Void(ctx, o.PaymentID); err != nil {
			return err
		}
		_, err := s.c.Store.SetPayment(ctx, o.ID, []string{order.PaymentAuthorized}, order.PaymentVoided)
		return err
	case order.PaymentCaptured:
		left := o.Totals.Total.Amount - o.Refunded
		if left <= 0 {
			return nil
		}
		ref := "cancel_" + o.PublicID
		if _, err := gw.Refund(ctx, o.PaymentID, left, ref); err != nil {
			return err
		}
		_, err := s.recordRefund(ctx, o, left, ref, "cancel")
		return err
	}
	return nil
}

// Refund returns amount (minor units) of a paid order through the gateway.
// reference makes it idempotent (the admin form and API send one).
func (s *Service) Refund(ctx context.Context, publicID string, amount int64, reference, actor string) (*order.Order, error) {
	return s.RefundWith(ctx, publicID, RefundRequest{Amount: amount, Reference: reference, Actor: actor})
}

// RefundRequest is a refund and what goes back in stock with it.
type RefundRequest struct {
	Amount           int64 // minor units
	Reference, Actor string
	// Restock puts units back on the shelf once the gateway has refunded:
	// Lines when given, else (RestockAll) every unit of the order not
	// restocked before. Without either nothing returns to stock (a
	// goodwill refund, or goods not sent back).
	RestockAll bool
	Lines      []RestockLine
}

// RefundWith is Refund with a restock: the lines are checked against the
// order first (a variant not on it, or more units than it has, refuses the
// whole request before any money moves), and written as 'restock' ledger
// rows after the gateway confirmed the refund. A retry of a refund that
// was made (same reference) changes nothing, stock included.
func (s *Service) RefundWith(ctx context.Context, publicID string, req RefundRequest) (*order.Order, error) {
	amount, reference, actor := req.Amount, req.Reference, req.Actor
	o, release, err := s.lockedOrder(ctx, publicID)
	if err != nil {
		return nil, err
	}
	defer release()
	lines, err := restockLines(o, req)
	if err != nil {
		return nil, err
	}
	if reference == "" {
		reference = "refund_" + randomHex(12)
	} else if done, err := s.c.Store.Refunds(ctx, o.ID); err != nil {
		return nil, err
	} else {
		for _, r := range done {
			if r.Reference == reference {
				return o, nil // a retry of a refund that was made
			}
		}
	}
	left := o.Totals.Total.Amount - o.Refunded
	if amount <= 0 || amount > left {
		return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("A refund must be between %s and %s.", ocean.Money{Amount: 1, Currency: o.Totals.Total.Currency}, ocean.Money{Amount: left, Currency: o.Totals.Total.Currency}),
			Fields: []ocean.FieldError{{Field: "amount", Message: "must be positive and at most what is left to refund"}}}
	}
	if !order.CanMove(o.Status, order.PartiallyRefunded) {
		return nil, illegal(o, order.Refunded)
	}
	gw, ok := s.c.Gateways[o.Gateway]
	if !ok {
		return nil, ocean.Errorf(ocean.EUNAVAILABLE, "The order's payment gateway %q is not configured.", o.Gateway)
	}
	if o.PaymentStatus != order.PaymentCaptured {
		if o.PaymentStatus != order.PaymentAuthorized {
			return nil, ocean.Errorf(ocean.ECONFLICT, "Order %s has no captured payment to refund.", o.Number())
		}
		s.capture(ctx, o.ID, gw, o.PaymentID)
		if o, err = s.OrderByID(ctx, publicID); err != nil {
			return nil, err
		}
		if o.PaymentStatus != order.PaymentCaptured {
			return nil, ocean.Errorf(ocean.EUNAVAILABLE, "The payment could not be captured yet, so it cannot be refunded. Try again in a minute.")
		}
	}
	won, err := s.recordRefund(ctx, o, amount, reference, actor)
	if err != nil {
		return nil, err
	}
	if !won {
		// Lost the compare-and-set: a retry of this same refund (same
		// reference) won meanwhile, or another change did. Only the first
		// is a success; another refund landing is not this one.
		if done, err := s.c.Store.Refunds(ctx, o.ID); err == nil {
			for _, r := range done {
				if r.Reference == reference {
					return s.OrderByID(ctx, publicID)
				}
			}
		}
		return nil, ocean.Errorf(ocean.ECONFLICT, "Order %s changed meanwhile; reload and try again.", o.Number())
	}
	_, err = gw.Refund(ctx, o.PaymentID, amount, reference)
	for try := 0; err != nil && !refused(err) && try < 2; try++ {
		// Unknown outcome (a timeout, say): the refund may have been made.
		// Ask again with the same reference, which refunds at most once.
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
		_, err = gw.Refund(ctx, o.PaymentID, amount, reference)
	}
	if err != nil {
		if !refused(err) {
			// Still unknown: keep the refund recorded rather than invite a
			// second one; the gateway's dashboard tells the truth.
			s.c.Log.Error("refund outcome unknown; recorded, check the gateway", "order", o.Number(), "reference", reference, "err", err)
			return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The payment gateway did not confirm the refund. It is recorded on the order; check the gateway before refunding again.", Err: err}
		}
		if uerr := s.c.Store.UndoRefund(ctx, o.ID, reference, o.Status); uerr != nil {
			s.c.Log.Error("refund refused by gateway and not undone", "order", o.Number(), "err", uerr)
		}
		return nil, &ocean.Error{Code: ocean.EUNAVAILABLE, Message: "The payment gateway refused the refund: nothing was refunded.", Err: err}
	}
	// The customer hears about the money whatever happens to the restock.
	if cur, err := s.OrderByID(ctx, publicID); err == nil {
		cc := cur.Totals.Total.Currency
		s.tell(ctx, cur, "A refund on your order "+cur.Number(),
			fmt.Sprintf("We refunded %s on your order %s to the card you paid with.\n\nRefunded in all: %s\nTotal after refunds: %s\n",
				ocean.Money{Amount: amount, Currency: cc}, cur.Number(), ocean.Money{Amount: cur.Refunded, Currency: cc},
				ocean.Money{Amount: cur.Totals.Total.Amount - cur.Refunded, Currency: cc}))
	}
	if len(lines) > 0 || req.RestockAll {
		if err := s.c.Store.Restock(ctx, o.ID, lines, actor); err != nil {
			if ocean.ErrorCode(err) == ocean.EUNPROCESSABLE {
				return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The refund was made, but nothing went back in stock: " + ocean.ErrorMessage(err), Fields: ocean.ErrorFields(err)}
			}
			return nil, err
		}
		s.stockChanged(ctx, o, false)
	}
	return s.OrderByID(ctx, publicID)
}

// restockLines checks a refund's restock against the order's lines and
// returns the lines asked for (nil with RestockAll: the store puts back
// every unit of the order not restocked before).
func restockLines(o *order.Order, req RefundRequest) ([]RestockLine, error) {
	ordered := map[int64]int{}
	for _, it := range o.Items {
		if it.VariantID != 0 {
			ordered[it.VariantID] += it.Quantity
		}
	}
	if len(req.Lines) == 0 {
		return nil, nil // RestockAll: the store works out what is left
	}
	asked := map[int64]int{}
	for _, l := range req.Lines {
		if _, ok := ordered[l.VariantID]; !ok {
			return nil, ocean.Invalid("An item to put back in stock is not on this order.", ocean.FieldError{Field: "restock_items", Message: "variant " + strconv.FormatInt(l.VariantID, 10) + " is not on the order"})
		}
		if l.Quantity <= 0 {
			return nil, ocean.Invalid("A quantity to put back in stock must be at least 1.", ocean.FieldError{Field: "restock_items", Message: "quantity must be at least 1"})
		}
		asked[l.VariantID] += l.Quantity
		if asked[l.VariantID] > ordered[l.VariantID] {
			return nil, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: fmt.Sprintf("The order has %d units of that item; no more can go back in stock.", ordered[l.VariantID]),
				Fields: []ocean.FieldError{{Field: "restock_items", Message: "more units than the order has"}}}
		}
	}
	return req.Lines, nil
}

// Reconcile settles what a crash or a lost connection left behind:
// pending orders whose reservation ran out are completed if the gateway
// holds their authorization and released otherwise; paid orders still only
// authorized are captured; cancelled orders are voided or refunded. It
// returns how many orders it changed.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	n := 0
	stale, err := s.c.Store.Stale(ctx, s.c.Now().UTC(), 100)
	if err != nil {
		return 0, err
	}
	for i := range stale {
		o := &stale[i]
		gw, ok := s.c.Gateways[o.Gateway]
		if !ok {
			continue
		}
		auth, err := gw.Lookup(ctx, o.PaymentRef)
		switch {
		case err == nil && (auth.Status == payment.Authorized || auth.Status == payment.Captured):
			s.confirmed(ctx, o, "reconciler")
			if _, err := s.complete(ctx, o, gw, auth, nil); err != nil {
				s.c.Log.Error("reconcile: order not completed", "payment_ref", o.PaymentRef, "err", err)
				continue
			}
			s.c.Log.Info("reconcile: completed an order whose payment was authorized", "payment_ref", o.PaymentRef)
		case err == nil || ocean.ErrorCode(err) == ocean.ENOTFOUND:
			if won, err := s.c.Store.Release(ctx, o.ID, order.PaymentFailed, "expired", "The reservation expired before payment finished.", "reconciler"); err != nil || !won {
				continue
			}
			s.stockChanged(ctx, o, false)
			s.c.Log.Info("reconcile: released an expired reservation", "payment_ref", o.PaymentRef)
		default:
			s.c.Log.Warn("reconcile: gateway lookup failed; will retry", "payment_ref", o.PaymentRef, "err", err)
			continue
		}
		n++
	}
	un, err := s.c.Store.Unsettled(ctx, 100)
	if err != nil {
		return n, err
	}
	for i := range un {
		o := s.open(&un[i])
		gw, ok := s.c.Gateways[o.Gateway]
		if !ok {
			continue
		}
		if o.Status == order.Cancelled {
			if err := s.settle(ctx, o); err != nil {
				s.c.Log.Warn("reconcile: cancelled order not settled; will retry", "order", o.Number(), "err", err)
				continue
			}
		} else {
			s.capture(ctx, o.ID, gw, o.PaymentID)
		}
		n++
	}
	// Orders released after an authorization call with no answer: if the
	// authorization landed after all, release the hold on the card.
	late, err := s.c.Store.Unanswered(ctx, s.c.Now().UTC().Add(-24*time.Hour), 50)
	if err != nil {
		return n, err
	}
	for i := range late {
		o := &late[i]
		gw, ok := s.c.Gateways[o.Gateway]
		if !ok {
			continue
		}
		auth, err := gw.Lookup(ctx, o.PaymentRef)
		if err != nil || auth.Status != payment.Authorized {
			continue // nothing there (yet), or the gateway is down: ask again next time
		}
		if _, err := gw.Void(ctx, auth.ID); err != nil {
			s.c.Log.Warn("reconcile: late authorization not voided; will retry", "payment_ref", o.PaymentRef, "err", err)
			continue
		}
		if _, err := s.c.Store.SetPayment(ctx, o.ID, []string{order.PaymentFailed}, order.PaymentVoided); err != nil {
			return n, err
		}
		s.c.Log.Info("reconcile: voided an authorization that arrived after its order was released", "payment_ref", o.PaymentRef)
		n++
	}
	return n, nil
}

// RunReconciler runs Reconcile every interval until ctx ends, on one
// instance of the fleet at a time: the one holding the "job:reconciler"
// lock (leader election). Another instance takes over within about a lock
// TTL when the leader stops or loses the lock.
func (s *Service) RunReconciler(ctx context.Context, interval time.Duration) {
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(interval):
			return true
		}
	}
	for {
		jobCtx, done := ctx, func() {}
		if s.c.Locker != nil {
			lease, err := s.c.Locker.TryLock(ctx, "job:reconciler", lock.WithTTL(10*time.Second), lock.WithMaxHold(0))
			if err != nil {
				if !errors.Is(err, lock.ErrNotAcquired) && ctx.Err() == nil {
					s.c.Log.Warn("reconciler: lock service unavailable; will retry", "err", err)
				}
				if !wait() {
					return
				}
				continue
			}
			s.c.Log.Info("reconciler: this instance runs the reconciler", "token", lease.Token())
			jobCtx, done = lease.Context(), func() { _ = lease.Release() }
		}
		for jobCtx.Err() == nil {
			if n, err := s.Reconcile(jobCtx); err != nil && jobCtx.Err() == nil {
				s.c.Log.Error("reconcile failed", "err", err)
			} else if n > 0 {
				s.c.Log.Info("reconciled orders", "count", n)
			}
			if !wait() {
				done()
				return
			}
		}
		done()
		if ctx.Err() != nil {
			return
		}
		s.c.Log.Warn("reconciler: lost the leader lock; trying again", "cause", context.Cause(jobCtx))
	}
}

// HandleEvent processes a verified gateway webhook once: an authorization
// or capture completes a pending order (racing the checkout safely: one
// compare-and-set wins, one capture), a failure releases it.
func (s *Service) HandleEvent(ctx context.Context, gateway string, ev payment.Event) error {
	gw, ok := s.c.Gateways[gateway]
	if !ok {
		return ocean.Errorf(ocean.ENOTFOUND, "Unknown gateway.")
	}
	id := gateway + ":" + ev.ID
	first, err := s.c.Store.FirstWebhook(ctx, id)
	if err != nil || !first {
		return err
	}
	if err := s.handleEvent(ctx, gw, ev); err != nil {
		// Processing failed: forget the event so the gateway's redelivery
		// is processed (the answer is a 5xx, which makes it redeliver).
		if ferr := s.c.Store.ForgetWebhook(context.WithoutCancel(ctx), id); ferr != nil {
			s.c.Log.Error("webhook event not forgotten after a failure", "event", id, "err", ferr)
		}
		return err
	}
	return nil
}

func (s *Service) handleEvent(ctx context.Context, gw payment.Gateway, ev payment.Event) error {
	var err error
	var o *order.Order
	if ev.Reference != "" {
		o, err = s.c.Store.OrderByPaymentRef(ctx, ev.Reference)
	} else {
		o, err = s.c.Store.OrderByPaymentID(ctx, ev.AuthID)
	}
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return nil // not ours (another shop on the same account) or long gone
	}
	if err != nil {
		return err
	}
	if o.Status != order.PendingPayment {
		return nil
	}
	switch ev.Type {
	case "payment.authorized", "payment.captured":
		auth, err := gw.Lookup(ctx, o.PaymentRef)
		if err != nil {
			return err
		}
		if auth.Status != payment.Authorized && auth.Status != payment.Captured {
			return nil
		}
		s.confirmed(ctx, o, "gateway's webhook")
		_, err = s.complete(ctx, o, gw, auth, nil)
		var oe *ocean.Error
		if errors.As(err, &oe) && oe.Code == ocean.ECONFLICT {
			return nil
		}
		return err
	case "payment.failed":
		if _, err := s.c.Store.Release(ctx, o.ID, order.PaymentDeclined, "card_declined", "The payment failed.", "webhook"); err != nil {
			return err
		}
		s.stockChanged(ctx, o, false)
	}
	return nil
}

// Discounts lists every discount code.
func (s *Service) Discounts(ctx context.Context) ([]pricing.Discount, error) {
	return s.c.Pricing.Discounts(ctx)
}

// CreateDiscount validates and adds a discount code.
func (s *Service) CreateDiscount(ctx context.Context, d *pricing.Discount) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.c.Pricing.CreateDiscount(ctx, d)
}

// AllOrdersOf returns every order of a shopper, failed attempts included
// (they hold personal data too): for "download my data".
func (s *Service) AllOrdersOf(ctx context.Context, userID int64) ([]order.Order, error) {
	var out []order.Order
	f := order.Filter{UserID: userID, Limit: 200}
	for {
		os, err := s.c.Store.Orders(ctx, f)
		if err != nil {
			return nil, err
		}
		for i := range os {
			out = append(out, *s.open(&os[i]))
		}
		if len(os) < f.Limit {
			return out, nil
		}
		f.Before = os[len(os)-1].ID
	}
}

// ExportOrders is every order of a shopper as a data export shows it
// (account.Service.Export asks for it).
func (s *Service) ExportOrders(ctx context.Context, userID int64) ([]order.Export, error) {
	os, err := s.AllOrdersOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]order.Export, 0, len(os))
	for i := range os {
		out = append(out, os[i].Export())
	}
	return out, nil
}

// recordRefund writes a refund of o with the status it leads to: refunded
// when nothing is left, partly refunded otherwise; a cancelled order stays
// cancelled (its refund settles money, not status).
func (s *Service) recordRefund(ctx context.Context, o *order.Order, amount int64, reference, actor string) (bool, error) {
	to := order.PartiallyRefunded
	if o.Refunded+amount == o.Totals.Total.Amount {
		to = order.Refunded
	}
	if o.Status == order.Cancelled {
		to = order.Cancelled
	} else if !o.Allows(to) {
		return false, nil
	}
	return s.c.Store.AddRefund(ctx, RefundChange{OrderID: o.ID, Amount: amount, Reference: reference, Actor: actor,
		From: o.Status, To: to, Refunded: o.Refunded})
}

// refused reports whether a gateway error is a definite refusal or a
// failure that certainly did nothing, rather than an unknown outcome.
func refused(err error) bool {
	var d *payment.Decline
	if errors.As(err, &d) || payment.NothingDone(err) {
		return true
	}
	switch ocean.ErrorCode(err) {
	case ocean.ECONFLICT, ocean.EUNPROCESSABLE, ocean.ENOTFOUND, ocean.EINVALID:
		return true
	}
	return false
}
