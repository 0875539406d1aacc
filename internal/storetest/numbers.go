package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/order"
)

// numbersVersion is the migration that stores order numbers and records
// payment attempts.
const numbersVersion = 17

// OrderNumbersMigration checks migration 0017 on a shop that has orders
// from before it: the orders already paid keep the number they were shown
// with (OC + 100000 + id), the checkouts never paid get none, the counter
// goes on after the highest, and the attempts the orders tell of are on
// record. open returns a database with no migrations applied.
func OrderNumbersMigration(t *testing.T, open func(t *testing.T) (migrate.Target, []migrate.Migration, CommerceDB)) {
	db, ms, cdb := open(t)
	if _, err := migrate.Up(ctx, db, ms); err != nil {
		t.Fatal(err)
	}
	f := newShop(t, cdb)
	paid1 := f.paid(t, nil)
	declined := f.placed(t, nil)
	release(t, f, declined.ID, order.PaymentDeclined, "card_declined")
	paid2 := f.paid(t, nil)
	pending := f.placed(t, nil)
	// Back to before the migration (the data as an older release left
	// it: no numbers, no attempts), then up again: the upgrade.
	for {
		v, err := migrate.Down(ctx, db, ms)
		if err != nil {
			t.Fatalf("down: %v", err)
		}
		if v <= numbersVersion {
			break
		}
	}
	if _, err := migrate.Up(ctx, db, ms); err != nil {
		t.Fatalf("up: %v", err)
	}
	for _, c := range []struct {
		o    *order.Order
		want int64
	}{{paid1, 100000 + paid1.ID}, {declined, 0}, {paid2, 100000 + paid2.ID}, {pending, 0}} {
		if got := f.get(t, c.o.ID).Num; got != c.want {
			t.Errorf("order %d: number %d after the upgrade, want %d", c.o.ID, got, c.want)
		}
	}
	next := f.paid(t, nil)
	if got := f.get(t, next.ID).Num; got != 100000+paid2.ID+1 {
		t.Errorf("first order paid after the upgrade: number %d, want %d", got, 100000+paid2.ID+1)
	}
	for _, c := range []struct {
		o    *order.Order
		want []string
	}{{paid1, []string{"succeeded"}}, {declined, []string{"declined card_declined"}}, {paid2, []string{"succeeded"}}, {pending, nil}} {
		as, err := f.s.Attempts(ctx, c.o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			s := a.Outcome
			if a.DeclineCode != "" {
				s += " " + a.DeclineCode
			}
			got = append(got, s)
			if a.Reference != c.o.PaymentRef || a.Amount != c.o.Totals.Total || a.CreatedAt.Before(time.Now().Add(-time.Hour)) {
				t.Errorf("order %d: backfilled attempt %+v", c.o.ID, a)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("order %d: attempts %q after the upgrade, want %q", c.o.ID, got, c.want)
		}
	}
	n, err := f.s.CountByStatus(ctx)
	if err != nil || len(n) != 1 || n[order.Paid] != 3 {
		t.Errorf("counts after the upgrade = %v, %v", n, err)
	}
}
