package token

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/oceanshop/ocean/internal/keyfile"
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
	b, err := keyfile.Read(path, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
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
	if err := keyfile.Replace(path, []byte(s.Marshal())); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	return nil
}

// create writes data to path only if path does not exist yet (see
// keyfile.Create).
func create(path string, data []byte) error {
	if err := keyfile.Create(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("token: %w", err)
	}
	return nil
}
