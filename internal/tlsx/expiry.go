package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"maps"
	"sync"
	"time"
)

// Expiries remembers when each certificate this instance serves stops
// being valid (its not-after), by the certificate's first DNS name (its
// subject's common name when it has none). A renewed certificate replaces
// the old one under the same name. The names come from the certificates,
// never from what a client asks for, so they are as many as the
// certificates the shop holds.
type Expiries struct {
	mu   sync.Mutex
	m    map[string]time.Time
	last *tls.Certificate
}

// Watch wraps a tls.Config's GetCertificate so every certificate it hands
// out is recorded.
func (e *Expiries) Watch(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, err := get(hello)
		if err == nil {
			e.Record(c)
		}
		return c, err
	}
}

// Record notes c's not-after.
func (e *Expiries) Record(c *tls.Certificate) {
	if c == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c == e.last {
		return // the usual case: the same certificate as the last handshake
	}
	leaf := c.Leaf
	if leaf == nil && len(c.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(c.Certificate[0])
	}
	if leaf == nil {
		return
	}
	name := leaf.Subject.CommonName
	if len(leaf.DNSNames) > 0 {
		name = leaf.DNSNames[0]
	}
	if name == "" {
		name = "unnamed"
	}
	if e.m == nil {
		e.m = map[string]time.Time{}
	}
	e.m[name] = leaf.NotAfter
	e.last = c
}

// All returns the not-after of every certificate recorded, by name.
func (e *Expiries) All() map[string]time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.m)
}
