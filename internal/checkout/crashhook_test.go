package checkout

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/order"
)

// TestCrashHook: off, there is no hook; on, the checkout stops after the
// authorization and says which order and payment it stopped at, the line
// the crash tests wait for before they kill the process.
func TestCrashHook(t *testing.T) {
	if CrashHook(false, slog.Default()) != nil {
		t.Fatal("a hook when the crash test setting is off")
	}
	r, w := io.Pipe()
	hook := CrashHook(true, slog.New(slog.NewTextHandler(w, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &order.Order{Num: 42, PaymentRef: "pay_123"}
	go hook(ctx, o) // never returns: the crash test kills the process
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "paused after payment authorization") || !strings.Contains(line, "order="+o.Number()) || !strings.Contains(line, "payment_ref=pay_123") {
		t.Fatalf("hook said %q", line)
	}
}
