package checkout

import (
	"context"
	"log/slog"

	"github.com/oceanshop/ocean/internal/order"
)

// CrashHook is the crash tests' AfterAuthorize: when on
// (OCEAN_TEST_CRASH_AFTER_AUTHORIZE) the checkout says on log where it
// stopped, after the payment's authorization and before the order's
// commit, and waits there to be killed. Off, it is nil: no hook.
func CrashHook(on bool, log *slog.Logger) func(context.Context, *order.Order) {
	if !on {
		return nil
	}
	return func(ctx context.Context, o *order.Order) {
		log.Warn("test hook: paused after payment authorization, before the order commit", "order", o.Number(), "payment_ref", o.PaymentRef)
		<-ctx.Done()
		select {} // a crash test kills the process here
	}
}
