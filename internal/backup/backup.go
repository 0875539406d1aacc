// Package backup makes and restores Ocean backups: one directory per
// backup, holding the database (an online, consistent SQLite copy made with
// VACUUM INTO, or a pg_dump custom-format archive), the key files of the
// embedded default, a SHA-256 checksum of every file (SHA256SUMS, readable
// by sha256sum -c) and a manifest. A backup is written under a temporary
// name and renamed into place only once complete and synced, so a failure
// (full or read-only disk) never leaves a half backup that looks whole and
// never touches the backups already there. Restore verifies every checksum
// before it writes anything.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/sqlite"
)

// File names inside a backup directory.
const (
	ManifestName = "manifest.json"
	SumsName     = "SHA256SUMS"
	SQLiteName   = "ocean.db"     // the SQLite database
	PGDumpName   = "ocean.pgdump" // pg_dump --format=custom
	prefix       = "ocean-"       // backups are DIR/ocean-20261206T182900Z
	tmpPrefix    = ".tmp-"
	format       = 1
)

// File is one file of a backup.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes a backup: what it holds and how to check it.
type Manifest struct {
	Format        int       `json:"format"`
	Created       time.Time `json:"created"`
	Database      string    `json:"database"` // sqlite or postgres
	SchemaVersion int       `json:"schema_version"`
	OceanVersion  string    `json:"ocean_version"`
	Files         []File    `json:"files"`
	// Keys names the key files included (the embedded default's); empty
	// when the keys come from the environment and must be kept elsewhere.
	Keys     []string `json:"keys"`
	Duration string   `json:"duration"`
}

// Source is what to back up.
type Source struct {
	DatabaseURL string   // PostgreSQL; empty for SQLite
	PGBinDir    string   // where pg_dump is (empty: searched)
	DataDir     string   // where the SQLite database and the key files are
	KeyFiles    []string // names in DataDir copied when present
	Schema      int      // the schema version of the database
	Version     string   // the ocean binary's version
}

// Create writes a new backup into dir (created if needed), then deletes
// the oldest complete backups beyond keep (0 keeps all). It returns the new
// backup's path and manifest. On error nothing is left behind but the
// backups that were there.
func Create(ctx context.Context, src Source, dir string, keep int, now time.Time) (string, Manifest, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", Manifest{}, fmt.Errorf("backup directory: %w", err)
	}
	name := prefix + now.UTC().Format("20060102T150405Z")
	for i := 2; exists(filepath.Join(dir, name)); i++ {
		name = fmt.Sprintf("%s%s-%d", prefix, now.UTC().Format("20060102T150405Z"), i)
	}
	tmp := filepath.Join(dir, tmpPrefix+name)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", Manifest{}, fmt.Errorf("backup directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp) // best effort: the error that stopped the backup is the one returned
		}
	}()
	m := Manifest{Format: format, Created: now.UTC(), SchemaVersion: src.Schema, OceanVersion: src.Version}
	var names []string
	if src.DatabaseURL != "" {
		m.Database = "postgres"
		if err := pgDump(ctx, src.PGBinDir, src.DatabaseURL, filepath.Join(tmp, PGDumpName)); err != nil {
			return "", m, err
		}
		names = append(names, PGDumpName)
	} else {
		m.Database = "sqlite"
		// VACUUM INTO reads one consistent snapshot (a read transaction;
		// writers go on in WAL mode) and writes a compact copy.
		abs, err := filepath.Abs(filepath.Join(src.DataDir, SQLiteName))
		if err != nil {
			return "", m, err
		}
		if err := sqlite.Copy(ctx, abs, filepath.Join(tmp, SQLiteName)); err != nil {
			return "", m, err
		}
		names = append(names, SQLiteName)
	}
	if err := os.Chmod(filepath.Join(tmp, names[0]), 0o600); err != nil { // the data is private
		return "", m, err
	}
	for _, k := range src.KeyFiles {
		err := copyFile(filepath.Join(src.DataDir, k), filepath.Join(tmp, k))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", m, fmt.Errorf("copy key file %s: %w", k, err)
		}
		names = append(names, k)
		m.Keys = append(m.Keys, k)
	}
	var sums strings.Builder
	for _, n := range names {
		f, err := sumFile(filepath.Join(tmp, n), true)
		if err != nil {
			return "", m, err
		}
		f.Name = n
		m.Files = append(m.Files, f)
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, n)
	}
	m.Duration = time.Since(start).Round(time.Millisecond).String()
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeSynced(filepath.Join(tmp, ManifestName), append(mb, '\n')); err != nil {
		return "", m, err
	}
	if err := writeSynced(filepath.Join(tmp, SumsName), []byte(sums.String())); err != nil {
		return "", m, err
	}
	if err := syncDir(tmp); err != nil {
		return "", m, err
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		return "", m, fmt.Errorf("backup: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return final, m, err
	}
	if keep > 0 {
		if err := prune(dir, keep); err != nil {
			return final, m, fmt.Errorf("backup written to %s, but removing old backups failed: %w", final, err)
		}
	}
	return final, m, nil
}

// List returns the complete backups in dir, oldest first.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) && exists(filepath.Join(dir, e.Name(), ManifestName)) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out) // names are UTC timestamps
	return out, nil
}

// prune deletes the oldest backups beyond keep, and temporary directories
// of backups that died more than a day ago.
func prune(dir string, keep int) error {
	all, err := List(dir)
	if err != nil {
		return err
	}
	var errs []error
	for len(all) > keep {
		errs = append(errs, os.RemoveAll(all[0]))
		all = all[1:]
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), tmpPrefix) && time.Since(info.ModTime()) > 24*time.Hour {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// Resolve turns the argument of `ocean restore` into one backup: a backup
// directory itself, or a directory of backups (the newest is taken).
func Resolve(path string) (string, error) {
	if exists(filepath.Join(path, ManifestName)) {
		return path, nil
	}
	all, err := List(path)
	if err != nil {
		return "", fmt.Errorf("no backup at %s: %w", path, err)
	}
	if len(all) == 0 {
		return "", fmt.Errorf("no backup at %s: neither a backup (no %s) nor a directory of backups", path, ManifestName)
	}
	return all[len(all)-1], nil
}

// Verify reads a backup's manifest and checks every file it lists against
// its size and SHA-256, and the database file's format. A backup that
// passes is what was written.
func Verify(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(path, ManifestName))
	if err != nil {
		return m, fmt.Errorf("backup %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("backup %s: the manifest is damaged: %w", path, err)
	}
	if m.Format != format {
		return m, fmt.Errorf("backup %s: manifest format %d, this binary reads format %d", path, m.Format, format)
	}
	dbName := map[string]string{"sqlite": SQLiteName, "postgres": PGDumpName}[m.Database]
	if dbName == "" {
		return m, fmt.Errorf("backup %s: unknown database %q in the manifest", path, m.Database)
	}
	seen := false
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || strings.HasPrefix(f.Name, ".") {
			return m, fmt.Errorf("backup %s: the manifest names a file outside the backup: %q", path, f.Name)
		}
		got, err := sumFile(filepath.Join(path, f.Name), false)
		if err != nil {
			return m, fmt.Errorf("backup %s: %w", path, err)
		}
		if got.Size != f.Size {
			return m, fmt.Errorf("backup %s: %s is %d bytes, the manifest says %d: the backup is truncated or damaged", path, f.Name, got.Size, f.Size)
		}
		if got.SHA256 != f.SHA256 {
			return m, fmt.Errorf("backup %s: %s does not match its SHA-256 checksum: the backup is damaged", path, f.Name)
		}
		seen = seen || f.Name == dbName
	}
	if !seen {
		return m, fmt.Errorf("backup %s: the manifest lists no %s", path, dbName)
	}
	// A key file is restored by name into the data directory: it must be a
	// plain name and one of the checked files.
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Name] = true
	}
	for _, k := range m.Keys {
		if k != filepath.Base(k) || strings.HasPrefix(k, ".") || !listed[k] {
			return m, fmt.Errorf("backup %s: the manifest names a key file that is not one of its checked files: %q", path, k)
		}
	}
	magic := map[string]string{"sqlite": "SQLite format 3\x00", "postgres": "PGDMP"}[m.Database]
	head := make([]byte, len(magic))
	f, err := os.Open(filepath.Join(path, dbName))
	if err != nil {
		return m, err
	}
	defer func() { _ = f.Close() }() // read only
	if _, err := io.ReadFull(f, head); err != nil || string(head) != magic {
		return m, fmt.Errorf("backup %s: %s is not a %s backup", path, dbName, m.Database)
	}
	return m, nil
}

// sumFile returns the size and SHA-256 of a file, fsyncing it first when
// sync is set.
func sumFile(path string, sync bool) (File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if !sync {
		f, err = os.Open(path)
	}
	if err != nil {
		return File{}, err
	}
	defer func() { _ = f.Close() }() // after Sync, which reports a write-back failure
	if sync {
		if err := f.Sync(); err != nil {
			return File{}, fmt.Errorf("sync %s: %w", path, err)
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", path, err)
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyFile copies src to a new file dst (mode 0600) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }() // read only
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close() // the write error is the one to report
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		_ = out.Close() // the sync error is the one to report
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return out.Close()
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }() // read only
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
