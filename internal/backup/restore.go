package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oceanshop/ocean/internal/sqlite"
)

// Target is where a backup is restored: a data directory (SQLite and the
// key files) or a PostgreSQL database.
type Target struct {
	DataDir     string
	DatabaseURL string
	PGBinDir    string // where pg_restore and psql are (empty: searched)
	// MaxSchema is the newest schema version the restoring binary knows; a
	// backup of a newer schema is refused (0: no check).
	MaxSchema int
}

// ErrNotEmpty is returned when the target already holds a shop and the
// restore was not forced.
var ErrNotEmpty = errors.New("the target database is not empty")

// Restore checks the backup at path (every checksum, before anything is
// written) and loads it into t, which must be empty unless force is set.
// Forced over a SQLite data directory, the files it replaces are moved to
// DataDir/before-restore-TIMESTAMP; forced over PostgreSQL, the public
// schema is replaced in the same transaction as the load.
func Restore(ctx context.Context, path string, t Target, force bool) (Manifest, error) {
	m, err := Verify(path)
	if err != nil {
		return m, fmt.Errorf("%w; nothing was restored", err)
	}
	if t.MaxSchema > 0 && m.SchemaVersion > t.MaxSchema {
		return m, fmt.Errorf("the backup's schema is at version %d, made by a newer release than this binary (which knows up to %d): restore it with that release; nothing was restored", m.SchemaVersion, t.MaxSchema)
	}
	if m.Database == "postgres" {
		if t.DatabaseURL == "" {
			return m, errors.New("this is a PostgreSQL backup: set OCEAN_DATABASE_URL to the database to restore it into")
		}
		n, err := pgTables(ctx, t.DatabaseURL)
		if err != nil {
			return m, err
		}
		if n > 0 && !force {
			return m, fmt.Errorf("%w: it has %d tables; restore into a new, empty database, or pass --force to replace what is there", ErrNotEmpty, n)
		}
		var dump File
		for _, f := range m.Files {
			if f.Name == PGDumpName {
				dump = f
			}
		}
		return m, pgRestore(ctx, t.PGBinDir, t.DatabaseURL, filepath.Join(path, PGDumpName), dump, n > 0)
	}
	if t.DatabaseURL != "" {
		return m, errors.New("this is a SQLite backup: unset OCEAN_DATABASE_URL and set OCEAN_DATA_DIR to restore it")
	}
	return m, restoreSQLite(path, m, t.DataDir, force)
}

func pgTables(ctx context.Context, dbURL string) (int, error) {
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer func() { _ = c.Close(ctx) }() // a read-only query's connection
	var n int
	err = c.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n)
	return n, err
}

func restoreSQLite(path string, m Manifest, dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("OCEAN_DATA_DIR: %w", err)
	}
	// What would be replaced: a database with tables, key files that differ.
	var replaced []string
	dbPath := filepath.Join(dir, SQLiteName)
	if n, err := sqliteTables(dbPath); err != nil {
		return err
	} else if n > 0 {
		replaced = append(replaced, SQLiteName)
	}
	for _, f := range m.Files {
		if f.Name == SQLiteName {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, f.Name)); err == nil {
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 {
				replaced = append(replaced, f.Name)
			}
		}
	}
	if len(replaced) > 0 && !force {
		return fmt.Errorf("%w: %s already holds %v; restore into an empty data directory, or pass --force (the files replaced are kept in a before-restore directory)", ErrNotEmpty, dir, replaced)
	}
	// Copy everything next to its final place first (checked again while
	// copying), then move into place.
	var staged []string
	defer func() {
		for _, s := range staged {
			_ = os.Remove(s) // best effort: gone already once moved into place
		}
	}()
	for _, f := range m.Files {
		tmp := filepath.Join(dir, ".restore-"+f.Name)
		_ = os.Remove(tmp) // a leftover of an interrupted restore, if any; O_EXCL below catches the rest
		if err := copyChecked(filepath.Join(path, f.Name), tmp, f); err != nil {
			return err
		}
		staged = append(staged, tmp)
	}
	if force {
		aside := filepath.Join(dir, "before-restore-"+time.Now().UTC().Format("20060102T150405Z"))
		for _, name := range append([]string{SQLiteName, SQLiteName + "-wal", SQLiteName + "-shm"}, m.Keys...) {
			if !exists(filepath.Join(dir, name)) {
				continue
			}
			if err := os.MkdirAll(aside, 0o700); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil {
				return err
			}
		}
	}
	// An empty database's journal files must not be replayed into the
	// restored one.
	for _, name := range []string{SQLiteName + "-wal", SQLiteName + "-shm"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, f := range m.Files {
		if err := os.Rename(filepath.Join(dir, ".restore-"+f.Name), filepath.Join(dir, f.Name)); err != nil {
			return err
		}
	}
	staged = nil
	return syncDir(dir)
}

// sqliteTables counts the tables in the SQLite file at path (0 when there
// is no file).
func sqliteTables(path string) (int, error) {
	if !exists(path) {
		return 0, nil
	}
	db, err := sqlite.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = db.Close() }() // opened only to count tables
	var n int
	err = db.Read.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n)
	return n, err
}

// copyChecked copies src to dst (mode 0600, synced) and checks the bytes
// written against the manifest's checksum.
func copyChecked(src, dst string, want File) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }() // read only
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if n != want.Size || !bytes.Equal([]byte(hex.EncodeToString(h.Sum(nil))), []byte(want.SHA256)) {
		return fmt.Errorf("%s changed while it was restored; nothing was restored", src)
	}
	return nil
}
