package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/certmagic"
)

// LetsEncrypt is the default OCEAN_ACME_DIRECTORY.
const LetsEncrypt = certmagic.LetsEncryptProductionCA

// ACMEOptions configure ACME.
type ACMEOptions struct {
	Domains   []string // names to obtain certificates for (OCEAN_DOMAINS)
	Email     string   // the ACME account's contact (OCEAN_ACME_EMAIL)
	Directory string   // the CA's directory URL (OCEAN_ACME_DIRECTORY)
	// CARoot is a PEM file of roots to trust when talking to the ACME
	// server (OCEAN_ACME_CA_ROOT), for a private CA; empty: the system's.
	CARoot  string
	Storage certmagic.Storage // shared by the fleet (see Storage)
	Log     *slog.Logger
	// HTTPPort and TLSPort are the ports the shop's listeners use, so
	// certmagic knows the challenges are answered there and does not try to
	// listen itself. (The CA always validates on 80 and 443: forward those.)
	HTTPPort, TLSPort int
	// RenewCheckInterval is how often certificates are checked for renewal
	// (0: certmagic's 10 minutes). Tests make it short.
	RenewCheckInterval time.Duration
	// OnEvent, if set, hears certmagic's events (cert_obtaining,
	// cert_obtained, cert_failed, …) after they are logged.
	OnEvent func(event string, data map[string]any)
}

// ACME obtains and renews certificates for the shop's domains from an ACME
// CA with certmagic: HTTP-01 (on the plain-HTTP listener, see PlainHTTP)
// and TLS-ALPN-01 (on the HTTPS listener) challenges, ECDSA P-256 keys,
// renewal when a third of the lifetime is left (or when the CA's ARI
// suggests), OCSP responses stapled and refreshed, failed attempts retried
// with growing pauses (1 min, 2 min, … up to 6 h) for 30 days while the
// current certificate keeps serving. Certificates live in Storage, so in a
// fleet one instance obtains a certificate (under the storage lock) and the
// others load it.
type ACME struct {
	opts   ACMEOptions
	cache  *certmagic.Cache
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer
}

// NewACME configures ACME; Manage starts it.
func NewACME(o ACMEOptions) (*ACME, error) {
	if len(o.Domains) == 0 {
		return nil, errors.New("OCEAN_DOMAINS: no domain to obtain a certificate for")
	}
	if o.Directory == "" {
		o.Directory = LetsEncrypt
	}
	var roots *x509.CertPool
	if o.CARoot != "" {
		pem, err := os.ReadFile(o.CARoot)
		if err != nil {
			return nil, fmt.Errorf("OCEAN_ACME_CA_ROOT: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("OCEAN_ACME_CA_ROOT %s holds no PEM certificate", o.CARoot)
		}
	}
	a := &ACME{opts: o}
	zl := zapLogger(o.Log)
	a.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return a.magic, nil },
		RenewCheckInterval: o.RenewCheckInterval,
		Logger:             zl,
	})
	a.magic = certmagic.New(a.cache, certmagic.Config{
		Storage:   o.Storage,
		Logger:    zl,
		KeySource: certmagic.StandardKeyGenerator{KeyType: certmagic.P256},
		OnEvent: func(_ context.Context, event string, data map[string]any) error {
			if o.OnEvent != nil {
				o.OnEvent(event, data)
			}
			return nil
		},
	})
	a.issuer = certmagic.NewACMEIssuer(a.magic, certmagic.ACMEIssuer{
		CA:             o.Directory,
		Email:          o.Email,
		Agreed:         true,
		TrustedRoots:   roots,
		AltHTTPPort:    o.HTTPPort,
		AltTLSALPNPort: o.TLSPort,
		Logger:         zl,
	})
	a.magic.Issuers = []certmagic.Issuer{a.issuer}
	return a, nil
}

// Manage loads the domains' certificates from storage, or starts obtaining
// them in the background (retrying until it works), and keeps them renewed
// until Stop.
func (a *ACME) Manage(ctx context.Context) error {
	return a.magic.ManageAsync(ctx, a.opts.Domains)
}

// GetCertificate implements tls.Config.GetCertificate, including the
// certificates of TLS-ALPN-01 challenges.
func (a *ACME) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return a.magic.GetCertificate(hello)
}

// TLSConfig is ServerConfig with this manager's certificates and the
// TLS-ALPN-01 protocol.
func (a *ACME) TLSConfig() *tls.Config {
	c := ServerConfig(a.GetCertificate)
	c.NextProtos = append(c.NextProtos, ALPNChallenge)
	return c
}

// HTTPChallenge answers the CA's HTTP-01 requests (also for challenges
// another instance of the fleet started: their tokens are in storage) and
// passes every other request to next.
func (a *ACME) HTTPChallenge(next http.Handler) http.Handler {
	return a.issuer.HTTPChallengeHandler(next)
}

// Stop ends renewals.
func (a *ACME) Stop() { a.cache.Stop() }
