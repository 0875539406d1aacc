package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirWithURISyntax: a data directory whose name holds characters
// that mean something in a file: URI ('#' fragment, '?' query, '%' escape)
// still gets its database inside it, and the shop works.
func TestDataDirWithURISyntax(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a#b?c%d")
	env := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_SEED_DEMO": "false"}
	if code, out, errs := run(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s %s", code, out, errs)
	}
	if code, out, errs := run(t, env, "migrate", "status"); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status: exit %d: %s %s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "ocean.db")); err != nil {
		t.Fatalf("the database is not in the data dir: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files outside the data dir: %q", names)
	}
}
