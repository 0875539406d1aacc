package tlsx

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// FileReloadInterval is how often a FileSource looks at its files.
const FileReloadInterval = 5 * time.Second

// FileSource serves a certificate chain and key from two PEM files
// (OCEAN_TLS_CERT_FILE, OCEAN_TLS_KEY_FILE) and picks up new ones without a
// restart: Watch reads the files every few seconds and, when their content
// changed, checks the new pair and switches to it. New handshakes get the
// new certificate; connections already open keep theirs. A pair that does
// not load (unreadable, not PEM, the key not matching the certificate,
// expired) is refused with a log line naming the files, and the previous
// certificate keeps serving. A certificate renewed by another program
// usually arrives as two writes: the half-written state in between is
// refused, and the next look finds the complete pair.
type FileSource struct {
	certPath, keyPath string
	log               *slog.Logger
	now               func() time.Time

	cur     atomic.Pointer[tls.Certificate]
	mu      sync.Mutex // serialises Reload
	seen    [32]byte   // hash of the content last loaded or refused
	readErr string     // the last read error logged, so a missing file is logged once
	reloads atomic.Int64
}

// LoadFiles reads the pair once; a bad pair at start is an error (the shop
// has nothing to serve yet). now is the clock (time.Now).
func LoadFiles(certPath, keyPath string, now func() time.Time, log *slog.Logger) (*FileSource, error) {
	f := &FileSource{certPath: certPath, keyPath: keyPath, log: log, now: now}
	certPEM, keyPEM, sum, err := f.read()
	if err != nil {
		return nil, err
	}
	cert, err := f.check(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	f.cur.Store(cert)
	f.seen = sum
	return f, nil
}

func (f *FileSource) read() (certPEM, keyPEM []byte, sum [32]byte, err error) {
	certPEM, err = os.ReadFile(f.certPath)
	if err != nil {
		return nil, nil, sum, fmt.Errorf("OCEAN_TLS_CERT_FILE: %w", err)
	}
	keyPEM, err = os.ReadFile(f.keyPath)
	if err != nil {
		return nil, nil, sum, fmt.Errorf("OCEAN_TLS_KEY_FILE: %w", err)
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	copy(sum[:], h.Sum(nil))
	return certPEM, keyPEM, sum, nil
}

func (f *FileSource) check(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("OCEAN_TLS_CERT_FILE %s and OCEAN_TLS_KEY_FILE %s are not a certificate chain and its key: %w", f.certPath, f.keyPath, err)
	}
	if cert.Leaf == nil {
		return nil, fmt.Errorf("OCEAN_TLS_CERT_FILE %s: the certificate does not parse", f.certPath)
	}
	if now := f.now(); now.After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("OCEAN_TLS_CERT_FILE %s: the certificate expired on %s", f.certPath, cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &cert, nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (f *FileSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cur.Load(), nil
}

// Current is the certificate new handshakes get.
func (f *FileSource) Current() *tls.Certificate { return f.cur.Load() }

// ErrUnchanged is what Reload returns when the files hold what it saw last.
var ErrUnchanged = errors.New("unchanged")

// Reload reads the files and switches to their pair if it changed and is
// good. It returns nil after a switch, ErrUnchanged when there was nothing
// new, or why the new pair was refused (logged once per content; the
// previous certificate keeps serving).
func (f *FileSource) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	certPEM, keyPEM, sum, err := f.read()
	if err != nil {
		if err.Error() != f.readErr {
			f.readErr = err.Error()
			f.log.Error("TLS files unreadable; still serving the previous certificate", "err", err,
				"serving_until", f.cur.Load().Leaf.NotAfter)
		}
		return err
	}
	f.readErr = ""
	if sum == f.seen {
		return ErrUnchanged
	}
	f.seen = sum
	cert, err := f.check(certPEM, keyPEM)
	if err != nil {
		f.log.Error("TLS files refused; still serving the previous certificate", "err", err,
			"serving_until", f.cur.Load().Leaf.NotAfter)
		return err
	}
	f.cur.Store(cert)
	f.reloads.Add(1)
	f.log.Info("TLS certificate reloaded from files", "cert_file", f.certPath, "subject", cert.Leaf.Subject.String(),
		"names", cert.Leaf.DNSNames, "not_after", cert.Leaf.NotAfter)
	return nil
}

// Reloads counts the certificates switched to since start.
func (f *FileSource) Reloads() int64 { return f.reloads.Load() }

// Watch calls Reload every interval until ctx ends.
func (f *FileSource) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = f.Reload()
		}
	}
}
