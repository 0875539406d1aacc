package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/metrics"
	"github.com/oceanshop/ocean/internal/payment"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/payment/stripe"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// initCommerce wires carts, inventory, payment gateways and the checkout.
func (a *App) initCommerce(ctx context.Context, cfg config.Config, log *slog.Logger, stockChanged func(context.Context, []int64, bool)) error {
	store := a.DB.Commerce()
	if err := demo.SeedRules(ctx, store); err != nil {
		return err
	}
	a.Carts = cart.NewService(store, store, cfg.PricesIncludeTax)
	a.Inventory = inventory.NewService(store)
	a.Inventory.Changed = stockChanged
	gateways := map[string]payment.Gateway{}
	switch cfg.PaymentGateway {
	case "stripe":
		g, err := stripe.New(stripe.Config{Key: cfg.StripeKey, URL: cfg.StripeURL, WebhookSecret: cfg.StripeWebhookKey,
			HTTPClient: a.Tracing.Client(30 * time.Second)}) // nil (stripe's default) when tracing is off
		if err != nil {
			return err
		}
		gateways[g.Name()] = g
		a.stripe = g
	default:
		g, err := sandbox.New(a.DB.SandboxGateway(), sandbox.Options{Latency: cfg.SandboxLatency, FailureRate: cfg.SandboxFailRate})
		if err != nil {
			return err
		}
		a.Sandbox = g
		gateways[g.Name()] = g
	}
	payments := metrics.NewPayments(a.Metrics)
	for name, g := range gateways {
		payments.Gateways(name)
		gateways[name] = payment.Observed(g, payments.Observe, a.Tracing.Gateway)
	}
	m, _, err := mail.New(cfg.SMTPURL, cfg.MailFrom, a.DB.Mailbox())
	if err != nil {
		return err
	}
	a.Checkout = checkout.New(checkout.Config{
		Store: store, Carts: a.Carts, CartData: store, Pricing: store, Gateways: gateways, Sealer: a.Accounts, Log: log,
		Mail:      mail.SendFunc(m),
		PublicURL: cfg.PublicURL, ReservationTTL: cfg.ReservationTTL, StockChanged: stockChanged,
		AfterAuthorize: checkout.CrashHook(cfg.CrashAfterAuthorize, log), Locker: a.Locker, VariantLocks: variantLocks(a), Span: a.Tracing.SpanFunc(),
	})
	a.Carts.Settings = a.Checkout.CurrentSettings // one read of the rules a second for carts and checkouts
	a.Metrics.MustRegister(metrics.ShopCollector{Carts: a.Carts.Stats, Checkout: a.Checkout.Stats})
	a.Accounts.SetOrderExport(a.Checkout.ExportOrders)
	return nil
}

// inventoryCmd runs `ocean inventory verify`.
func inventoryCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) (err error) {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: ocean inventory verify")
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	drift, n, err := inventory.NewService(db.Commerce()).Verify(ctx)
	if err != nil {
		return err
	}
	return inventory.Report(stdout, drift, n)
}

// variantLocks: a fleet shares its variant locks through Redis; one
// process on PostgreSQL takes them in process, so buyers of a hot variant
// wait before taking a pooled connection, not holding one (decision 0215).
func variantLocks(a *App) bool { return a.Redis != nil || a.DB.Dialect == sqldb.Postgres }
