package tlsx

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"time"

	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/tlsca"
)

// SideOptions are the settings a Side is made from (OCEAN_TLS and the
// settings of its mode).
type SideOptions struct {
	Mode           string // ModeLocal, ModeFiles or ModeACME
	HTTPSAddr      string // "" when the HTTPS listener is off
	PublicURL      string
	TrustedProxies []netip.Prefix
	DataDir        string // ModeLocal: where the development CA lives
	// ModeFiles.
	CertFile, KeyFile string
	// ModeACME.
	Domains             []string
	ACMEEmail           string
	ACMEDirectory       string
	ACMECARoot          string
	ACMERenewCheck      time.Duration
	DB                  *sqldb.DB // ACME certificates are kept in the shop's database
	HTTPPort, HTTPSPort int       // the listeners' ports (0 when one is off), for ACME's challenges
	// Expiries, when set, records the not-after of every certificate the
	// HTTPS listener serves (local and file certificates from the start,
	// ACME ones from their first handshake).
	Expiries *Expiries
}

// Side is a server's TLS for one mode: the HTTPS listener's configuration
// and the handler of the plain-HTTP listener.
type Side struct {
	mode string
	// Config is the HTTPS listener's configuration, nil when
	// SideOptions.HTTPSAddr is empty.
	Config *tls.Config
	caPath string // local: the CA file to trust
	acme   *ACME
	files  *FileSource
	keys   *TicketKeys
	// Plain wraps the shop's handler for the plain-HTTP listener (the
	// shop's handler itself believes X-Forwarded-Proto from trusted proxies
	// and sends HSTS).
	Plain func(http.Handler) http.Handler
}

// NewSide prepares the certificates for o.Mode. Handshakes ask for the
// current certificate, so renewals and reloads reach clients without a
// restart.
func NewSide(o SideOptions, log *slog.Logger) (*Side, error) {
	h := &Side{mode: o.Mode}
	forwarded := Forwarded(o.TrustedProxies) // before the plain-HTTP rules, which look at r.TLS
	var getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	var challenge func(http.Handler) http.Handler
	switch o.Mode {
	case ModeLocal:
		h.Plain = func(app http.Handler) http.Handler { return forwarded(RequireTLS(o.PublicURL)(app)) }
		if o.HTTPSAddr == "" {
			return h, nil
		}
		certs, err := tlsca.NewSource(o.DataDir, time.Now, func(err error) { log.Error("TLS certificate", "err", err) }, PublicHost(o.PublicURL)...)
		if err != nil {
			return nil, err
		}
		h.caPath = certs.CAPath()
		if abs, err := filepath.Abs(h.caPath); err == nil {
			h.caPath = abs
		}
		getCert = certs.GetCertificate
	case ModeFiles:
		files, err := LoadFiles(o.CertFile, o.KeyFile, time.Now, log)
		if err != nil {
			return nil, err
		}
		h.files, getCert = files, files.GetCertificate
	case ModeACME:
		a, err := NewACME(ACMEOptions{Domains: o.Domains, Email: o.ACMEEmail, Directory: o.ACMEDirectory,
			CARoot: o.ACMECARoot, Storage: NewStorage(o.DB, time.Now, log), Log: log.With("component", "acme"),
			HTTPPort: o.HTTPPort, TLSPort: o.HTTPSPort, RenewCheckInterval: o.ACMERenewCheck})
		if err != nil {
			return nil, err
		}
		h.acme, getCert, challenge = a, a.GetCertificate, a.HTTPChallenge
	default:
		return nil, fmt.Errorf("OCEAN_TLS=%q is not local, acme or files", o.Mode)
	}
	if o.Mode != ModeLocal {
		h.Plain = func(app http.Handler) http.Handler {
			return forwarded(PlainHTTP(o.PublicURL, app, challenge))
		}
	}
	h.Config = ServerConfig(getCert)
	if h.acme != nil {
		h.Config = h.acme.TLSConfig()
	}
	if o.Expiries != nil {
		h.Config.GetCertificate = o.Expiries.Watch(h.Config.GetCertificate)
		if h.acme == nil { // known now; asking ACME could start an issuance
			_, _ = h.Config.GetCertificate(&tls.ClientHelloInfo{})
		}
	}
	keys, err := NewTicketKeys(h.Config)
	if err != nil {
		return nil, err
	}
	h.keys = keys
	return h, nil
}

// Start runs what keeps certificates fresh until ctx ends: ticket key
// rotation, the files watcher, ACME management.
func (h *Side) Start(ctx context.Context, log *slog.Logger) error {
	if h.keys != nil {
		go h.keys.Run(ctx, TicketRotation, log)
	}
	if h.files != nil {
		go h.files.Watch(ctx, FileReloadInterval)
	}
	if h.acme != nil {
		return h.acme.Manage(ctx)
	}
	return nil
}

// Stop ends ACME renewals.
func (h *Side) Stop() {
	if h.acme != nil {
		h.acme.Stop()
	}
}

// LogAttrs describe the HTTPS listener in its "listening" line.
func (h *Side) LogAttrs() []any {
	switch {
	case h.caPath != "":
		return []any{"tls", h.mode, "ca", h.caPath}
	case h.files != nil:
		return []any{"tls", h.mode, "cert_file", h.files.Current().Leaf.Subject.CommonName, "not_after", h.files.Current().Leaf.NotAfter}
	default:
		return []any{"tls", h.mode}
	}
}

// PublicHost is the host name of publicURL, for the local CA's
// certificates (none when it has no host).
func PublicHost(publicURL string) []string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		return []string{u.Hostname()}
	}
	return nil
}
