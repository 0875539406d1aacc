// Package inventory keeps stock as a ledger: every change of a variant's
// stock is a row with a kind and a reason, and the stock level always equals
// the sum of its rows. The database enforces stock ≥ 0 with a CHECK
// constraint and conditional updates; nothing here reads then writes.
package inventory

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Kinds of ledger rows.
const (
	Initial = "initial" // stock a product was created with
	Sale    = "sale"    // reserved for an order when payment started
	Release = "release" // a reservation given back: payment failed or expired
	Cancel  = "cancel"  // a paid order was cancelled; its units return
	Restock = "restock" // refunded units put back on the shelf
	Adjust  = "adjust"  // a staff correction, with a reason
)

// Entry is one ledger row.
type Entry struct {
	ID        int64     `json:"id"`
	VariantID int64     `json:"variant_id"`
	Delta     int       `json:"delta"`
	Kind      string    `json:"kind"`
	Reason    string    `json:"reason,omitempty"`
	OrderID   int64     `json:"-"`
	OrderNum  int64     `json:"-"` // the order's number; 0 for a checkout never paid
	Actor     string    `json:"actor,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Drift is a variant whose stock differs from its ledger's sum.
type Drift struct {
	VariantID int64  `json:"variant_id"`
	SKU       string `json:"sku"`
	Stock     int    `json:"stock"`
	Ledger    int    `json:"ledger"`
}

// Level is a variant's stock now.
type Level struct {
	VariantID int64  `json:"variant_id"`
	SKU       string `json:"sku"`
	Stock     int    `json:"stock"`
}

// Store keeps the ledger.
type Store interface {
	// Adjust adds delta to the stock and writes the row in one
	// transaction; ENOTFOUND for an unknown variant, ECONFLICT if the
	// stock would go below zero.
	Adjust(ctx context.Context, e Entry) (Level, error)
	Level(ctx context.Context, variantID int64) (Level, error)
	History(ctx context.Context, variantID int64, limit int) ([]Entry, error)
	// Verify returns every variant whose stock is not its ledger's sum,
	// and how many variants it checked.
	Verify(ctx context.Context) ([]Drift, int, error)
}

// MaxAdjustment bounds one adjustment, so a typo cannot add a billion units.
const MaxAdjustment = 1_000_000

// Service is the inventory's rules.
type Service struct {
	store Store
	// Changed is called after stock changes, to invalidate catalog caches,
	// with the variants changed and whether units were only taken away.
	Changed func(ctx context.Context, variantIDs []int64, sold bool)
}

// NewService returns an inventory service.
func NewService(s Store) *Service { return &Service{store: s} }

// Adjust changes a variant's stock by delta for a stated reason.
func (s *Service) Adjust(ctx context.Context, variantID int64, delta int, reason, actor string) (Level, error) {
	var fe []ocean.FieldError
	if delta == 0 || delta > MaxAdjustment || delta < -MaxAdjustment {
		fe = append(fe, ocean.FieldError{Field: "delta", Message: "must be a non-zero whole number between -1000000 and 1000000"})
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 || !utf8.ValidString(reason) {
		fe = append(fe, ocean.FieldError{Field: "reason", Message: "say why, in 1-200 characters"})
	}
	if fe != nil {
		return Level{}, &ocean.Error{Code: ocean.EUNPROCESSABLE, Message: "The adjustment is not valid.", Fields: fe}
	}
	l, err := s.store.Adjust(ctx, Entry{VariantID: variantID, Delta: delta, Kind: Adjust, Reason: reason, Actor: actor})
	if err != nil {
		return Level{}, err
	}
	if s.Changed != nil {
		s.Changed(ctx, []int64{variantID}, delta < 0)
	}
	return l, nil
}

// Level returns a variant's stock.
func (s *Service) Level(ctx context.Context, variantID int64) (Level, error) {
	return s.store.Level(ctx, variantID)
}

// History returns a variant's newest ledger rows first.
func (s *Service) History(ctx context.Context, variantID int64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return s.store.History(ctx, variantID, limit)
}

// Verify reports drift between stock and ledger.
func (s *Service) Verify(ctx context.Context) ([]Drift, int, error) { return s.store.Verify(ctx) }

// Report writes what `ocean inventory verify` found among n variants: one
// line when none drifted, else a line per drifted variant, and then an
// error saying how many drifted (the command's failure).
func Report(w io.Writer, drift []Drift, n int) error {
	if len(drift) == 0 {
		fmt.Fprintf(w, "inventory: %d variants checked; every stock level equals the sum of its ledger.\n", n)
		return nil
	}
	for _, d := range drift {
		fmt.Fprintf(w, "drift: variant %d (%s) has stock %d but its ledger sums to %d (%+d)\n", d.VariantID, d.SKU, d.Stock, d.Ledger, d.Stock-d.Ledger)
	}
	return fmt.Errorf("%d of %d variants drifted from their ledger", len(drift), n)
}
