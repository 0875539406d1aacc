package backup_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/backup"
	"github.com/oceanshop/ocean/internal/lock/local"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

var ctx = context.Background()

// shop makes a data directory with a migrated SQLite database holding one
// category, and the two key files of the embedded default.
func shop(t *testing.T) (string, backup.Source) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, backup.SQLiteName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, db, ms); err != nil {
		t.Fatal(err)
	}
	insertCategory(t, db, "first")
	for _, k := range []string{"encryption.keys", "token.keys"} {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(k+" secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, backup.Source{DataDir: dir, KeyFiles: []string{"encryption.keys", "token.keys", "absent.keys"}, Schema: len(ms), Version: "test"}
}

func insertCategory(t *testing.T, db *sqldb.DB, slug string) {
	t.Helper()
	if _, err := db.Write.Exec(sqldb.Rebind(db.Dialect, `INSERT INTO categories (slug, name) VALUES (?, ?)`), slug, slug); err != nil {
		t.Fatal(err)
	}
}

func categories(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	rows, err := db.Read.Query(`SELECT slug FROM categories ORDER BY slug`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func TestBackupAndRestoreSQLite(t *testing.T) {
	dataDir, src := shop(t)
	dir := filepath.Join(t.TempDir(), "backups")
	path, m, err := backup.Create(ctx, src, dir, 3, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m.Database != "sqlite" || m.SchemaVersion != src.Schema || len(m.Files) != 3 || strings.Join(m.Keys, ",") != "encryption.keys,token.keys" {
		t.Fatalf("manifest: %+v", m)
	}
	// SHA256SUMS is what sha256sum -c reads.
	if sums, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sums, "-c", backup.SumsName)
		cmd.Dir = path
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	if fi, _ := os.Stat(filepath.Join(path, backup.SQLiteName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("the database copy has mode %v; personal data must be private", fi.Mode().Perm())
	}
	target := t.TempDir()
	resolved, err := backup.Resolve(dir)
	if err != nil || resolved != path {
		t.Fatalf("resolve %s: %s, %v", dir, resolved, err)
	}
	if _, err := backup.Restore(ctx, resolved, backup.Target{DataDir: target, MaxSchema: src.Schema}, false); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(target, backup.SQLiteName))
	if err != nil {
		t.Fatal(err)
	}
	if got := categories(t, db); len(got) != 1 || got[0] != "first" {
		t.Fatalf("restored categories: %v", got)
	}
	for _, k := range []string{"encryption.keys", "token.keys"} {
		if b, err := os.ReadFile(filepath.Join(target, k)); err != nil || string(b) != k+" secret\n" {
			t.Errorf("restored %s: %q, %v", k, b, err)
		}
	}
	insertCategory(t, db, "after")
	db.Close()

	// A second restore into the now non-empty directory is refused and
	// changes nothing; forced, it replaces and keeps the old files aside.
	_, err = backup.Restore(ctx, path, backup.Target{DataDir: target}, false)
	if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
	if _, err := backup.Restore(ctx, path, backup.Target{DataDir: target}, true); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(filepath.Join(target, backup.SQLiteName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := categories(t, db); len(got) != 1 {
		t.Fatalf("after a forced restore: %v", got)
	}
	aside, _ := filepath.Glob(filepath.Join(target, "before-restore-*", backup.SQLiteName))
	if len(aside) != 1 {
		t.Fatalf("the replaced database was not kept: %v", aside)
	}

	// A newer schema than the binary knows is refused.
	if _, err := backup.Restore(ctx, path, backup.Target{DataDir: t.TempDir(), MaxSchema: src.Schema - 1}, false); err == nil || !strings.Contains(err.Error(), "newer release") {
		t.Fatalf("restore of a newer schema: %v", err)
	}
	// Into PostgreSQL: refused with what to do.
	if _, err := backup.Restore(ctx, path, backup.Target{DatabaseURL: "postgres://x@127.0.0.1:1/x"}, false); err == nil || !strings.Contains(err.Error(), "SQLite backup") {
		t.Fatalf("SQLite backup into PostgreSQL: %v", err)
	}
	_ = dataDir
}

// TestDamagedBackupsAreRefused: a flipped byte, a truncated file, a missing
// file, a broken manifest: the restore stops before it writes anything.
func TestDamagedBackupsAreRefused(t *testing.T) {
	_, src := shop(t)
	dir := t.TempDir()
	damage := map[string]func(path string){
		"flipped byte": func(p string) {
			f, _ := os.OpenFile(filepath.Join(p, backup.SQLiteName), os.O_RDWR, 0)
			b := make([]byte, 1)
			f.ReadAt(b, 5000)
			b[0] ^= 0xff
			f.WriteAt(b, 5000)
			f.Close()
		},
		"truncated":        func(p string) { os.Truncate(filepath.Join(p, backup.SQLiteName), 4096) },
		"key file missing": func(p string) { os.Remove(filepath.Join(p, "token.keys")) },
		"manifest broken":  func(p string) { os.WriteFile(filepath.Join(p, backup.ManifestName), []byte(`{"format":1,`), 0o600) },
		"manifest escapes": func(p string) {
			b, _ := os.ReadFile(filepath.Join(p, backup.ManifestName))
			os.WriteFile(filepath.Join(p, backup.ManifestName), []byte(strings.Replace(string(b), `"token.keys"`, `"../token.keys"`, 1)), 0o600)
		},
		"key file escapes": func(p string) {
			// only the keys list names a path outside (the files stay checked)
			var m map[string]any
			b, _ := os.ReadFile(filepath.Join(p, backup.ManifestName))
			json.Unmarshal(b, &m)
			m["keys"] = []string{"../../outside"}
			b, _ = json.Marshal(m)
			os.WriteFile(filepath.Join(p, backup.ManifestName), b, 0o600)
		},
		"not a database": func(p string) {
			os.WriteFile(filepath.Join(p, backup.SQLiteName), []byte("hello"), 0o600)
			// with a matching checksum: the format check still refuses it
			b, _ := os.ReadFile(filepath.Join(p, backup.ManifestName))
			s := string(b)
			i := strings.Index(s, `"size": `)
			j := strings.Index(s[i:], ",")
			s = s[:i] + `"size": 5` + s[i+j:]
			i = strings.Index(s, `"sha256": "`) + len(`"sha256": "`)
			s = s[:i] + "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" + s[i+64:]
			os.WriteFile(filepath.Join(p, backup.ManifestName), []byte(s), 0o600)
		},
	}
	i := 0
	for name, f := range damage {
		i++
		path, _, err := backup.Create(ctx, src, dir, 100, time.Now().Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f(path)
		target := t.TempDir()
		_, err = backup.Restore(ctx, path, backup.Target{DataDir: target}, true)
		if err == nil || !strings.Contains(err.Error(), "nothing was restored") {
			t.Errorf("%s: restore: %v", name, err)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Errorf("%s: the refused restore wrote %v", name, entries)
		}
	}
	if _, err := backup.Resolve(t.TempDir()); err == nil {
		t.Error("an empty directory resolved to a backup")
	}
}

func TestRetentionKeepsTheNewest(t *testing.T) {
	_, src := shop(t)
	dir := t.TempDir()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var paths []string
	for i := range 5 {
		p, _, err := backup.Create(ctx, src, dir, 3, base.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// Two backups in the same second get distinct names.
	p, _, err := backup.Create(ctx, src, dir, 3, base.Add(4*time.Hour))
	if err != nil || p == paths[4] {
		t.Fatalf("same-second backup: %s, %v", p, err)
	}
	all, err := backup.List(dir)
	if err != nil || len(all) != 3 || all[0] != paths[3] || all[1] != paths[4] || all[2] != p {
		t.Fatalf("kept %v, want the newest three of %v + %s", all, paths, p)
	}
}

// TestFailedBackupLeavesTheOthers: a backup directory that cannot be
// written fails loudly and leaves the backups already there intact. (As
// root, permissions do not stop writes; the full-disk case runs in
// internal/cli with a file size limit.)
func TestFailedBackupLeavesTheOthers(t *testing.T) {
	_, src := shop(t)
	dir := t.TempDir()
	first, _, err := backup.Create(ctx, src, dir, 1, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The database is gone: the copy fails.
	bad := src
	bad.DataDir = t.TempDir()
	if _, _, err := backup.Create(ctx, bad, dir, 1, time.Now()); err == nil {
		t.Fatal("a backup of a missing database succeeded")
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		if _, _, err := backup.Create(ctx, src, dir, 1, time.Now()); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("backup into a read-only directory: %v", err)
		}
	}
	all, _ := backup.List(dir)
	entries, _ := os.ReadDir(dir)
	if len(all) != 1 || all[0] != first || len(entries) != 1 {
		t.Fatalf("after failed backups: %v (%d entries)", all, len(entries))
	}
	if _, err := backup.Verify(first); err != nil {
		t.Fatal(err)
	}
}

func TestBackupAndRestorePostgres(t *testing.T) {
	srcURL := postgrestest.URL(t)
	db, err := postgres.Open(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, _ := postgres.Migrations()
	insertCategory(t, db, "pg")
	dir := t.TempDir()
	path, m, err := backup.Create(ctx, backup.Source{DatabaseURL: srcURL, Schema: len(ms)}, dir, 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m.Database != "postgres" || len(m.Keys) != 0 || m.Files[0].Name != backup.PGDumpName {
		t.Fatalf("manifest: %+v", m)
	}
	dstURL := pgtest.URL(t)
	if _, err := backup.Restore(ctx, path, backup.Target{DatabaseURL: dstURL}, false); err != nil {
		t.Fatal(err)
	}
	dst, err := postgres.Open(ctx, dstURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if got := categories(t, dst); len(got) != 1 || got[0] != "pg" {
		t.Fatalf("restored: %v", got)
	}
	if st, err := migrate.GetStatus(ctx, dst, ms); err != nil || !st.UpToDate() {
		t.Fatalf("restored schema: %+v %v", st, err)
	}
	insertCategory(t, dst, "later")
	if _, err := backup.Restore(ctx, path, backup.Target{DatabaseURL: dstURL}, false); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into a non-empty database: %v", err)
	}
	if got := categories(t, dst); len(got) != 2 {
		t.Fatalf("a refused restore changed the database: %v", got)
	}
	// A truncated archive is refused by its checksum before anything is
	// written. With a checksum to match (someone edited both), pg_restore
	// streams what it can read into the transaction, fails at the cut,
	// and the transaction is never committed: nothing changes.
	dump := filepath.Join(path, backup.PGDumpName)
	if err := os.Truncate(dump, m.Files[0].Size*2/3); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, path, backup.Target{DatabaseURL: dstURL}, true); err == nil || !strings.Contains(err.Error(), "nothing was restored") {
		t.Fatalf("restore of a truncated archive: %v", err)
	}
	if got := categories(t, dst); len(got) != 2 {
		t.Fatalf("a refused restore changed the database: %v", got)
	}
	matchManifest(t, path, backup.PGDumpName)
	if _, err := backup.Restore(ctx, path, backup.Target{DatabaseURL: dstURL}, true); err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("restore of a truncated archive with a matching checksum: %v", err)
	}
	if got := categories(t, dst); len(got) != 2 {
		t.Fatalf("a failed restore changed the database: %v", got)
	}
	// Forced from an intact backup: replaced in one transaction.
	path2, _, err := backup.Create(ctx, backup.Source{DatabaseURL: srcURL, Schema: len(ms)}, dir, 2, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, path2, backup.Target{DatabaseURL: dstURL}, true); err != nil {
		t.Fatal(err)
	}
	if got := categories(t, dst); len(got) != 1 || got[0] != "pg" {
		t.Fatalf("after a forced restore: %v", got)
	}
	if _, err := backup.Restore(ctx, path2, backup.Target{DataDir: t.TempDir()}, false); err == nil || !strings.Contains(err.Error(), "OCEAN_DATABASE_URL") {
		t.Fatalf("PostgreSQL backup without a database URL: %v", err)
	}
}

// matchManifest rewrites the backup's manifest so the file's size and
// checksum match what it holds now.
func matchManifest(t *testing.T, path, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path, backup.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m backup.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(path, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	for i := range m.Files {
		if m.Files[i].Name == name {
			m.Files[i].Size, m.Files[i].SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		}
	}
	if b, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, backup.ManifestName), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestScheduleRunsOnOneLeader: of two instances sharing a lock framework
// and a backup directory, only the leader makes backups; when it stops, the
// other takes over.
func TestScheduleRunsOnOneLeader(t *testing.T) {
	_, src := shop(t)
	dir := t.TempDir()
	locker := local.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var runs [2]atomic.Int64
	ctxs := [2]context.Context{}
	cancels := [2]context.CancelFunc{}
	done := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	for i := range 2 {
		ctxs[i], cancels[i] = context.WithCancel(ctx)
		defer cancels[i]()
		go func() {
			defer close(done[i])
			backup.Schedule(ctxs[i], locker, dir, 50*time.Millisecond, func(ctx context.Context) error {
				runs[i].Add(1)
				_, _, err := backup.Create(ctx, src, dir, 2, time.Now())
				return err
			}, log)
		}()
	}
	waitFor(t, "a leader makes two backups", func() bool { return runs[0].Load() >= 2 || runs[1].Load() >= 2 })
	leader, other := 0, 1
	if runs[1].Load() > runs[0].Load() {
		leader, other = 1, 0
	}
	if runs[other].Load() != 0 {
		t.Fatalf("both instances made backups: %d and %d", runs[0].Load(), runs[1].Load())
	}
	cancels[leader]()
	<-done[leader]
	waitFor(t, "the other instance takes over", func() bool { return runs[other].Load() >= 1 })
	// The other instance's backup may still be writing: stop it before
	// counting, and before the test's directories are removed.
	cancels[other]()
	<-done[other]
	if all, _ := backup.List(dir); len(all) != 2 {
		t.Fatalf("retention: %d backups kept, want 2", len(all))
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
