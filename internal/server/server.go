// Package server runs the shop's listeners: plain HTTP and HTTPS (with the
// certificates of a tlsx.Side), the in-place upgrade handover
// (internal/upgrade), and the drain on shutdown: /readyz turns 503, the
// listeners keep serving for a delay, then requests in flight get a bounded
// time to finish.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/tlsx"
	"github.com/oceanshop/ocean/internal/upgrade"
)

// Options are what Run serves and how.
type Options struct {
	HTTPAddr, HTTPSAddr string // either may be "" (that listener is off)
	TrustedProxies      []netip.Prefix
	PIDFile             string        // in-place upgrades on SIGHUP when set (internal/upgrade)
	ShutdownDelay       time.Duration // how long the listeners keep serving once draining
	Handler             http.Handler  // the shop
	// TLS prepares the certificates once the listeners' ports are known
	// (0 for a listener that is off; ACME's challenges need them).
	TLS func(httpPort, tlsPort int) (*tlsx.Side, error)
	// Jobs is the context of the instance's background jobs; StopJobs
	// ends them when a new process takes over.
	Jobs     context.Context
	StopJobs func()
	// Drain makes /readyz answer 503 from now on.
	Drain func()
	// Ready, when set, is called once the listeners serve, with their
	// addresses ("http://localhost:8080", "https://localhost:8443"; "" for
	// a listener that is off).
	Ready func(plain, secure string)
	// Metrics, when set, counts what the listeners see outside requests
	// (failed TLS handshakes).
	Metrics prometheus.Registerer
	Log     *slog.Logger
	Start   time.Time // when the process started, for the "ready_in" of the log
}

// Run serves o.Handler until ctx is cancelled (SIGINT, SIGTERM) or a new
// process took over the sockets, then drains: o.Drain, the listeners keep
// serving for o.ShutdownDelay, then close, and requests in flight get up to
// 15 s to finish.
func Run(ctx context.Context, o Options) error {
	log := o.Log
	type listener struct {
		srv *http.Server
		ln  net.Listener
		tls bool
	}
	var ls []listener
	limits := httpx.DefaultLimits()
	conns := &upgrade.ConnCount{}
	errLog := httpx.ServerErrorLog(log, o.Metrics)
	newServer := func(h http.Handler) *http.Server {
		srv := httpx.NewServer(h, limits, log)
		srv.ErrorLog = errLog
		srv.ConnState = conns.Track
		return srv
	}
	listen := func(addr string) (net.Listener, error) { return httpx.Listen(addr, limits, o.TrustedProxies) }
	upg, err := upgrade.New(o.PIDFile, log)
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
			return httpx.Limit(ln, limits, o.TrustedProxies), nil
		}
	}
	defer func() {
		for _, l := range ls {
			_ = l.ln.Close() // normally closed already by Shutdown
		}
	}()
	var plainLn, tlsLn net.Listener
	if o.HTTPAddr != "" {
		if plainLn, err = listen(o.HTTPAddr); err != nil {
			return fmt.Errorf("OCEAN_HTTP_ADDR %s: %w", o.HTTPAddr, err)
		}
		defer func() { _ = plainLn.Close() }() // normally closed already by Shutdown
	}
	if o.HTTPSAddr != "" {
		if tlsLn, err = listen(o.HTTPSAddr); err != nil {
			return fmt.Errorf("OCEAN_HTTPS_ADDR %s: %w", o.HTTPSAddr, err)
		}
		defer func() { _ = tlsLn.Close() }() // normally closed already by Shutdown
	}
	// Certificates come from OCEAN_TLS; handshakes ask for the current one,
	// so renewals and reloads reach clients without a restart.
	side, err := o.TLS(port(plainLn), port(tlsLn))
	if err != nil {
		return err
	}
	defer side.Stop()
	if plainLn != nil {
		ls = append(ls, listener{srv: newServer(side.Plain(o.Handler)), ln: plainLn})
	}
	if tlsLn != nil {
		srv := newServer(o.Handler)
		srv.TLSConfig = side.Config
		ls = append(ls, listener{srv: srv, ln: tls.NewListener(tlsLn, srv.TLSConfig), tls: true})
	}
	if err := side.Start(o.Jobs, log); err != nil {
		return err
	}
	errc := make(chan error, len(ls))
	var plainURL, secureURL string
	for _, l := range ls {
		if l.tls {
			secureURL = "https://" + display(l.ln.Addr())
			log.Info("listening", append([]any{"url", "https://" + display(l.ln.Addr()), "addr", l.ln.Addr().String()},
				append(side.LogAttrs(), "ready_in", time.Since(o.Start).Round(time.Millisecond))...)...)
		} else {
			plainURL = "http://" + display(l.ln.Addr())
			log.Info("listening", "url", "http://"+display(l.ln.Addr()), "addr", l.ln.Addr().String(),
				"ready_in", time.Since(o.Start).Round(time.Millisecond))
		}
		go func() { errc <- l.srv.Serve(l.ln) }()
	}
	if o.Ready != nil {
		o.Ready(plainURL, secureURL)
	}
	var upgraded <-chan struct{}
	if upg != nil {
		// The previous process (if any) exits once this one is ready.
		if err := upg.Ready(ctx, o.Handler); err != nil {
			return err
		}
		upgraded = upg.Exit()
		go upg.OnHUP(ctx)
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
		o.StopJobs()
		o.Drain()
		for _, l := range ls {
			_ = l.ln.Close() // stop accepting; the new process holds the sockets now
		}
		log.Info("upgrade: the new process is ready and accepts on the sockets; draining this one", "connections", conns.Open())
		conns.WaitClosed(o.ShutdownDelay + time.Second)
		o.ShutdownDelay = 0
	}
	// Drain: /readyz turns 503 at once, and for OCEAN_SHUTDOWN_DELAY the
	// listeners keep serving while load balancers notice and stop sending
	// new requests. Then Shutdown stops accepting and waits for the requests
	// in flight; those still running after shutdownTimeout are cut off.
	o.Drain()
	if failed == nil && o.ShutdownDelay > 0 {
		log.Info("shutting down: /readyz answers 503; serving until the delay ends", "delay", o.ShutdownDelay)
		t := time.NewTimer(o.ShutdownDelay)
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
			upg.RemovePIDFile() // a shutdown, not a handover: the file named this process
		}
	}
	log.Info("stopped")
	return errors.Join(append(errs, failed)...)
}

// shutdownTimeout bounds how long requests in flight may take to finish
// once the listeners close.
const shutdownTimeout = 15 * time.Second

func port(ln net.Listener) int {
	if ln == nil {
		return 0
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

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
