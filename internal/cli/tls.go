package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/tlsca"
	"github.com/oceanshop/ocean/internal/tlsx"
)

// httpsSide is serve's TLS: the HTTPS listener's configuration and the
// handlers of both listeners, for OCEAN_TLS.
type httpsSide struct {
	mode   string
	config *tls.Config // nil when OCEAN_HTTPS_ADDR is off
	caPath string      // local: the CA file to trust
	acme   *tlsx.ACME
	files  *tlsx.FileSource
	keys   *tlsx.TicketKeys
	// plain wraps the shop's handler for the plain-HTTP listener (the
	// shop's handler itself believes X-Forwarded-Proto from trusted proxies
	// and sends HSTS: see App).
	plain func(http.Handler) http.Handler
}

// newHTTPSSide prepares the certificates for cfg.TLS. httpPort and tlsPort
// are the listeners' ports (0 when one is off), for ACME's challenges.
func newHTTPSSide(cfg config.Config, db *sqldb.DB, log *slog.Logger, httpPort, tlsPort int) (*httpsSide, error) {
	h := &httpsSide{mode: cfg.TLS}
	forwarded := tlsx.Forwarded(cfg.TrustedProxies) // before the plain-HTTP rules, which look at r.TLS
	var getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	var challenge func(http.Handler) http.Handler
	switch cfg.TLS {
	case tlsx.ModeLocal:
		h.plain = func(app http.Handler) http.Handler { return forwarded(tlsx.RequireTLS(cfg.PublicURL)(app)) }
		if cfg.HTTPSAddr == "" {
			return h, nil
		}
		certs, err := tlsca.NewSource(cfg.DataDir, time.Now, func(err error) { log.Error("TLS certificate", "err", err) }, publicHost(cfg)...)
		if err != nil {
			return nil, err
		}
		h.caPath = certs.CAPath()
		if abs, err := filepath.Abs(h.caPath); err == nil {
			h.caPath = abs
		}
		getCert = certs.GetCertificate
	case tlsx.ModeFiles:
		files, err := tlsx.LoadFiles(cfg.TLSCertFile, cfg.TLSKeyFile, time.Now, log)
		if err != nil {
			return nil, err
		}
		h.files, getCert = files, files.GetCertificate
	case tlsx.ModeACME:
		a, err := tlsx.NewACME(tlsx.ACMEOptions{Domains: cfg.Domains, Email: cfg.ACMEEmail, Directory: cfg.ACMEDirectory,
			CARoot: cfg.ACMECARoot, Storage: tlsx.NewStorage(db, time.Now, log), Log: log.With("component", "acme"),
			HTTPPort: httpPort, TLSPort: tlsPort, RenewCheckInterval: cfg.ACMERenewCheck})
		if err != nil {
			return nil, err
		}
		h.acme, getCert, challenge = a, a.GetCertificate, a.HTTPChallenge
	default:
		return nil, fmt.Errorf("OCEAN_TLS=%q is not local, acme or files", cfg.TLS)
	}
	if cfg.TLS != tlsx.ModeLocal {
		h.plain = func(app http.Handler) http.Handler {
			return forwarded(tlsx.PlainHTTP(cfg.PublicURL, app, challenge))
		}
	}
	h.config = tlsx.ServerConfig(getCert)
	if h.acme != nil {
		h.config = h.acme.TLSConfig()
	}
	keys, err := tlsx.NewTicketKeys(h.config)
	if err != nil {
		return nil, err
	}
	h.keys = keys
	return h, nil
}

// start runs what keeps certificates fresh until ctx ends: ticket key
// rotation, the files watcher, ACME management.
func (h *httpsSide) start(ctx context.Context, log *slog.Logger) error {
	if h.keys != nil {
		go h.keys.Run(ctx, tlsx.TicketRotation, log)
	}
	if h.files != nil {
		go h.files.Watch(ctx, tlsx.FileReloadInterval)
	}
	if h.acme != nil {
		return h.acme.Manage(ctx)
	}
	return nil
}

// stop ends ACME renewals.
func (h *httpsSide) stop() {
	if h.acme != nil {
		h.acme.Stop()
	}
}

// logAttrs describe the HTTPS listener in its "listening" line.
func (h *httpsSide) logAttrs() []any {
	switch {
	case h.caPath != "":
		return []any{"tls", h.mode, "ca", h.caPath}
	case h.files != nil:
		return []any{"tls", h.mode, "cert_file", h.files.Current().Leaf.Subject.CommonName, "not_after", h.files.Current().Leaf.NotAfter}
	default:
		return []any{"tls", h.mode}
	}
}

func port(ln net.Listener) int {
	if ln == nil {
		return 0
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// trustCmd is `ocean trust` and `ocean untrust`: the local CA in or out of
// this machine's trust stores.
func trustCmd(cfg config.Config, add bool, stdout io.Writer) error {
	if add { // make the CA if the shop never ran
		if _, _, err := tlsca.Local(cfg.DataDir, time.Now(), publicHost(cfg)...); err != nil {
			return err
		}
	}
	t := &tlsca.Trust{CAPath: filepath.Join(cfg.DataDir, tlsca.CAFile), Out: stdout}
	if add {
		return t.Add()
	}
	return t.Remove()
}

func publicHost(cfg config.Config) []string {
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		return []string{u.Hostname()}
	}
	return nil
}
