package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/sqldb"
)

func migrateCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) (err error) {
	if len(args) != 1 {
		return fmt.Errorf("usage: ocean migrate up|down|status")
	}
	db, ms, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	// Every subcommand reads the status, which creates schema_migrations on
	// a fresh database: all of it runs under the lock serve takes.
	return withSchemaLock(ctx, cfg, db, func() error { return migrate.Command(ctx, args[0], db, ms, out) })
}

// openCurrent opens the database for a command that needs its schema up to
// date (seed, inventory verify) and refuses one that is not.
func openCurrent(ctx context.Context, cfg config.Config) (*sqldb.DB, error) {
	db, ms, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := migrate.RequireCurrent(ctx, db, ms); err != nil {
		_ = db.Close() // the status error is the one to report
		return nil, err
	}
	return db, nil
}
