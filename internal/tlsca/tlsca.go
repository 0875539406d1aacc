// Package tlsca makes HTTPS work out of the box on a laptop: it creates a
// private certificate authority in the data directory once, and from it a
// certificate for localhost that is renewed well before it expires. Trust
// the CA file once (the log says where it is) and the browser is happy.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Files under the data directory.
const (
	CAFile      = "ca.pem"
	caKeyFile   = "ca-key.pem"
	certFile    = "localhost.pem"
	certKeyFile = "localhost-key.pem"
)

const (
	leafLifetime = 90 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
	checkEvery   = time.Hour // how often a running server looks at its certificate's expiry
)

// Source hands the current localhost certificate to TLS handshakes
// (tls.Config.GetCertificate). A server may run for months: at most once an
// hour a handshake checks the certificate, and one with less than 30 days
// left is re-issued from the local CA (and written to the data dir) while
// the server keeps running. If renewal fails the current certificate is
// kept and renewal is tried again an hour later.
type Source struct {
	dir    string
	now    func() time.Time
	issue  func(now time.Time) (tls.Certificate, error)
	onErr  func(error)
	mu     sync.Mutex
	cert   *tls.Certificate
	caPath string
	next   time.Time // the next expiry check
}

// NewSource loads or creates the local CA and certificate in dir. now is
// the clock (time.Now in production); onErr, if not nil, hears about failed
// renewals.
func NewSource(dir string, now func() time.Time, onErr func(error)) (*Source, error) {
	s := &Source{dir: dir, now: now, onErr: onErr}
	s.issue = func(t time.Time) (tls.Certificate, error) {
		cert, _, err := Local(s.dir, t)
		return cert, err
	}
	t := now()
	cert, caPath, err := Local(dir, t)
	if err != nil {
		return nil, err
	}
	s.cert, s.caPath, s.next = &cert, caPath, t.Add(checkEvery)
	return s, nil
}

// CAPath is the file of the CA to trust.
func (s *Source) CAPath() string { return s.caPath }

// GetCertificate implements tls.Config.GetCertificate.
func (s *Source) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Before(s.next) {
		return s.cert, nil
	}
	s.next = now.Add(checkEvery)
	if now.Add(renewBefore).Before(s.cert.Leaf.NotAfter) {
		return s.cert, nil
	}
	cert, err := s.issue(now)
	if err != nil {
		if s.onErr != nil {
			s.onErr(fmt.Errorf("renew the localhost certificate (it expires %s): %w", s.cert.Leaf.NotAfter.Format(time.RFC3339), err))
		}
		return s.cert, nil
	}
	s.cert = &cert
	return s.cert, nil
}

// Local returns a TLS certificate for localhost signed by the data dir's CA,
// creating the CA and the certificate as needed, and the path of the CA file.
func Local(dir string, now time.Time) (tls.Certificate, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", err
	}
	caPath := filepath.Join(dir, CAFile)
	caCert, caKey, err := loadOrCreateCA(dir, now)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("local CA: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, certKeyFile))
	if err == nil && cert.Leaf != nil && now.Add(renewBefore).Before(cert.Leaf.NotAfter) && cert.Leaf.CheckSignatureFrom(caCert) == nil {
		return cert, caPath, nil
	}
	if err := issueLeaf(dir, caCert, caKey, now); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("localhost certificate: %w", err)
	}
	cert, err = tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, certKeyFile))
	return cert, caPath, err
}

func loadOrCreateCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, caKeyFile))
	if err == nil {
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if ok && pair.Leaf != nil && now.Before(pair.Leaf.NotAfter) {
			return pair.Leaf, key, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"Ocean local CA"}, CommonName: "Ocean local CA on " + host},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(filepath.Join(dir, CAFile), filepath.Join(dir, caKeyFile), der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func issueLeaf(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append(names, h)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"Ocean"}, CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePair(filepath.Join(dir, certFile), filepath.Join(dir, certKeyFile), der, key)
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
