package tlsx

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFileSourceReloadsAGoodPairAndKeepsServingOnABadOne(t *testing.T) {
	ca := newTestCA(t)
	certPath, keyPath := pairFiles(t)
	c1, k1 := ca.leaf(t, 1, time.Now().Add(time.Hour), "shop.test")
	writeFile(t, certPath, c1)
	writeFile(t, keyPath, k1)
	log, logs := newLog()
	src, err := LoadFiles(certPath, keyPath, time.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, ServerConfig(src.GetCertificate))
	client := &tls.Config{RootCAs: ca.pool, ServerName: "shop.test"}
	if got := serial(t, addr, client); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	if err := src.Reload(); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("reload of unchanged files: %v, want ErrUnchanged", err)
	}

	// A connection opened before the reload keeps working after it.
	open, err := tls.Dial("tcp", addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()

	c2, k2 := ca.leaf(t, 2, time.Now().Add(2*time.Hour), "shop.test")
	writeFile(t, certPath, c2)
	writeFile(t, keyPath, k2)
	if err := src.Reload(); err != nil {
		t.Fatalf("reload of a good pair: %v", err)
	}
	if got := serial(t, addr, client); got != 2 {
		t.Fatalf("after reload: serial %d, want 2", got)
	}
	echo(t, open)
	if !strings.Contains(logs.String(), "TLS certificate reloaded from files") {
		t.Errorf("no reload log line:\n%s", logs)
	}

	// A certificate whose key does not match: refused, logged, and the
	// previous certificate keeps serving.
	c3, _ := ca.leaf(t, 3, time.Now().Add(3*time.Hour), "shop.test")
	writeFile(t, certPath, c3)
	err = src.Reload()
	if err == nil || !strings.Contains(err.Error(), "OCEAN_TLS_CERT_FILE") {
		t.Fatalf("mismatched pair: %v, want an error naming OCEAN_TLS_CERT_FILE", err)
	}
	if !strings.Contains(logs.String(), "TLS files refused; still serving the previous certificate") {
		t.Errorf("no refusal log line:\n%s", logs)
	}
	if got := serial(t, addr, client); got != 2 {
		t.Fatalf("after a bad pair: serial %d, want still 2", got)
	}
	// Refused content is not logged again at every look.
	n := strings.Count(logs.String(), "refused")
	_ = src.Reload()
	if strings.Count(logs.String(), "refused") != n {
		t.Error("the same bad pair was logged twice")
	}

	// Garbage, then an expired certificate: refused too.
	writeFile(t, certPath, []byte("not a certificate"))
	if src.Reload() == nil {
		t.Fatal("garbage accepted")
	}
	c4, k4 := ca.leaf(t, 4, time.Now().Add(-time.Minute), "shop.test")
	writeFile(t, certPath, c4)
	writeFile(t, keyPath, k4)
	if err := src.Reload(); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired certificate: %v", err)
	}
	if got := serial(t, addr, client); got != 2 {
		t.Fatalf("serial %d, want still 2", got)
	}

	// The key arrives after its certificate (two writes): the complete pair
	// is taken.
	c5, k5 := ca.leaf(t, 5, time.Now().Add(4*time.Hour), "shop.test")
	writeFile(t, certPath, c5)
	if src.Reload() == nil {
		t.Fatal("half-written pair accepted")
	}
	writeFile(t, keyPath, k5)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := serial(t, addr, client); got != 5 {
		t.Fatalf("serial %d, want 5", got)
	}
	if src.Reloads() != 2 {
		t.Errorf("reloads %d, want 2", src.Reloads())
	}
}

func echo(t *testing.T, c *tls.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatalf("open connection broken: %v", err)
	}
	b := make([]byte, 4)
	if _, err := c.Read(b); err != nil || string(b) != "ping" {
		t.Fatalf("open connection broken: %q %v", b, err)
	}
}

func TestFileSourceWatchPicksUpNewFiles(t *testing.T) {
	ca := newTestCA(t)
	certPath, keyPath := pairFiles(t)
	c1, k1 := ca.leaf(t, 1, time.Now().Add(time.Hour), "shop.test")
	writeFile(t, certPath, c1)
	writeFile(t, keyPath, k1)
	src, err := LoadFiles(certPath, keyPath, time.Now, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	go src.Watch(ctx, 10*time.Millisecond)
	c2, k2 := ca.leaf(t, 2, time.Now().Add(time.Hour), "shop.test")
	writeFile(t, keyPath, k2)
	writeFile(t, certPath, c2)
	for testSerial(src.Current().Leaf) != 2 {
		select {
		case <-ctx.Done():
			t.Fatal("test ended before the new files were picked up")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestLoadFilesRefusesABadPairAtStart(t *testing.T) {
	ca := newTestCA(t)
	certPath, keyPath := pairFiles(t)
	if _, err := LoadFiles(certPath, keyPath, time.Now, discardLog()); err == nil || !strings.Contains(err.Error(), "OCEAN_TLS_CERT_FILE") {
		t.Fatalf("missing files: %v", err)
	}
	c1, _ := ca.leaf(t, 1, time.Now().Add(time.Hour), "shop.test")
	_, k2 := ca.leaf(t, 2, time.Now().Add(time.Hour), "shop.test")
	writeFile(t, certPath, c1)
	if _, err := LoadFiles(certPath, keyPath, time.Now, discardLog()); err == nil || !strings.Contains(err.Error(), "OCEAN_TLS_KEY_FILE") {
		t.Fatalf("missing key: %v", err)
	}
	writeFile(t, keyPath, k2)
	if _, err := LoadFiles(certPath, keyPath, time.Now, discardLog()); err == nil || !strings.Contains(err.Error(), "not a certificate chain and its key") {
		t.Fatalf("mismatched pair: %v", err)
	}
}
