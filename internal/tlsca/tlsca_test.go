package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLocalCertificateIsTrustedByItsCA(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cert, caPath, err := Local(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	b, err := os.ReadFile(caPath)
	if err != nil || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("read CA: %v", err)
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, caKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode = %v", fi.Mode().Perm())
	}
	// A second start reuses the certificate; one close to expiry is renewed
	// by the same CA.
	again, _, err := Local(dir, now)
	if err != nil || again.Leaf.SerialNumber.Cmp(cert.Leaf.SerialNumber) != 0 {
		t.Fatalf("certificate not reused: %v", err)
	}
	later := now.Add(leafLifetime - renewBefore + time.Hour)
	renewed, _, err := Local(dir, later)
	if err != nil || renewed.Leaf.SerialNumber.Cmp(cert.Leaf.SerialNumber) == 0 {
		t.Fatalf("certificate not renewed: %v", err)
	}
	if _, err := renewed.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: later}); err != nil {
		t.Fatalf("renewed certificate not signed by the same CA: %v", err)
	}
}

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestRunningServerRenewsItsCertificate: a server that runs for months
// hands out a renewed certificate, signed by the same CA, once the one it
// started with has less than 30 days left, without a restart.
func TestRunningServerRenewsItsCertificate(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{time.Now()}
	src, err := NewSource(dir, clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	b, err := os.ReadFile(src.CAPath())
	if err != nil || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("read CA: %v", err)
	}
	first, _ := src.GetCertificate(nil)
	// Two months on, 31 days left: still the same certificate.
	clk.t = first.Leaf.NotAfter.Add(-renewBefore - 24*time.Hour)
	if c, _ := src.GetCertificate(nil); c.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) != 0 {
		t.Fatal("certificate renewed with more than 30 days left")
	}
	// Two days later, 29 days left: a new one, trusted through the same CA.
	clk.t = clk.t.Add(48 * time.Hour)
	renewed, _ := src.GetCertificate(nil)
	if renewed.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0 {
		t.Fatal("certificate with 29 days left not renewed")
	}
	if _, err := renewed.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: clk.t}); err != nil {
		t.Fatalf("renewed certificate not signed by the same CA: %v", err)
	}
	if !renewed.Leaf.NotAfter.After(clk.t.Add(renewBefore)) {
		t.Fatalf("renewed certificate expires %v", renewed.Leaf.NotAfter)
	}
	// The next handshakes get the renewed one, and so does a restart.
	if c, _ := src.GetCertificate(nil); c != renewed {
		t.Fatal("renewed certificate not kept")
	}
	clk.t = clk.t.Add(2 * time.Hour)
	if c, _ := src.GetCertificate(nil); c.Leaf.SerialNumber.Cmp(renewed.Leaf.SerialNumber) != 0 {
		t.Fatal("certificate renewed again")
	}
	restarted, _, err := Local(dir, clk.t)
	if err != nil || restarted.Leaf.SerialNumber.Cmp(renewed.Leaf.SerialNumber) != 0 {
		t.Fatalf("a restart does not find the renewed certificate: %v", err)
	}
}

// TestRenewalIsCheckedAtMostHourly: handshakes arrive all the time; the
// expiry is looked at no more than once an hour, so a renewal that fails
// (a read-only data dir, say) is retried hourly, not on every handshake,
// and the server keeps its current certificate meanwhile.
func TestRenewalIsCheckedAtMostHourly(t *testing.T) {
	clk := &clock{time.Now()}
	src, err := NewSource(t.TempDir(), clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	start, _ := src.GetCertificate(nil)
	var attempts int
	var reported []error
	src.onErr = func(err error) { reported = append(reported, err) }
	src.issue = func(time.Time) (tls.Certificate, error) {
		attempts++
		return tls.Certificate{}, errors.New("read-only file system")
	}
	clk.t = start.Leaf.NotAfter.Add(-time.Hour) // about to expire
	for range 100 {
		if c, err := src.GetCertificate(nil); err != nil || c != start {
			t.Fatalf("a failed renewal lost the current certificate: %v", err)
		}
		clk.t = clk.t.Add(time.Second)
	}
	if attempts != 1 || len(reported) != 1 {
		t.Fatalf("100 handshakes within a minute tried renewal %d times (reported %d); want once", attempts, len(reported))
	}
	clk.t = clk.t.Add(time.Hour)
	src.GetCertificate(nil)
	if attempts != 2 {
		t.Fatalf("an hour later: %d attempts; want a second one", attempts)
	}
}

// TestCAIsNameConstrainedAndShortLived: the CA can only vouch for
// localhost, loopback, this machine and the configured hosts; a certificate
// its key signs for any other name is refused by verifiers.
func TestCAIsNameConstrainedAndShortLived(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cert, caPath, err := Local(dir, now, "shop.example", "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(caPath)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	ca, caKey, err := loadOrCreateCA(dir, now, namesFor([]string{"shop.example", "192.0.2.7"}))
	if err != nil {
		t.Fatal(err)
	}
	if life := ca.NotAfter.Sub(ca.NotBefore); life > 366*24*time.Hour {
		t.Errorf("CA lives %s, want at most a year", life)
	}
	if !ca.PermittedDNSDomainsCritical {
		t.Error("name constraints are not critical")
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "shop.example", "192.0.2.7"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The CA's key signing for a bank: refused by the constraints.
	for _, tc := range []struct {
		dns string
		ip  net.IP
	}{{"bank.example", nil}, {"shop.example.evil.test", nil}, {"", net.IPv4(10, 0, 0, 1)}} {
		n := names{}
		if tc.dns != "" {
			n.dns = []string{tc.dns}
		} else {
			n.ips = []net.IP{tc.ip}
		}
		other := t.TempDir()
		if err := issueLeaf(other, ca, caKey, now, n); err != nil {
			t.Fatal(err)
		}
		forged, err := tls.LoadX509KeyPair(filepath.Join(other, certFile), filepath.Join(other, certKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		name := tc.dns
		if name == "" {
			name = tc.ip.String()
		}
		var cie x509.CertificateInvalidError
		if _, err := forged.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); !errors.As(err, &cie) || cie.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("certificate for %s from the local CA: %v, want refused by the name constraints", name, err)
		}
	}
}

// TestCAIsReplacedWhenItCannotCoverTheHosts: a CA from an older version
// (10 years, no constraints) or one whose constraints do not cover a newly
// configured host is replaced, and so is the certificate.
func TestCAIsReplacedWhenItCannotCoverTheHosts(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first, caPath, err := Local(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(caPath)
	again, _, _ := Local(dir, now)
	if b, _ := os.ReadFile(caPath); string(b) != string(b1) || again.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) != 0 {
		t.Fatal("CA or certificate replaced without a reason")
	}
	withHost, _, err := Local(dir, now, "shop.example")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(caPath)
	if string(b2) == string(b1) || !slices.Contains(withHost.Leaf.DNSNames, "shop.example") {
		t.Fatal("a new host did not get a new CA and certificate")
	}
	// Close to its end the CA is replaced.
	late := now.Add(caLifetime - renewBefore + time.Hour)
	renewed, _, err := Local(dir, late, "shop.example")
	if err != nil {
		t.Fatal(err)
	}
	b3, _ := os.ReadFile(caPath)
	if string(b3) == string(b2) {
		t.Fatal("a CA with less than 30 days left was kept")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b3)
	if _, err := renewed.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "shop.example", CurrentTime: late}); err != nil {
		t.Fatal(err)
	}

	// An unconstrained CA as older versions made it.
	old := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "old"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(10 * 365 * 24 * time.Hour), KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err := writePair(filepath.Join(old, CAFile), filepath.Join(old, caKeyFile), der, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Local(old, now); err != nil {
		t.Fatal(err)
	}
	ca, _, _ := loadOrCreateCA(old, now, namesFor(nil))
	if ca.Subject.CommonName == "old" || !ca.PermittedDNSDomainsCritical {
		t.Fatal("the unconstrained 10-year CA was kept")
	}
}
