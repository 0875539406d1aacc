// Package tlsx is how Ocean terminates TLS itself, the way Caddy does, so an
// owner needs no proxy in front: the hardened server configuration (TLS 1.2
// and 1.3 only, forward-secret AEAD suites, rotated session ticket keys), the
// three certificate sources (the local development CA, certificates from an
// ACME CA kept in the shop's database so a fleet shares them, and a
// certificate/key pair from files reloaded when they change), and the
// plain-HTTP rules (ACME challenges, health checks, redirects, HSTS and
// X-Forwarded-Proto from trusted proxies).
package tlsx

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"log/slog"
	"sync"
	"time"
)

// Modes of OCEAN_TLS.
const (
	ModeLocal = "local" // the local development CA; plain HTTP still serves the shop
	ModeACME  = "acme"  // certificates from an ACME CA (Let's Encrypt by default)
	ModeFiles = "files" // a certificate chain and key from files, reloaded on change
)

// ALPNChallenge is the protocol a TLS-ALPN-01 validation negotiates.
const ALPNChallenge = "acme-tls/1"

// ServerConfig returns the TLS configuration of every HTTPS listener:
// TLS 1.2 and 1.3 only; in TLS 1.2 only ECDHE key exchange with AEAD
// ciphers (AES-GCM, ChaCha20-Poly1305: no CBC, no RSA key exchange, no
// SHA-1 MACs); key exchange groups X25519 (with its post-quantum hybrid
// X25519MLKEM768 first for clients that offer it) and P-256. TLS 1.3's
// suites are all AEAD and not configurable in Go. getCert picks the
// certificate per handshake, so renewals and reloads reach new connections
// without a restart while existing ones carry on.
func ServerConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		GetCertificate: getCert,
		MinVersion:     tls.VersionTLS12,
		MaxVersion:     tls.VersionTLS13,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256},
		NextProtos:       []string{"h2", "http/1.1"},
	}
}

// TicketRotation is how often session ticket keys are replaced. The
// previous key is kept for one more period so tickets issued just before a
// rotation still resume, then forgotten: no ticket (and so no resumed
// session's secrets) outlives two periods, 24 hours. Go's own rotation keeps
// keys for 7 days.
const TicketRotation = 12 * time.Hour

// TicketKeys rotates a tls.Config's session ticket keys.
type TicketKeys struct {
	cfg  *tls.Config
	mu   sync.Mutex
	prev [32]byte
	set  bool
}

// NewTicketKeys gives cfg a fresh random session ticket key (see Rotate).
func NewTicketKeys(cfg *tls.Config) (*TicketKeys, error) {
	k := &TicketKeys{cfg: cfg}
	return k, k.Rotate()
}

// Rotate makes a new key the one that encrypts tickets, keeps the previous
// one to decrypt tickets it issued, and forgets the one before.
func (k *TicketKeys) Rotate() error {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := [][32]byte{key}
	if k.set {
		keys = append(keys, k.prev)
	}
	k.cfg.SetSessionTicketKeys(keys)
	k.prev, k.set = key, true
	return nil
}

// Run rotates the keys every period until ctx ends; a failure is logged
// and the current keys kept until the next period.
func (k *TicketKeys) Run(ctx context.Context, period time.Duration, log *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Rotate(); err != nil {
				log.Error("TLS session ticket key rotation", "err", err)
			}
		}
	}
}
