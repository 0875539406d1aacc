// Package tlsca makes HTTPS work out of the box on a laptop: it creates a
// private certificate authority in the data directory once, and from it a
// certificate for localhost that is renewed well before it expires. Trust
// the CA file once (`ocean trust`, or by hand: the log says where it is) and
// the browser is happy.
//
// A CA in a trust store can vouch for any name, so this one is limited: it
// lives a year (a new one is made when less than 30 days are left, and must
// be trusted again), and it carries critical name constraints that allow
// only localhost (and *.localhost), the loopback addresses, this machine's
// host name and the hosts the shop is configured with. A certificate for
// any other name that its key might sign is refused by clients that enforce
// constraints (all current browsers and Go).
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
	"slices"
	"strings"
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
	caLifetime   = 365 * 24 * time.Hour
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
// hosts are the names (or addresses) the shop is reached by besides
// localhost and loopback (OCEAN_PUBLIC_URL's host).
func NewSource(dir string, now func() time.Time, onErr func(error), hosts ...string) (*Source, error) {
	s := &Source{dir: dir, now: now, onErr: onErr}
	s.issue = func(t time.Time) (tls.Certificate, error) {
		cert, _, err := Local(s.dir, t, hosts...)
		return cert, err
	}
	t := now()
	cert, caPath, err := Local(dir, t, hosts...)
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

// names are what the local certificate covers: localhost, this machine's
// host name and the configured hosts (DNS names), and the loopback
// addresses and configured IP hosts.
type names struct {
	dns []string
	ips []net.IP
}

func namesFor(hosts []string) names {
	n := names{dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}}
	if h, err := os.Hostname(); err == nil {
		hosts = append([]string{h}, hosts...)
	}
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(n.ips, ip.Equal) && !ip.IsLoopback() {
				n.ips = append(n.ips, ip)
			}
			continue
		}
		if !slices.Contains(n.dns, h) && !dnsCovered(h, []string{"localhost"}) {
			n.dns = append(n.dns, h)
		}
	}
	return n
}

// dnsCovered reports whether name is one of domains or below one (the
// matching rule of name constraints).
func dnsCovered(name string, domains []string) bool {
	for _, d := range domains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// covers reports whether the CA's constraints allow every name.
func (n names) coveredBy(ca *x509.Certificate) bool {
	if !ca.PermittedDNSDomainsCritical || len(ca.PermittedDNSDomains) == 0 {
		return false // an unconstrained CA from an older version
	}
	for _, d := range n.dns {
		if !dnsCovered(d, ca.PermittedDNSDomains) {
			return false
		}
	}
	for _, ip := range n.ips {
		if !slices.ContainsFunc(ca.PermittedIPRanges, func(r *net.IPNet) bool { return r.Contains(ip) }) {
			return false
		}
	}
	return true
}

// inLeaf reports whether the certificate names all of n.
func (n names) inLeaf(c *x509.Certificate) bool {
	for _, d := range n.dns {
		if !slices.Contains(c.DNSNames, d) {
			return false
		}
	}
	for _, ip := range n.ips {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// Local returns a TLS certificate for localhost (and hosts, see NewSource)
// signed by the data dir's CA, creating the CA and the certificate as
// needed, and the path of the CA file.
func Local(dir string, now time.Time, hosts ...string) (tls.Certificate, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", err
	}
	n := namesFor(hosts)
	caPath := filepath.Join(dir, CAFile)
	caCert, caKey, err := loadOrCreateCA(dir, now, n)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("local CA: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, certKeyFile))
	if err == nil && cert.Leaf != nil && now.Add(renewBefore).Before(cert.Leaf.NotAfter) && cert.Leaf.CheckSignatureFrom(caCert) == nil && n.inLeaf(cert.Leaf) {
		return cert, caPath, nil
	}
	if err := issueLeaf(dir, caCert, caKey, now, n); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("localhost certificate: %w", err)
	}
	cert, err = tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, certKeyFile))
	return cert, caPath, err
}

// loadOrCreateCA returns the data dir's CA, or makes a new one when there
// is none, it has less than 30 days left, or its constraints do not allow
// all of n (the configured hosts changed, or it comes from a version
// without constraints). A new CA has to be trusted again (`ocean trust`).
func loadOrCreateCA(dir string, now time.Time, n names) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CAFile), filepath.Join(dir, caKeyFile))
	if err == nil {
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if ok && pair.Leaf != nil && now.Add(renewBefore).Before(pair.Leaf.NotAfter) && n.coveredBy(pair.Leaf) {
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
	var ranges []*net.IPNet
	for _, ip := range n.ips {
		bits := 8 * len(ip)
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		if ip.Equal(net.IPv4(127, 0, 0, 1)) {
			ranges = append(ranges, &net.IPNet{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)})
			continue
		}
		ranges = append(ranges, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	tmpl := &x509.Certificate{
		SerialNumber:                serial(),
		Subject:                     pkix.Name{Organization: []string{"Ocean local CA"}, CommonName: "Ocean local CA on " + host + " " + now.UTC().Format("2006-01-02")},
		NotBefore:                   now.Add(-time.Hour),
		NotAfter:                    now.Add(caLifetime),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         n.dns,
		PermittedIPRanges:           ranges,
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

func issueLeaf(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, n names) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	notAfter := now.Add(leafLifetime)
	if ca.NotAfter.Before(notAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"Ocean"}, CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     n.dns,
		IPAddresses:  n.ips,
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
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644) //nolint:gosec // a certificate is public: browsers and tools of other users read it
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
