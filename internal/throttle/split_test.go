package throttle_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/throttle"
)

// TestSplit: client keys and account keys count on their own limiters, so
// one account's failures do not lock out its address and the reverse.
func TestSplit(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	acct := throttle.NewLocal(throttle.Policy{Free: 1, Base: time.Minute, Max: time.Hour, Window: time.Hour}, clock)
	client := throttle.NewLocal(throttle.Policy{Free: 3, Base: time.Minute, Max: time.Hour, Window: time.Hour}, clock)
	l := throttle.Split(acct, client)
	ak := throttle.AccountKey("signin", "ada@example.com")
	ck := throttle.IPKey("signin", netip.MustParseAddr("192.0.2.7"))
	for range 2 {
		if _, err := l.Fail(ctx, ak); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Fail(ctx, ck); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := l.Check(ctx, ak); d <= 0 {
		t.Errorf("account after 2 failures (1 free): wait %v, want a lockout", d)
	}
	if d, _ := l.Check(ctx, ck); d != 0 {
		t.Errorf("client after 2 failures (3 free): wait %v, want none", d)
	}
	if err := l.Reset(ctx, ak); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.Check(ctx, ak); d != 0 {
		t.Errorf("account after Reset: wait %v", d)
	}
	for _, p := range []throttle.Policy{throttle.SignInClient, throttle.ResetAccount, throttle.ResetClient} {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}
