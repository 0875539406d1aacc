package tlsx_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/tlsx"
)

func selfSigned(t *testing.T, cn string, dns []string, notAfter time.Time, withLeaf bool) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
		NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	if withLeaf {
		c.Leaf, _ = x509.ParseCertificate(der)
	}
	return c
}

// TestExpiries: what handshakes serve is recorded by the certificate's own
// name, whatever name the client asked for; a renewal replaces it.
func TestExpiries(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	shop := selfSigned(t, "", []string{"shop.example", "www.shop.example"}, t0, true)
	renewed := selfSigned(t, "", []string{"shop.example"}, t0.AddDate(0, 3, 0), false)
	cnOnly := selfSigned(t, "internal", nil, t0.AddDate(1, 0, 0), false)
	serve := shop
	e := &tlsx.Expiries{}
	get := e.Watch(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return serve, nil })
	for _, sni := range []string{"made-up-1.example", "made-up-2.example", ""} {
		if _, err := get(&tls.ClientHelloInfo{ServerName: sni}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.All(); len(got) != 1 || !got["shop.example"].Equal(t0) {
		t.Fatalf("after three handshakes: %v", got)
	}
	serve = renewed
	_, _ = get(&tls.ClientHelloInfo{})
	e.Record(cnOnly)
	e.Record(nil)
	got := e.All()
	if len(got) != 2 || !got["shop.example"].Equal(t0.AddDate(0, 3, 0)) || !got["internal"].Equal(t0.AddDate(1, 0, 0)) {
		t.Errorf("after a renewal: %v", got)
	}
}

// TestSideRecordsExpiries: a Side given Expiries knows the local
// certificate's not-after before any handshake.
func TestSideRecordsExpiries(t *testing.T) {
	e := &tlsx.Expiries{}
	side, err := tlsx.NewSide(tlsx.SideOptions{Mode: tlsx.ModeLocal, HTTPSAddr: "127.0.0.1:0", PublicURL: "https://localhost:8443",
		DataDir: t.TempDir(), Expiries: e}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	got := e.All()
	if len(got) != 1 || time.Until(got["localhost"]) < 24*time.Hour {
		t.Fatalf("expiries before a handshake: %v", got)
	}
	c, err := side.Config.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if err != nil || c.Leaf == nil || !c.Leaf.NotAfter.Equal(got["localhost"]) {
		t.Errorf("served %v (%v), recorded %v", c, err, got)
	}
}
