package backup

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
)

// TestPGRestoreChecksTheBytesItStreams: an archive that is not the one
// the manifest describes any more (changed after the restore verified it)
// is streamed into the transaction but never committed.
func TestPGRestoreChecksTheBytesItStreams(t *testing.T) {
	ctx := context.Background()
	srcURL := postgrestest.URL(t)
	db, err := postgres.Open(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, _ := postgres.Migrations()
	path, m, err := Create(ctx, Source{DatabaseURL: srcURL, Schema: len(ms)}, t.TempDir(), 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dstURL := pgtest.URL(t)
	other := m.Files[0]
	other.SHA256 = strings.Repeat("0", 64)
	err = pgRestore(ctx, "", dstURL, filepath.Join(path, PGDumpName), other, false)
	if err == nil || !strings.Contains(err.Error(), "changed since it was verified") {
		t.Fatalf("restore of an archive that changed: %v", err)
	}
	if n, err := pgTables(ctx, dstURL); err != nil || n != 0 {
		t.Fatalf("the uncommitted restore left %d tables (%v)", n, err)
	}
	if err := pgRestore(ctx, "", dstURL, filepath.Join(path, PGDumpName), m.Files[0], false); err != nil {
		t.Fatal(err)
	}
	if n, err := pgTables(ctx, dstURL); err != nil || n == 0 {
		t.Fatalf("after the restore: %d tables (%v)", n, err)
	}
}
