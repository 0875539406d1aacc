package throttle

import (
	"context"
	"strings"
	"time"
)

// Policies of the shop. Sign-in: five free failures per account (SignIn),
// then 1 s, 2 s, 4 s … up to 15 min; a client address gets twenty. Reset
// requests: three per account and ten per address in a quarter of an hour.
var (
	SignInClient = Policy{Free: 20, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute}
	ResetAccount = Policy{Free: 3, Base: time.Minute, Max: time.Hour, Window: 15 * time.Minute}
	ResetClient  = Policy{Free: 10, Base: time.Minute, Max: time.Hour, Window: 15 * time.Minute}
)

// Split sends client keys (IPKey) to perClient and every other key
// (AccountKey) to perAccount: a shared address (an office, a mobile
// carrier's NAT) needs more room than one account does.
func Split(perAccount, perClient Limiter) Limiter { return split{perAccount, perClient} }

type split struct{ acct, ip Limiter }

func (s split) pick(key string) Limiter {
	if strings.Contains(key, ":ip:") {
		return s.ip
	}
	return s.acct
}

func (s split) Check(ctx context.Context, k string) (time.Duration, error) {
	return s.pick(k).Check(ctx, k)
}

func (s split) Fail(ctx context.Context, k string) (time.Duration, error) {
	return s.pick(k).Fail(ctx, k)
}

func (s split) Reset(ctx context.Context, k string) error { return s.pick(k).Reset(ctx, k) }
