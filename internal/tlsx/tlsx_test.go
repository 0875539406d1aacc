package tlsx

import (
	"crypto/tls"
	"testing"
	"time"
)

func hardenedServer(t *testing.T) (addr string, ca *testCA, cfg *tls.Config) {
	ca = newTestCA(t)
	c, k := ca.leaf(t, 7, time.Now().Add(time.Hour), "shop.test")
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	cfg = ServerConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &pair, nil })
	return serveTLS(t, cfg), ca, cfg
}

func TestServerConfigRefusesWeakProtocolsAndSuites(t *testing.T) {
	addr, ca, _ := hardenedServer(t)
	base := func() *tls.Config { return &tls.Config{RootCAs: ca.pool, ServerName: "shop.test"} }
	for _, tc := range []struct {
		name string
		mod  func(*tls.Config)
		ok   bool
	}{
		{"TLS 1.3", func(c *tls.Config) {}, true},
		{"TLS 1.2 AES-GCM", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		}, true},
		{"TLS 1.2 ChaCha20", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
		}, true},
		{"TLS 1.2 P-256 only", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CurvePreferences = []tls.CurveID{tls.CurveP256}
		}, true},
		{"TLS 1.1", func(c *tls.Config) { c.MinVersion = tls.VersionTLS10; c.MaxVersion = tls.VersionTLS11 }, false},
		{"TLS 1.2 CBC", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}
		}, false},
		{"TLS 1.2 P-384 only", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CurvePreferences = []tls.CurveID{tls.CurveP384}
		}, false},
	} {
		c := base()
		tc.mod(c)
		conn, err := tls.Dial("tcp", addr, c)
		if err == nil {
			conn.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: handshake error %v, want success %v", tc.name, err, tc.ok)
		}
	}
}

func TestSessionTicketsDieAfterTwoRotations(t *testing.T) {
	addr, ca, cfg := hardenedServer(t)
	keys, err := NewTicketKeys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := &tls.Config{RootCAs: ca.pool, ServerName: "shop.test", ClientSessionCache: tls.NewLRUClientSessionCache(8),
		MaxVersion: tls.VersionTLS12} // TLS 1.2: the ticket arrives within the handshake
	resumed := func() bool {
		c, err := tls.Dial("tcp", addr, client)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().DidResume
	}
	if resumed() {
		t.Fatal("first connection resumed")
	}
	if !resumed() {
		t.Fatal("second connection did not resume: tickets do not work")
	}
	// A fresh client cache for each step: the server re-issues tickets on
	// resumption with the current key.
	client.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	resumed()
	if err := keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	if !resumed() {
		t.Fatal("a ticket from the previous period did not resume")
	}
	client.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	resumed()
	_ = keys.Rotate()
	_ = keys.Rotate()
	if resumed() {
		t.Fatal("a ticket two rotations old still resumed")
	}
}
