package tlsca

import (
	"crypto/x509"
	"os"
	"path/filepath"
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
