package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
)

// SandboxGateway runs the contract of the sandbox payment gateway's store:
// what a processor keeps on its side (tokens, authorizations, refunds),
// with compare-and-set status changes and refunds that never exceed what
// was taken. The in-memory store runs it too, so tests that use it stand
// for the databases.
func SandboxGateway(t *testing.T, newStore func(t *testing.T) sandbox.Store) {
	t.Run("tokens", func(t *testing.T) { t.Parallel(); testSandboxTokens(t, newStore(t)) })
	t.Run("authorizations", func(t *testing.T) { t.Parallel(); testSandboxAuthorizations(t, newStore(t)) })
	t.Run("one of many concurrent captures wins", func(t *testing.T) { t.Parallel(); testSandboxCaptureRace(t, newStore(t)) })
	t.Run("refunds", func(t *testing.T) { t.Parallel(); testSandboxRefunds(t, newStore(t)) })
	t.Run("concurrent refunds never exceed the amount", func(t *testing.T) { t.Parallel(); testSandboxRefundRace(t, newStore(t)) })
}

var sandboxTime = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func sandboxAuth(s sandbox.Store, t *testing.T, id string, status payment.Status) sandbox.Record {
	t.Helper()
	r := sandbox.Record{
		Authorization: payment.Authorization{ID: id, Reference: "ref_" + id, Amount: zar(1000), Status: status, Card: "Visa ending 4242"},
		Token:         "tok_" + id, Description: "Order OC100001", CreatedAt: sandboxTime, UpdatedAt: sandboxTime,
	}
	if err := s.InsertAuthorization(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func testSandboxTokens(t *testing.T, s sandbox.Store) {
	tok := sandbox.Token{ID: "tok_1", Brand: "Visa", Last4: "4242", Outcome: "card_declined", CreatedAt: sandboxTime}
	if err := s.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.Token(ctx, "tok_1")
	if err != nil || got.ID != tok.ID || got.Brand != "Visa" || got.Last4 != "4242" || got.Outcome != "card_declined" || !got.CreatedAt.Equal(sandboxTime) {
		t.Fatalf("token = %+v, %v", got, err)
	}
	if err := s.PutToken(ctx, sandbox.Token{ID: "tok_1", Brand: "Mastercard", Last4: "4444", CreatedAt: sandboxTime}); !errors.Is(err, sandbox.ErrDuplicate) {
		t.Fatalf("same id: %v, want ErrDuplicate", err)
	}
	if got, _ := s.Token(ctx, "tok_1"); got.Brand != "Visa" {
		t.Fatal("a duplicate token overwrote the first")
	}
	if _, err := s.Token(ctx, "tok_nope"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
}

func testSandboxAuthorizations(t *testing.T, s sandbox.Store) {
	r := sandboxAuth(s, t, "sbx_1", payment.Authorized)
	for name, get := range map[string]func() (sandbox.Record, error){
		"id":        func() (sandbox.Record, error) { return s.Authorization(ctx, "sbx_1") },
		"reference": func() (sandbox.Record, error) { return s.AuthorizationByReference(ctx, "ref_sbx_1") },
	} {
		got, err := get()
		if err != nil || got.Authorization != r.Authorization || got.Token != r.Token || got.Description != r.Description ||
			!got.CreatedAt.Equal(sandboxTime) || !got.UpdatedAt.Equal(sandboxTime) {
			t.Fatalf("by %s = %+v, %v; want %+v", name, got, err, r)
		}
	}
	dupID := r
	dupID.Reference = "ref_other"
	if err := s.InsertAuthorization(ctx, dupID); !errors.Is(err, sandbox.ErrDuplicate) {
		t.Fatalf("same id: %v", err)
	}
	// One authorization per reference: a retried authorize finds the first.
	dupRef := r
	dupRef.ID = "sbx_2"
	if err := s.InsertAuthorization(ctx, dupRef); !errors.Is(err, sandbox.ErrDuplicate) {
		t.Fatalf("same reference: %v", err)
	}
	if _, err := s.Authorization(ctx, "sbx_2"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("refused authorization stored: %v", err)
	}
	if _, err := s.AuthorizationByReference(ctx, "ref_nope"); ocean.ErrorCode(err) != ocean.ENOTFOUND {
		t.Fatalf("unknown reference: %v", err)
	}
	later := sandboxTime.Add(time.Minute)
	if err := s.Transition(ctx, "sbx_1", payment.Authorized, payment.Captured, later); err != nil {
		t.Fatal(err)
	}
	if err := s.Transition(ctx, "sbx_1", payment.Authorized, payment.Voided, later); !errors.Is(err, sandbox.ErrRefused) {
		t.Fatalf("void after capture: %v, want ErrRefused", err)
	}
	if err := s.Transition(ctx, "sbx_nope", payment.Authorized, payment.Captured, later); !errors.Is(err, sandbox.ErrRefused) {
		t.Fatalf("unknown id: %v, want ErrRefused", err)
	}
	got, _ := s.Authorization(ctx, "sbx_1")
	if got.Status != payment.Captured || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(sandboxTime) {
		t.Fatalf("after capture = %+v", got)
	}
}

func testSandboxCaptureRace(t *testing.T, s sandbox.Store) {
	sandboxAuth(s, t, "sbx_1", payment.Authorized)
	var wg sync.WaitGroup
	var captured, voided atomic.Int32
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to, n := payment.Captured, &captured
			if i%2 == 1 {
				to, n = payment.Voided, &voided
			}
			err := s.Transition(ctx, "sbx_1", payment.Authorized, to, sandboxTime)
			switch {
			case err == nil:
				n.Add(1)
			case !errors.Is(err, sandbox.ErrRefused):
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if captured.Load()+voided.Load() != 1 {
		t.Fatalf("%d captures and %d voids won, want exactly one change", captured.Load(), voided.Load())
	}
}

func testSandboxRefunds(t *testing.T, s sandbox.Store) {
	sandboxAuth(s, t, "sbx_held", payment.Authorized)
	sandboxAuth(s, t, "sbx_1", payment.Captured) // 1000
	refund := func(ref, auth string, amount int64) error {
		return s.AddRefund(ctx, sandbox.Refund{Reference: ref, AuthorizationID: auth, Amount: amount, CreatedAt: sandboxTime.Add(time.Hour)})
	}
	if err := refund("rf_held", "sbx_held", 100); !errors.Is(err, sandbox.ErrRefused) {
		t.Fatalf("refund of money never taken: %v, want ErrRefused", err)
	}
	if err := refund("rf_ghost", "sbx_nope", 100); !errors.Is(err, sandbox.ErrRefused) {
		t.Fatalf("refund of an unknown payment: %v, want ErrRefused", err)
	}
	if err := refund("rf_1", "sbx_1", 300); err != nil {
		t.Fatal(err)
	}
	// The same reference again is the same refund, whatever the amount.
	if err := refund("rf_1", "sbx_1", 300); !errors.Is(err, sandbox.ErrDuplicate) {
		t.Fatalf("same reference: %v, want ErrDuplicate", err)
	}
	if err := refund("rf_2", "sbx_1", 701); !errors.Is(err, sandbox.ErrRefused) {
		t.Fatalf("more than is left: %v, want ErrRefused", err)
	}
	if err := refund("rf_3", "sbx_1", 700); err != nil {
		t.Fatalf("exactly what is left: %v", err)
	}
	got, _ := s.Authorization(ctx, "sbx_1")
	if got.Refunded != 1000 || !got.UpdatedAt.Equal(sandboxTime.Add(time.Hour)) {
		t.Fatalf("refunded %d (updated %v), want 1000", got.Refunded, got.UpdatedAt)
	}
	f, err := s.Refund(ctx, "rf_1")
	if err != nil || f.AuthorizationID != "sbx_1" || f.Amount != 300 || !f.CreatedAt.Equal(sandboxTime.Add(time.Hour)) {
		t.Fatalf("refund = %+v, %v", f, err)
	}
	// Refused refunds left no record behind.
	for _, ref := range []string{"rf_2", "rf_held", "rf_ghost", "rf_nope"} {
		if _, err := s.Refund(ctx, ref); ocean.ErrorCode(err) != ocean.ENOTFOUND {
			t.Fatalf("refund %s: %v, want not found", ref, err)
		}
	}
}

func testSandboxRefundRace(t *testing.T, s sandbox.Store) {
	sandboxAuth(s, t, "sbx_1", payment.Captured) // 1000
	var wg sync.WaitGroup
	var ok atomic.Int32
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.AddRefund(ctx, sandbox.Refund{Reference: fmt.Sprintf("rf_%d", i), AuthorizationID: "sbx_1", Amount: 150, CreatedAt: sandboxTime})
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, sandbox.ErrRefused):
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := s.Authorization(ctx, "sbx_1")
	if ok.Load() != 6 || got.Refunded != 900 {
		t.Fatalf("%d refunds of 150 went through, %d refunded; want 6 and 900 of 1000", ok.Load(), got.Refunded)
	}
}
