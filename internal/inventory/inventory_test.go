package inventory

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// fakeStore keeps one variant's ledger in memory and records what the
// service asked of it.
type fakeStore struct {
	stock   int
	entries []Entry
	limit   int // the limit History was called with
	err     error
}

func (f *fakeStore) Adjust(_ context.Context, e Entry) (Level, error) {
	if f.err != nil {
		return Level{}, f.err
	}
	if f.stock+e.Delta < 0 {
		return Level{}, ocean.Errorf(ocean.ECONFLICT, "below zero")
	}
	f.stock += e.Delta
	f.entries = append(f.entries, e)
	return Level{VariantID: e.VariantID, SKU: "SKU", Stock: f.stock}, nil
}

func (f *fakeStore) Level(_ context.Context, id int64) (Level, error) {
	return Level{VariantID: id, SKU: "SKU", Stock: f.stock}, f.err
}

func (f *fakeStore) History(_ context.Context, _ int64, limit int) ([]Entry, error) {
	f.limit = limit
	return f.entries, f.err
}

func (f *fakeStore) Verify(context.Context) ([]Drift, int, error) {
	return []Drift{{VariantID: 1, SKU: "SKU", Stock: 2, Ledger: 1}}, 7, f.err
}

var ctx = context.Background()

func fields(err error) map[string]string {
	var oe *ocean.Error
	if !errors.As(err, &oe) {
		return nil
	}
	out := map[string]string{}
	for _, f := range oe.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestAdjustWritesAStaffRowAndTellsTheCache(t *testing.T) {
	st := &fakeStore{stock: 3}
	s := NewService(st)
	changed := 0
	var told []int64
	var sold bool
	s.Changed = func(_ context.Context, ids []int64, s bool) { changed++; told, sold = ids, s }
	l, err := s.Adjust(ctx, 7, 5, "  found a box  ", "staff:1")
	if err != nil || l.Stock != 8 {
		t.Fatalf("adjust = %+v, %v", l, err)
	}
	want := Entry{VariantID: 7, Delta: 5, Kind: Adjust, Reason: "found a box", Actor: "staff:1"}
	if len(st.entries) != 1 || st.entries[0] != want {
		t.Fatalf("entry = %+v, want %+v (reason trimmed, kind adjust)", st.entries, want)
	}
	if changed != 1 || len(told) != 1 || told[0] != 7 || sold {
		t.Fatalf("caches told %d times (variants %v, sold %v), want once of variant 7 coming in", changed, told, sold)
	}
	// A refused change does not invalidate anything.
	if _, err := s.Adjust(ctx, 7, -9, "lost", "staff:1"); ocean.ErrorCode(err) != ocean.ECONFLICT {
		t.Fatalf("below zero: %v", err)
	}
	if changed != 1 || st.stock != 8 {
		t.Fatalf("after a refusal: told %d, stock %d", changed, st.stock)
	}
	// Without a listener it works the same.
	s.Changed = nil
	if _, err := s.Adjust(ctx, 7, -8, "sold out", ""); err != nil || st.stock != 0 {
		t.Fatalf("to zero: %v, stock %d", err, st.stock)
	}
}

func TestAdjustRefusesBadInput(t *testing.T) {
	long := strings.Repeat("é", 201)
	for _, c := range []struct {
		name   string
		delta  int
		reason string
		fields []string
	}{
		{"zero", 0, "count", []string{"delta"}},
		{"over a million", MaxAdjustment + 1, "count", []string{"delta"}},
		{"under minus a million", -MaxAdjustment - 1, "count", []string{"delta"}},
		{"no reason", 1, "   ", []string{"reason"}},
		{"reason too long", 1, long, []string{"reason"}},
		{"invalid UTF-8", 1, "bad \xff", []string{"reason"}},
		{"both", 0, "", []string{"delta", "reason"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &fakeStore{stock: 10}
			_, err := NewService(st).Adjust(ctx, 1, c.delta, c.reason, "staff:1")
			if ocean.ErrorCode(err) != ocean.EUNPROCESSABLE || ocean.ErrorMessage(err) != "The adjustment is not valid." {
				t.Fatalf("got %v", err)
			}
			fe := fields(err)
			if len(fe) != len(c.fields) {
				t.Fatalf("fields = %v, want %v", fe, c.fields)
			}
			for _, f := range c.fields {
				if fe[f] == "" {
					t.Fatalf("no message for %s: %v", f, fe)
				}
			}
			if len(st.entries) != 0 {
				t.Fatal("a refused adjustment reached the store")
			}
		})
	}
	// The bounds themselves are allowed; 200 characters is enough.
	st := &fakeStore{stock: MaxAdjustment}
	s := NewService(st)
	for _, d := range []int{MaxAdjustment, -MaxAdjustment} {
		if _, err := s.Adjust(ctx, 1, d, strings.Repeat("é", 200), ""); err != nil {
			t.Fatalf("delta %d: %v", d, err)
		}
	}
}

func TestStoreErrorsPassThrough(t *testing.T) {
	boom := errors.New("disk on fire")
	s := NewService(&fakeStore{err: boom})
	if _, err := s.Adjust(ctx, 1, 1, "x", ""); !errors.Is(err, boom) {
		t.Fatalf("adjust: %v", err)
	}
	if _, err := s.Level(ctx, 1); !errors.Is(err, boom) {
		t.Fatalf("level: %v", err)
	}
	if _, _, err := s.Verify(ctx); !errors.Is(err, boom) {
		t.Fatalf("verify: %v", err)
	}
}

func TestHistoryLimit(t *testing.T) {
	st := &fakeStore{}
	s := NewService(st)
	for _, c := range []struct{ asked, used int }{{0, 100}, {-5, 100}, {501, 100}, {1, 1}, {500, 500}, {50, 50}} {
		if _, err := s.History(ctx, 1, c.asked); err != nil {
			t.Fatal(err)
		}
		if st.limit != c.used {
			t.Errorf("history(%d) asked the store for %d, want %d", c.asked, st.limit, c.used)
		}
	}
}

func TestLevelAndVerify(t *testing.T) {
	s := NewService(&fakeStore{stock: 4})
	if l, err := s.Level(ctx, 9); err != nil || l.Stock != 4 || l.VariantID != 9 {
		t.Fatalf("level = %+v, %v", l, err)
	}
	d, n, err := s.Verify(ctx)
	if err != nil || n != 7 || len(d) != 1 || d[0].Stock != 2 || d[0].Ledger != 1 {
		t.Fatalf("verify = %+v, %d, %v", d, n, err)
	}
}

// TestReport: `ocean inventory verify` says all is well in one line, or
// names each drifted variant with the difference and fails.
func TestReport(t *testing.T) {
	var b strings.Builder
	if err := Report(&b, nil, 3); err != nil || b.String() != "inventory: 3 variants checked; every stock level equals the sum of its ledger.\n" {
		t.Fatalf("no drift: %v %q", err, b.String())
	}
	b.Reset()
	err := Report(&b, []Drift{{VariantID: 7, SKU: "MUG-1", Stock: 5, Ledger: 8}, {VariantID: 9, SKU: "CUP-2", Stock: 4, Ledger: 1}}, 12)
	if err == nil || err.Error() != "2 of 12 variants drifted from their ledger" {
		t.Fatalf("drift error: %v", err)
	}
	if want := "drift: variant 7 (MUG-1) has stock 5 but its ledger sums to 8 (-3)\ndrift: variant 9 (CUP-2) has stock 4 but its ledger sums to 1 (+3)\n"; b.String() != want {
		t.Fatalf("drift lines %q, want %q", b.String(), want)
	}
}
