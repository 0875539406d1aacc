package backup_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/backup"
)

// TestBackupArgs: the directory comes from the argument or the default,
// --keep goes before or after it, and what cannot be a backup command is
// the usage.
func TestBackupArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		dir  string
		keep int
	}{
		{nil, "/def", 7},
		{[]string{"/b"}, "/b", 7},
		{[]string{"--keep", "3", "/b"}, "/b", 3},
		{[]string{"/b", "--keep", "2"}, "/b", 2},
		{[]string{"--keep=1"}, "/def", 1},
	} {
		dir, keep, err := backup.BackupArgs(c.args, "/def", 7)
		if err != nil || dir != c.dir || keep != c.keep {
			t.Errorf("%q: %q %d %v, want %q %d", c.args, dir, keep, err, c.dir, c.keep)
		}
	}
	for _, args := range [][]string{{"--keep", "0", "/b"}, {"/a", "/b"}, {"--nope"}, {"/b", "--nope"}} {
		if _, _, err := backup.BackupArgs(args, "/def", 7); err == nil || !strings.HasPrefix(err.Error(), "usage: ocean backup DIR [--keep N]") {
			t.Errorf("%q: %v, want the usage", args, err)
		}
	}
	if _, _, err := backup.BackupArgs(nil, "", 7); err == nil {
		t.Error("no directory and no OCEAN_BACKUP_DIR: no error")
	}
}

// TestRestoreArgs: the same shape with --force, and the usage when wrong.
func TestRestoreArgs(t *testing.T) {
	if dir, force, err := backup.RestoreArgs([]string{"/b", "--force"}, "/def"); err != nil || dir != "/b" || !force {
		t.Errorf("/b --force: %q %v %v", dir, force, err)
	}
	if dir, force, err := backup.RestoreArgs(nil, "/def"); err != nil || dir != "/def" || force {
		t.Errorf("no arguments: %q %v %v", dir, force, err)
	}
	for _, args := range [][]string{nil, {"/a", "/b"}, {"--nope"}} {
		if _, _, err := backup.RestoreArgs(args, ""); err == nil || !strings.HasPrefix(err.Error(), "usage: ocean restore DIR [--force]") {
			t.Errorf("%q: %v, want the usage", args, err)
		}
	}
}

// TestReports: what the operator reads after a backup and a restore,
// with the reminder about keys only when the keys are not in the backup.
func TestReports(t *testing.T) {
	m := backup.Manifest{Database: "sqlite", SchemaVersion: 12, Duration: "1.5s", Files: []backup.File{{Size: 100}, {Size: 23}}, Keys: []string{"keys"}}
	var b strings.Builder
	m.ReportBackup(&b, "/b/1", 3, true)
	if want := "backup written to /b/1 (sqlite, schema version 12, 123 bytes, took 1.5s; keeping the newest 3)\n"; b.String() != want {
		t.Errorf("backup with keys: %q, want %q", b.String(), want)
	}
	m.Keys = nil
	b.Reset()
	m.ReportBackup(&b, "/b/1", 3, true)
	if !strings.Contains(b.String(), "keep OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS safe elsewhere") {
		t.Errorf("backup without keys, keys from the environment: %q", b.String())
	}
	b.Reset()
	m.ReportBackup(&b, "/b/1", 3, false)
	if strings.Contains(b.String(), "OCEAN_ENCRYPTION_KEY") {
		t.Errorf("keys in the data directory yet a reminder: %q", b.String())
	}

	m = backup.Manifest{Database: "postgres", SchemaVersion: 12, Created: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	b.Reset()
	m.ReportRestore(&b, "/b/1", 1234567*time.Microsecond)
	if want := "restored /b/1 (postgres backup of 2026-12-07T10:00:00Z, schema version 12) in 1.235s\nset OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("restore: %q, want %q…", b.String(), want)
	}
	m.Database, m.Keys = "sqlite", []string{"keys"}
	b.Reset()
	m.ReportRestore(&b, "/b/1", time.Second)
	if strings.Contains(b.String(), "OCEAN_ENCRYPTION_KEY") {
		t.Errorf("sqlite restore with its keys: %q", b.String())
	}
}
