package cli_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// TestConcurrentStartsOnPostgres: several instances starting at once on a
// fresh database (a deploy that starts the whole fleet) all come up: one
// migrates, the others wait for it and find nothing to do. The status check
// that creates schema_migrations must be inside the advisory lock too, or
// two of them race on CREATE TABLE and one fails with a unique violation.
func TestConcurrentStartsOnPostgres(t *testing.T) {
	for round := range 3 {
		dbURL := pgtest.URL(t)
		cfg, _, err := config.Load(nil, func(k string) string {
			return map[string]string{"OCEAN_DATABASE_URL": dbURL, "OCEAN_DATA_DIR": t.TempDir()}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				if i%2 == 1 {
					// `ocean migrate status` and `up` run beside starting servers.
					cmd := []string{"status", "up"}[i/2%2]
					if code, _, stderr := runErr(dbURL, "migrate", cmd); code != 0 {
						errs[i] = fmt.Errorf("ocean migrate %s: exit %d: %s", cmd, code, stderr)
					}
					return
				}
				app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					errs[i] = err
					return
				}
				app.Close()
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, instance %d: %v", round, i, err)
			}
		}
	}
}
