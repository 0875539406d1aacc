package migrate

import (
	"context"
	"fmt"
	"log/slog"
)

// OnStart is what a starting shop does with its schema: nothing when it is
// up to date, every pending migration when it may migrate (autoMigrate,
// OCEAN_AUTO_MIGRATE), else a refusal that says how to proceed. The
// migrations applied go to log.
func OnStart(ctx context.Context, t Target, ms []Migration, autoMigrate bool, log *slog.Logger) error {
	st, err := GetStatus(ctx, t, ms)
	if err != nil || st.UpToDate() {
		return err
	}
	if !autoMigrate {
		return fmt.Errorf("the database schema is at version %d but this binary needs %d; run `ocean migrate up` or set OCEAN_AUTO_MIGRATE=true", st.Current, st.Latest)
	}
	n, err := Up(ctx, t, ms)
	if err != nil {
		return err
	}
	log.Info("migrated database", "applied", n, "version", st.Latest)
	return nil
}

// RequireCurrent refuses a schema that is not up to date, for a command
// that works on the shop's data without migrating it (seed, inventory
// verify).
func RequireCurrent(ctx context.Context, t Target, ms []Migration) error {
	st, err := GetStatus(ctx, t, ms)
	if err == nil && !st.UpToDate() {
		err = fmt.Errorf("the database schema is at version %d, this binary needs %d: run `ocean migrate up` first", st.Current, st.Latest)
	}
	return err
}
