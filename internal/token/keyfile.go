package token

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFileSize bounds what Load reads: thousands of keys, far more than
// anyone keeps.
const maxKeyFileSize = 64 << 10

// Load reads the signing keys at path (the ParseSigner format) for issuer
// and audience. The file must be a regular file that neither group nor
// others may access (mode 0600 or 0400); anything looser is refused, since
// whoever reads it can sign in as anybody. The permission check is skipped
// on Windows, which has no such modes.
func Load(issuer, audience, path string) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("token: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("token: key file %s has mode %04o, so other users can read or change it; make it private with: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("token: read %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("token: key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	s, err := ParseSigner(issuer, audience, string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}

// LoadOrCreate loads the signing keys at path as Load does. If the file does
// not exist, it creates it (and its directory, mode 0700) with one fresh key
// "k1", mode 0600. The file appears complete or not at all, and of two
// processes starting at once the one that loses the race loads the
// winner's file, so both sign with the same key.
func LoadOrCreate(issuer, audience, path string) (*Signer, error) {
	s, err := Load(issuer, audience, path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	k, err := GenerateKey("k1")
	if err != nil {
		return nil, err
	}
	s, err = NewSigner(issuer, audience, []Key{k}, k.ID)
	if err != nil {
		return nil, err
	}
	if err := create(path, []byte(s.Marshal())); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Load(issuer, audience, path)
		}
		return nil, err
	}
	return s, nil
}

// Save writes the keys to path atomically with mode 0600: a private
// temporary file in the same directory, synced, then renamed over path.
// Readers see the old file or the new one, never a mix. Call it after
// Rotate or Retire.
func (s *Signer) Save(path string) error {
	if len(s.snapshot()) == 0 {
		return errNoSigner
	}
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, []byte(s.Marshal()))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("token: %w", err)
	}
	syncDir(dir)
	return nil
}

// create writes data to path only if path does not exist yet, returning an
// error satisfying errors.Is(err, fs.ErrExist) if it does. The data goes to
// a private temporary file first, which is then hard-linked into place
// (atomic, and failing if path exists); where the file system has no hard
// links it falls back to an exclusive create.
func create(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if err == nil {
		syncDir(dir)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err // fs.ErrExist when another process won the race
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return fmt.Errorf("token: write %s: %w", path, werr)
	}
	syncDir(dir)
	return nil
}

// writeTemp writes data to a new file of mode 0600 in dir, synced, and
// returns its name.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".signing-keys-*.tmp")
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("token: write %s: %w", name, err)
	}
	return name, nil
}

// syncDir makes a rename or link in dir durable. Best effort: some systems
// cannot sync a directory, and the data itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
