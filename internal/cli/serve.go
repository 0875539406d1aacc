package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/httpx"
)

// serve runs the shop until ctx is cancelled (SIGINT, SIGTERM), then drains:
// /readyz answers 503, the listeners keep serving for OCEAN_SHUTDOWN_DELAY,
// then close, and requests in flight get up to 15 s to finish.
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

	type listener struct {
		srv *http.Server
		ln  net.Listener
		tls bool
	}
	var ls []listener
	limits := httpx.DefaultLimits()
	conns := &connCount{}
	newServer := func(h http.Handler) *http.Server {
		srv := httpx.NewServer(h, limits, log)
		srv.ConnState = conns.track
		return srv
	}
	listen := func(addr string) (net.Listener, error) { return httpx.Listen(addr, limits, cfg.TrustedProxies) }
	upg, err := newUpgrader(cfg, log)
	if err != nil {
		return err
	}
	if upg != nil {
		defer upg.Stop()
		listen = func(addr string) (net.Listener, error) {
			ln, err := upg.Listen("tcp", addr) // inherited from the previous process, or new
			if err != nil {
				return nil, err
			}
			return httpx.Limit(ln, limits, cfg.TrustedProxies), nil
		}
	}
	defer func() {
		for _, l := range ls {
			_ = l.ln.Close() // normally closed already by Shutdown
		}
	}()
	var plainLn, tlsLn net.Listener
	if cfg.HTTPAddr != "" {
		if plainLn, err = listen(cfg.HTTPAddr); err != nil {
			return fmt.Errorf("OCEAN_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
		}
		defer func() { _ = plainLn.Close() }() // normally closed already by Shutdown
	}
	if cfg.HTTPSAddr != "" {
		if tlsLn, err = listen(cfg.HTTPSAddr); err != nil {
			return fmt.Errorf("OCEAN_HTTPS_ADDR %s: %w", cfg.HTTPSAddr, err)
		}
		defer func() { _ = tlsLn.Close() }() // normally closed already by Shutdown
	}
	// Certificates come from OCEAN_TLS; handshakes ask for the current one,
	// so renewals and reloads reach clients without a restart.
	side, err := newHTTPSSide(cfg, app.DB, log, port(plainLn), port(tlsLn))
	if err != nil {
		return err
	}
	defer side.stop()
	if plainLn != nil {
		ls = append(ls, listener{srv: newServer(side.plain(app.Handler)), ln: plainLn})
	}
	if tlsLn != nil {
		srv := newServer(app.Handler)
		srv.TLSConfig = side.config
		ls = append(ls, listener{srv: srv, ln: tls.NewListener(tlsLn, srv.TLSConfig), tls: true})
	}
	if err := side.start(jobs, log); err != nil {
		return err
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		if l.tls {
			log.Info("listening", append([]any{"url", "https://" + display(l.ln.Addr()), "addr", l.ln.Addr().String()},
				append(side.logAttrs(), "ready_in", time.Since(start).Round(time.Millisecond))...)...)
		} else {
			log.Info("listening", "url", "http://"+display(l.ln.Addr()), "addr", l.ln.Addr().String(),
				"ready_in", time.Since(start).Round(time.Millisecond))
		}
		go func() { errc <- l.srv.Serve(l.ln) }()
	}
	var upgraded <-chan struct{}
	if upg != nil {
		// The previous process (if any) exits once this one is ready.
		if err := upg.ready(ctx, app); err != nil {
			return err
		}
		upgraded = upg.Exit()
		go upg.onHUP(ctx)
	}
	var failed error
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			failed = err // a listener died: stop the others too
		}
	case <-ctx.Done():
	case <-upgraded:
		// The new process serves the sockets now: stop accepting, let the
		// connections still open finish their request (each answer says
		// Connection: close), then drain as below.
		stopJobs()
		app.Drain()
		for _, l := range ls {
			_ = l.ln.Close() // stop accepting; the new process holds the sockets now
		}
		log.Info("upgrade: the new process is ready and accepts on the sockets; draining this one", "connections", conns.open())
		conns.waitClosed(cfg.ShutdownDelay + time.Second)
		cfg.ShutdownDelay = 0
	}
	// Drain: /readyz turns 503 at once, and for OCEAN_SHUTDOWN_DELAY the
	// listeners keep serving while load balancers notice and stop sending
	// new requests. Then Shutdown stops accepting and waits for the requests
	// in flight; those still running after shutdownTimeout are cut off.
	app.Drain()
	if failed == nil && cfg.ShutdownDelay > 0 {
		log.Info("shutting down: /readyz answers 503; serving until the delay ends", "delay", cfg.ShutdownDelay)
		t := time.NewTimer(cfg.ShutdownDelay)
		select {
		case <-t.C:
		case err := <-errc:
			t.Stop()
			if !errors.Is(err, http.ErrServerClosed) {
				failed = err
			}
		}
	}
	log.Info("shutting down: waiting for requests in flight", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	errs := make([]error, len(ls))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			if err := l.srv.Shutdown(sctx); err != nil {
				log.Warn("requests still running at the shutdown timeout; closing their connections", "addr", l.ln.Addr().String(), "err", err)
				errs[i] = l.srv.Close()
			}
		})
	}
	wg.Wait()
	if upg != nil && upgraded != nil {
		select {
		case <-upgraded:
		default:
			upg.removePIDFile() // a shutdown, not a handover: the file named this process
		}
	}
	log.Info("stopped")
	return errors.Join(append(errs, failed)...)
}

// shutdownTimeout bounds how long requests in flight may take to finish
// once the listeners close.
const shutdownTimeout = 15 * time.Second

// display shows a listen address the way people type it: localhost for the
// wildcard and loopback.
func display(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	ip := net.ParseIP(host)
	if host == "" || (ip != nil && (ip.IsUnspecified() || ip.IsLoopback())) {
		return "localhost:" + port
	}
	return a.String()
}
