// Package sandbox is Ocean's built-in payment gateway: it behaves like an
// external card processor (tokens, holds, captures, voids, refunds, test
// cards with fixed outcomes) without moving money. It keeps its state in a
// Store, so, like a real processor, it remembers an authorization across a
// restart of the shop and reconciliation can Lookup what happened before a
// crash.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

// Name is the gateway's name in a checkout's payment.gateway.
const Name = "sandbox"

// Options tune how the sandbox behaves like a processor on a network.
type Options struct {
	// Latency is added to every gateway call (OCEAN_SANDBOX_LATENCY).
	Latency time.Duration
	// FailureRate is the share of gateway calls, 0 to 1, that fail with
	// ErrTransport before doing anything (OCEAN_SANDBOX_FAILURE_RATE).
	FailureRate float64
	// Seed seeds the failure injection, so a test run can be repeated;
	// zero picks a random seed.
	Seed uint64
	// Now is the clock for card expiry and timestamps; nil means time.Now.
	Now func() time.Time
}

// ErrTransport is the simulated network failure that failure injection
// returns. The call did nothing; the caller may retry.
var ErrTransport error = transportError{}

type transportError struct{}

func (transportError) Error() string {
	return "sandbox gateway: simulated transport failure (nothing was done; retry)"
}

// NothingDone tells callers the gateway certainly did nothing (see
// payment.NothingDone): the sandbox fails before it acts.
func (transportError) NothingDone() bool { return true }

// Gateway is the sandbox gateway. It implements payment.Gateway and
// payment.TokenChecker.
type Gateway struct {
	store Store
	opts  Options
	mu    sync.Mutex // guards rng
	rng   *mrand.Rand
}

var (
	_ payment.Gateway      = (*Gateway)(nil)
	_ payment.TokenChecker = (*Gateway)(nil)
)

// New returns a sandbox gateway over store.
func New(store Store, opts Options) (*Gateway, error) {
	if store == nil {
		return nil, errors.New("sandbox gateway: no store")
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("sandbox gateway: latency %v is negative", opts.Latency)
	}
	if !(opts.FailureRate >= 0 && opts.FailureRate <= 1) { // also refuses NaN
		return nil, fmt.Errorf("sandbox gateway: failure rate %v is not between 0 and 1", opts.FailureRate)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = mrand.Uint64() //nolint:gosec // simulated outcomes of a test gateway; nothing to guess
	}
	return &Gateway{store: store, opts: opts, rng: mrand.New(mrand.NewPCG(seed, seed^0x6f6365616e))}, nil //nolint:gosec // as above
}

// Name implements payment.Gateway.
func (g *Gateway) Name() string { return Name }

// network simulates the trip to the processor: latency, then maybe a
// failure.
func (g *Gateway) network(ctx context.Context) error {
	if g.opts.Latency > 0 {
		t := time.NewTimer(g.opts.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.opts.FailureRate > 0 {
		g.mu.Lock()
		fail := g.rng.Float64() < g.opts.FailureRate
		g.mu.Unlock()
		if fail {
			return ErrTransport
		}
	}
	return nil
}

func (g *Gateway) now() time.Time { return g.opts.Now().UTC() }

func randomID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Tokenize checks a card and returns a new token bound to the card's
// outcome. Errors are *ocean.Error EINVALID listing every wrong field. Only
// the brand and the last four digits are kept.
func (g *Gateway) Tokenize(ctx context.Context, c CardInput) (Token, error) {
	digits, brand, err := checkCard(c, g.now())
	if err != nil {
		return Token{}, err
	}
	t := Token{ID: randomID("tok_"), Brand: brand, Last4: digits[len(digits)-4:], Outcome: cardOutcomes[digits], CreatedAt: g.now()}
	if err := g.store.PutToken(ctx, t); err != nil {
		return Token{}, fmt.Errorf("sandbox: store token: %w", err)
	}
	return t, nil
}

// token returns the token with the id, fixed or stored, or the
// invalid_token decline.
func (g *Gateway) token(ctx context.Context, id string) (Token, error) {
	if t, ok := fixedTokens[id]; ok {
		return t, nil
	}
	if id == "" || len(id) > 100 {
		return Token{}, decline("invalid_token")
	}
	t, err := g.store.Token(ctx, id)
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return Token{}, decline("invalid_token")
	}
	return t, err
}

func decline(code string) *payment.Decline { return payment.NewDecline(code) }

// CheckToken implements payment.TokenChecker: nil if the token exists
// (whatever its outcome), the invalid_token decline if not.
func (g *Gateway) CheckToken(ctx context.Context, token string) error {
	if err := g.network(ctx); err != nil {
		return err
	}
	_, err := g.token(ctx, token)
	return err
}

// Authorize implements payment.Gateway. The same reference returns the
// first authorization (ECONFLICT if it was for another amount), however
// many calls race; a declined card leaves nothing behind.
func (g *Gateway) Authorize(ctx context.Context, req payment.AuthorizeRequest) (payment.Authorization, error) {
	if err := req.Validate(); err != nil {
		return payment.Authorization{}, err
	}
	if err := g.network(ctx); err != nil {
		return payment.Authorization{}, err
	}
	if r, err := g.store.AuthorizationByReference(ctx, req.Reference); err == nil {
		return sameRequest(r, req)
	} else if ocean.ErrorCode(err) != ocean.ENOTFOUND {
		return payment.Authorization{}, err
	}
	tok, err := g.token(ctx, req.Token)
	if err != nil {
		return payment.Authorization{}, err
	}
	if tok.Outcome != OutcomeSucceeds {
		return payment.Authorization{}, decline(tok.Outcome)
	}
	now := g.now()
	r := Record{
		Authorization: payment.Authorization{
			ID: randomID("sbx_"), Reference: req.Reference, Amount: req.Amount,
			Status: payment.Authorized, Card: tok.Card(),
		},
		Token: tok.ID, Description: req.Description, CreatedAt: now, UpdatedAt: now,
	}
	err = g.store.InsertAuthorization(ctx, r)
	if errors.Is(err, ErrDuplicate) {
		// Another call with the same reference won the race: its
		// authorization is the one.
		first, err := g.store.AuthorizationByReference(ctx, req.Reference)
		if err != nil {
			return payment.Authorization{}, err
		}
		return sameRequest(first, req)
	}
	if err != nil {
		return payment.Authorization{}, fmt.Errorf("sandbox: store authorization: %w", err)
	}
	return r.Authorization, nil
}

func sameRequest(r Record, req payment.AuthorizeRequest) (payment.Authorization, error) {
	if r.Amount != req.Amount {
		return payment.Authorization{}, ocean.Errorf(ocean.ECONFLICT,
			"This payment reference was already used for %s, not %s.", r.Amount, req.Amount)
	}
	return r.Authorization, nil
}

// Capture implements payment.Gateway: authorized → captured; a captured
// payment is returned as it is.
func (g *Gateway) Capture(ctx context.Context, id string) (payment.Authorization, error) {
	return g.transition(ctx, id, payment.Authorized, payment.Captured, "captured")
}

// Void implements payment.Gateway: authorized → voided; a voided payment
// is returned as it is.
func (g *Gateway) Void(ctx context.Context, id string) (payment.Authorization, error) {
	return g.transition(ctx, id, payment.Authorized, payment.Voided, "voided")
}

func (g *Gateway) transition(ctx context.Context, id string, from, to payment.Status, op string) (payment.Authorization, error) {
	if err := g.network(ctx); err != nil {
		return payment.Authorization{}, err
	}
	err := g.store.Transition(ctx, id, from, to, g.now())
	if err != nil && !errors.Is(err, ErrRefused) {
		return payment.Authorization{}, err
	}
	r, rerr := g.store.Authorization(ctx, id)
	if rerr != nil {
		return payment.Authorization{}, lookupErr(rerr)
	}
	if err != nil && r.Status != to { // refused, and not already done
		return payment.Authorization{}, payment.ErrState(op, r.Authorization)
	}
	return r.Authorization, nil
}

func lookupErr(err error) error {
	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
		return payment.ErrNotFound()
	}
	return err
}

// Refund implements payment.Gateway. The reference makes it idempotent: a
// retry returns the payment as it is, without refunding again.
func (g *Gateway) Refund(ctx context.Context, id string, amount int64, reference string) (payment.Authorization, error) {
	var fields []ocean.FieldError
	if amount <= 0 {
		fields = append(fields, ocean.FieldError{Field: "amount", Message: "must be more than zero"})
	}
	if reference == "" || len(reference) > 200 {
		fields = append(fields, ocean.FieldError{Field: "reference", Message: "must be 1 to 200 characters"})
	}
	if len(fields) > 0 {
		return payment.Authorization{}, ocean.Invalid("The refund request is not valid.", fields...)
	}
	if err := g.network(ctx); err != nil {
		return payment.Authorization{}, err
	}
	err := g.store.AddRefund(ctx, Refund{Reference: reference, AuthorizationID: id, Amount: amount, CreatedAt: g.now()})
	switch {
	case err == nil:
		r, err := g.store.Authorization(ctx, id)
		return r.Authorization, lookupErr(err)
	case errors.Is(err, ErrDuplicate):
		f, err := g.store.Refund(ctx, reference)
		if err != nil {
			return payment.Authorization{}, err
		}
		if f.AuthorizationID != id || f.Amount != amount {
			return payment.Authorization{}, ocean.Errorf(ocean.ECONFLICT, "This refund reference was already used for a different refund.")
		}
		r, err := g.store.Authorization(ctx, id)
		return r.Authorization, lookupErr(err)
	case errors.Is(err, ErrRefused):
		r, err := g.store.Authorization(ctx, id)
		if err != nil {
			return payment.Authorization{}, lookupErr(err)
		}
		if r.Status != payment.Captured {
			return payment.Authorization{}, payment.ErrState("refunded", r.Authorization)
		}
		return payment.Authorization{}, payment.ErrRefundTooLarge(r.Authorization, amount)
	default:
		return payment.Authorization{}, fmt.Errorf("sandbox: store refund: %w", err)
	}
}

// Lookup implements payment.Gateway.
func (g *Gateway) Lookup(ctx context.Context, reference string) (payment.Authorization, error) {
	if err := g.network(ctx); err != nil {
		return payment.Authorization{}, err
	}
	r, err := g.store.AuthorizationByReference(ctx, reference)
	if err != nil {
		return payment.Authorization{}, lookupErr(err)
	}
	return r.Authorization, nil
}
