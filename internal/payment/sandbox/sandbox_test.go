package sandbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/paymenttest"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/sqlite"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

var ctx = context.Background()

var tokens = paymenttest.Tokens{
	Succeeds:          "tok_visa",
	Declined:          "tok_chargeDeclined",
	InsufficientFunds: "tok_chargeDeclinedInsufficientFunds",
	ProcessingError:   "tok_processingError",
	Unknown:           "tok_neverIssued",
}

// jan2030 is the clock of the card checks, so expiry tests do not age.
var jan2030 = time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)

func newGateway(t testing.TB, store sandbox.Store, opts sandbox.Options) *sandbox.Gateway {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return jan2030 }
	}
	g, err := sandbox.New(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestContractMemory(t *testing.T) {
	paymenttest.Contract(t, func(t *testing.T) payment.Gateway {
		return newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})
	}, tokens)
}

func TestContractSQLite(t *testing.T) {
	db := sqlitetest.Open(t)
	paymenttest.Contract(t, func(t *testing.T) payment.Gateway {
		return newGateway(t, db.SandboxGateway(), sandbox.Options{})
	}, tokens)
}

func TestContractPostgres(t *testing.T) {
	db := postgrestest.Open(t)
	paymenttest.Contract(t, func(t *testing.T) payment.Gateway {
		return newGateway(t, db.SandboxGateway(), sandbox.Options{})
	}, tokens)
	// Tokens made by one instance are known to another over the same
	// database.
	a := newGateway(t, db.SandboxGateway(), sandbox.Options{})
	b := newGateway(t, db.SandboxGateway(), sandbox.Options{})
	tok, err := a.Tokenize(ctx, sandbox.CardInput{Number: "4000000000009995", ExpMonth: 12, ExpYear: 2031, CVC: "123"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Authorize(ctx, payment.AuthorizeRequest{Reference: paymenttest.Ref("ord"), Amount: ocean.Money{Amount: 100, Currency: "ZAR"}, Token: tok.ID})
	paymenttest.WantDecline(t, err, "insufficient_funds")
}

// The crash-safety story: authorize, the shop dies before it records the
// order, the shop starts again and reconciliation finds the authorization
// by its reference.
func TestAuthorizationSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ocean.db")
	open := func() *sandbox.Gateway {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ms, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Up(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
		return newGateway(t, db.SandboxGateway(), sandbox.Options{})
	}
	g := open()
	tok, err := g.Tokenize(ctx, sandbox.CardInput{Number: "5555 5555 5555 4444", ExpMonth: 3, ExpYear: 2032, CVC: "321"})
	if err != nil {
		t.Fatal(err)
	}
	ref := paymenttest.Ref("ord")
	first, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: ocean.Money{Amount: 4200, Currency: "ZAR"}, Token: tok.ID})
	if err != nil {
		t.Fatal(err)
	}

	g = open() // a new process over the same file
	found, err := g.Lookup(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if found != first {
		t.Fatalf("after restart Lookup = %+v, want %+v", found, first)
	}
	if found.Card != "Mastercard ending 4444" {
		t.Errorf("card = %q", found.Card)
	}
	if err := g.CheckToken(ctx, tok.ID); err != nil {
		t.Errorf("token lost in the restart: %v", err)
	}
	again, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: ocean.Money{Amount: 4200, Currency: "ZAR"}, Token: tok.ID})
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry after restart = %+v, %v; want the first hold", again, err)
	}
	if c, err := g.Capture(ctx, first.ID); err != nil || c.Status != payment.Captured {
		t.Fatalf("Capture after restart = %+v, %v", c, err)
	}
}

func TestTokenizeCardOutcomes(t *testing.T) {
	g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})
	for _, c := range []struct {
		number, decline, card string
	}{
		{"4242424242424242", "", "Visa ending 4242"},
		{"4242 4242 4242 4242", "", "Visa ending 4242"},
		{"4000-0000-0000-0002", "card_declined", "Visa ending 0002"},
		{"4000000000009995", "insufficient_funds", "Visa ending 9995"},
		{"4000000000000119", "processing_error", "Visa ending 0119"},
		{"5555555555554444", "", "Mastercard ending 4444"},
		{"378282246310005", "", "American Express ending 0005"},
		{"6011111111111117", "", "Discover ending 1117"},
	} {
		tok, err := g.Tokenize(ctx, sandbox.CardInput{Number: c.number, ExpMonth: 12, ExpYear: 2030, CVC: "123"})
		if err != nil {
			t.Fatalf("%s: %v", c.number, err)
		}
		if !strings.HasPrefix(tok.ID, "tok_") || len(tok.ID) < 20 {
			t.Errorf("%s: token %q is guessable", c.number, tok.ID)
		}
		if tok.Card() != c.card {
			t.Errorf("%s: card = %q, want %q", c.number, tok.Card(), c.card)
		}
		a, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: paymenttest.Ref("ord"), Amount: ocean.Money{Amount: 100, Currency: "ZAR"}, Token: tok.ID})
		if c.decline == "" {
			if err != nil || a.Card != c.card {
				t.Errorf("%s: Authorize = %+v, %v", c.number, a, err)
			}
		} else {
			paymenttest.WantDecline(t, err, c.decline)
		}
	}
}

func TestTokenizeNeverKeepsTheNumber(t *testing.T) {
	store := sandbox.NewMemoryStore()
	g := newGateway(t, store, sandbox.Options{})
	tok, err := g.Tokenize(ctx, sandbox.CardInput{Number: "4242424242424242", ExpMonth: 1, ExpYear: 2030, CVC: "987"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.Token(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The token keeps the brand, the last four and the outcome: nothing
	// else of the card (the struct has no field for more).
	want := sandbox.Token{ID: tok.ID, Brand: "Visa", Last4: "4242", Outcome: "", CreatedAt: stored.CreatedAt}
	if stored != want || strings.Contains(stored.ID, "424242424242") {
		t.Fatalf("stored token = %+v", stored)
	}
}

func TestTokenizeRejectsBadCards(t *testing.T) {
	g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})
	good := sandbox.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	for _, c := range []struct {
		name   string
		edit   func(*sandbox.CardInput)
		fields []string
	}{
		{"empty number", func(c *sandbox.CardInput) { c.Number = "" }, []string{"number"}},
		{"letters", func(c *sandbox.CardInput) { c.Number = "4242abcd42424242" }, []string{"number"}},
		{"too short", func(c *sandbox.CardInput) { c.Number = "42424242424" }, []string{"number"}},
		{"too long", func(c *sandbox.CardInput) { c.Number = "42424242424242424242" }, []string{"number"}},
		{"fails luhn", func(c *sandbox.CardInput) { c.Number = "4242424242424241" }, []string{"number"}},
		{"month 0", func(c *sandbox.CardInput) { c.ExpMonth = 0 }, []string{"exp_month"}},
		{"month 13", func(c *sandbox.CardInput) { c.ExpMonth = 13 }, []string{"exp_month"}},
		{"expired last month", func(c *sandbox.CardInput) { c.ExpMonth, c.ExpYear = 12, 2029 }, []string{"exp_year"}},
		{"expired two-digit year", func(c *sandbox.CardInput) { c.ExpYear = 29 }, []string{"exp_year"}},
		{"no year", func(c *sandbox.CardInput) { c.ExpYear = 0 }, []string{"exp_year"}},
		{"year 3000", func(c *sandbox.CardInput) { c.ExpYear = 3000 }, []string{"exp_year"}},
		{"short cvc", func(c *sandbox.CardInput) { c.CVC = "12" }, []string{"cvc"}},
		{"long cvc", func(c *sandbox.CardInput) { c.CVC = "12345" }, []string{"cvc"}},
		{"letter cvc", func(c *sandbox.CardInput) { c.CVC = "12a" }, []string{"cvc"}},
		{"everything", func(c *sandbox.CardInput) { *c = sandbox.CardInput{} }, []string{"number", "exp_month", "exp_year", "cvc"}},
	} {
		in := good
		c.edit(&in)
		_, err := g.Tokenize(ctx, in)
		if ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", c.name, err)
			continue
		}
		var got []string
		for _, f := range ocean.ErrorFields(err) {
			got = append(got, f.Field)
			if len(f.Message) < 10 {
				t.Errorf("%s: field %s has no helpful message", c.name, f.Field)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.fields, ",") {
			t.Errorf("%s: fields = %v, want %v", c.name, got, c.fields)
		}
	}
	// This month is still good: a card is valid through its expiry month.
	in := good
	in.ExpMonth, in.ExpYear = 1, 2030
	if _, err := g.Tokenize(ctx, in); err != nil {
		t.Errorf("card expiring this month refused: %v", err)
	}
}

func TestDeclineMessagesArePlainWords(t *testing.T) {
	g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{})
	_, err := g.Authorize(ctx, payment.AuthorizeRequest{Reference: "r1", Amount: ocean.Money{Amount: 100, Currency: "ZAR"}, Token: "tok_chargeDeclined"})
	var d *payment.Decline
	if !errors.As(err, &d) || d.Message != "Your card was declined. Try another card or contact your bank." {
		t.Fatalf("err = %v", err)
	}
}

func TestFailureInjection(t *testing.T) {
	if _, err := sandbox.New(sandbox.NewMemoryStore(), sandbox.Options{FailureRate: 1.5}); err == nil {
		t.Error("a failure rate above 1 was accepted")
	}
	if _, err := sandbox.New(sandbox.NewMemoryStore(), sandbox.Options{Latency: -time.Second}); err == nil {
		t.Error("a negative latency was accepted")
	}

	store := sandbox.NewMemoryStore()
	always := newGateway(t, store, sandbox.Options{FailureRate: 1})
	ref := paymenttest.Ref("ord")
	_, err := always.Authorize(ctx, payment.AuthorizeRequest{Reference: ref, Amount: ocean.Money{Amount: 100, Currency: "ZAR"}, Token: "tok_visa"})
	if !errors.Is(err, sandbox.ErrTransport) {
		t.Fatalf("err = %v, want ErrTransport", err)
	}
	if ocean.ErrorCode(err) != ocean.EINTERNAL {
		t.Errorf("a transport failure must not look like a business answer: code %q", ocean.ErrorCode(err))
	}
	// It failed before doing anything.
	if _, err := newGateway(t, store, sandbox.Options{}).Lookup(ctx, ref); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("a failed call left an authorization: %v", err)
	}

	// Half the calls fail, the same ones for the same seed.
	run := func() (fails int, pattern string) {
		g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{FailureRate: 0.5, Seed: 42})
		for range 200 {
			if _, err := g.Lookup(ctx, "x"); errors.Is(err, sandbox.ErrTransport) {
				fails++
				pattern += "F"
			} else {
				pattern += "."
			}
		}
		return
	}
	n, p1 := run()
	if n < 60 || n > 140 {
		t.Errorf("%d of 200 calls failed at rate 0.5", n)
	}
	if _, p2 := run(); p1 != p2 {
		t.Error("the same seed gave different failures")
	}
}

func TestLatency(t *testing.T) {
	g := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{Latency: 50 * time.Millisecond})
	start := time.Now()
	if _, err := g.Lookup(ctx, "x"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatal(err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Error("the call did not wait for the latency")
	}
	// A caller that gives up is not kept waiting.
	c, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	slow := newGateway(t, sandbox.NewMemoryStore(), sandbox.Options{Latency: time.Minute})
	if _, err := slow.Lookup(c, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}
