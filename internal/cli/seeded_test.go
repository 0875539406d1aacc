package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/cli"
)

// The demo shop is seeded once per test binary, with the real commands
// (`ocean migrate up`, then `ocean seed`), into a template SQLite file;
// a test that wants a seeded shop on SQLite starts from a copy of it.
// Seeding took about a second of CPU per start (the migrations a tenth of
// that) and most tests here start a shop. The first start's own seeding
// stays covered by TestShopOnSQLite, which does not use the template.
var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// seededDataDir returns a new data directory holding a seeded shop's
// database (the demo catalog and its discount codes, schema up to date).
func seededDataDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	seedInto(t, dir)
	return dir
}

// seedInto copies the seeded template database into the data directory
// dir, which must not hold a database yet.
func seedInto(t testing.TB, dir string) {
	t.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "ocean-seeded-")
		if templateErr != nil {
			return
		}
		env := map[string]string{"OCEAN_DATA_DIR": templateDir}
		for _, args := range [][]string{{"migrate", "up"}, {"seed"}} {
			var out bytes.Buffer
			if code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &out); code != 0 {
				templateErr = fmt.Errorf("ocean %v: exit %d: %s", args, code, out.String())
				return
			}
		}
	})
	if templateErr != nil {
		t.Fatalf("seed the template shop: %v", templateErr)
	}
	// The commands closed the database, so the WAL is checkpointed into
	// ocean.db; copy its companions too should one be left.
	for _, name := range []string{"ocean.db", "ocean.db-wal", "ocean.db-shm"} {
		src, err := os.Open(filepath.Join(templateDir, name))
		if os.IsNotExist(err) && name != "ocean.db" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_, err = io.Copy(dst, src)
			err = errors.Join(err, dst.Close())
		}
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
