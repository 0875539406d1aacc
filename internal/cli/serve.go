package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/metrics"
	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/server"
	"github.com/oceanshop/ocean/internal/tlsca"
	"github.com/oceanshop/ocean/internal/tlsx"
)

// serve runs the shop until ctx is cancelled (SIGINT, SIGTERM), then drains
// (internal/server): /readyz answers 503, the listeners keep serving for
// OCEAN_SHUTDOWN_DELAY, then close, and requests in flight get up to 15 s
// to finish.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	start := time.Now()
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := app.Close(); err != nil {
			log.Warn("closing the database and Redis clients", "err", err)
		}
	}()
	jobs, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	go app.Checkout.RunReconciler(jobs, checkout.ReconcileInterval(cfg.ReservationTTL))
	go app.RunBackups(jobs, cfg, log)
	if cfg.DebugAddr != "" {
		if err := observe.ServeDebug(jobs, cfg.DebugAddr, log); err != nil {
			return fmt.Errorf("OCEAN_DEBUG_ADDR: %w", err)
		}
	}
	// Certificates come from OCEAN_TLS; handshakes ask for the current one,
	// so renewals and reloads reach clients without a restart.
	expiries := &tlsx.Expiries{}
	app.Metrics.MustRegister(metrics.CertCollector{Expiries: expiries.All})
	https := func(httpPort, tlsPort int) (*tlsx.Side, error) {
		return tlsx.NewSide(tlsx.SideOptions{Mode: cfg.TLS, HTTPSAddr: cfg.HTTPSAddr, PublicURL: cfg.PublicURL,
			TrustedProxies: cfg.TrustedProxies, DataDir: cfg.DataDir, CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile,
			Domains: cfg.Domains, ACMEEmail: cfg.ACMEEmail, ACMEDirectory: cfg.ACMEDirectory, ACMECARoot: cfg.ACMECARoot,
			ACMERenewCheck: cfg.ACMERenewCheck, DB: app.DB, HTTPPort: httpPort, HTTPSPort: tlsPort, Expiries: expiries}, log)
	}
	return server.Run(ctx, server.Options{HTTPAddr: cfg.HTTPAddr, HTTPSAddr: cfg.HTTPSAddr, TrustedProxies: cfg.TrustedProxies,
		PIDFile: cfg.PIDFile, ShutdownDelay: cfg.ShutdownDelay, Handler: app.Handler, TLS: https,
		Jobs: jobs, StopJobs: stopJobs, Drain: app.Drain, Metrics: app.Metrics, Log: log, Start: start,
		Ready: func(plain, secure string) {
			if app.Welcome == nil {
				return
			}
			// The first start: what to do next, once, where a person reads.
			w := *app.Welcome
			w.Plain, w.Secure, w.Sandbox, w.Mailbox = plain, secure, app.Sandbox != nil, app.Mailbox != nil
			if cfg.TLS == tlsx.ModeLocal && secure != "" {
				w.CAFile = filepath.Join(cfg.DataDir, tlsca.CAFile)
			}
			w.Write(os.Stderr)
		}})
}
