// Package keyfile reads and writes the small private files that hold key
// material (encryption keys, token signing keys) in the data directory:
// regular files of mode 0600, written atomically, refused when other users
// could read them.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Read returns the content of the key file at path, at most max bytes. The
// file must be a regular file that neither group nor others may access
// (mode 0600 or 0400): whoever reads a key file holds the keys. The mode
// check is skipped on Windows, which has no such modes. A missing file is
// an error satisfying errors.Is(err, fs.ErrNotExist).
func Read(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // opened for reading: closing loses nothing
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("key file %s has mode %04o, so other users can read or change it; make it private with: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("key file %s is larger than %d bytes", path, max)
	}
	return b, nil
}

// Create writes data to path with mode 0600 only if path does not exist
// yet; otherwise the error satisfies errors.Is(err, fs.ErrExist), so of two
// processes starting at once exactly one creates the file. The data goes to
// a private temporary file first, hard-linked into place (atomic, and
// failing if path exists); where the file system has no hard links it falls
// back to an exclusive create.
func Create(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }() // best effort: the link below is what matters
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
		_ = os.Remove(path) // best effort: werr is the error to report
		return fmt.Errorf("write %s: %w", path, werr)
	}
	syncDir(dir)
	return nil
}

// Replace writes data to path atomically with mode 0600: a private
// temporary file in the same directory, synced, then renamed over path.
// Readers see the old file or the new one, never a mix.
func Replace(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp) // best effort: the rename error is the one to report
		return err
	}
	syncDir(dir)
	return nil
}

// writeTemp writes data to a new file of mode 0600 in dir, synced, and
// returns its name.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".keyfile-*.tmp")
	if err != nil {
		return "", err
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
		_ = os.Remove(name) // best effort: the write error is the one to report
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return name, nil
}

// syncDir makes a rename or link in dir durable. Best effort: some systems
// cannot sync a directory, and the data itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()  // best effort, as documented above
		_ = d.Close() // opened for reading
	}
}
