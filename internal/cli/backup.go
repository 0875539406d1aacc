package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/oceanshop/ocean/internal/backup"
	"github.com/oceanshop/ocean/internal/bootstrap"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
)

// backupCmd is `ocean backup [DIR] [--keep N]`.
func backupCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) (err error) {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keep := fs.Int("keep", cfg.BackupKeep, "backups to keep")
	dir, err := parseWithPath(fs, args, cfg.BackupDir)
	if err != nil || *keep < 1 {
		return fmt.Errorf("usage: ocean backup DIR [--keep N] (N ≥ 1; DIR defaults to OCEAN_BACKUP_DIR)")
	}
	if !cfg.Postgres() {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "ocean.db")); err != nil {
			return fmt.Errorf("no database to back up in OCEAN_DATA_DIR=%s: %w", cfg.DataDir, err)
		}
	}
	db, ms, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	path, m, err := makeBackup(ctx, cfg, db, ms, dir, *keep)
	if err != nil {
		return fmt.Errorf("backup into %s failed (the backups already there are untouched): %w", dir, err)
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(out, "backup written to %s (%s, schema version %d, %d bytes, took %s; keeping the newest %d)\n", path, m.Database, m.SchemaVersion, size, m.Duration, *keep)
	if len(m.Keys) == 0 && (cfg.EncryptionKey != "" || cfg.TokenKeys != "") {
		fmt.Fprintln(out, "the encryption and token keys are not in it (they come from the environment): keep OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS safe elsewhere, a restore needs them")
	}
	return nil
}

func makeBackup(ctx context.Context, cfg config.Config, db *sqldb.DB, ms []migrate.Migration, dir string, keep int) (string, backup.Manifest, error) {
	var st migrate.Status
	err := withSchemaLock(ctx, cfg, db, func() (err error) { st, err = migrate.GetStatus(ctx, db, ms); return err })
	if err != nil {
		return "", backup.Manifest{}, err
	}
	src := backup.Source{DatabaseURL: cfg.DatabaseURL, PGBinDir: cfg.PGBinDir, DataDir: cfg.DataDir, Schema: st.Current, Version: Version}
	if !cfg.Postgres() {
		src.KeyFiles = bootstrap.KeyFiles
	}
	return backup.Create(ctx, src, dir, keep, time.Now())
}

// restoreCmd is `ocean restore DIR [--force]`.
func restoreCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	force := fs.Bool("force", false, "replace a non-empty database")
	dir, err := parseWithPath(fs, args, cfg.BackupDir)
	if err != nil {
		return fmt.Errorf("usage: ocean restore DIR [--force] (DIR is a backup, or a directory of backups whose newest is taken)")
	}
	path, err := backup.Resolve(dir)
	if err != nil {
		return err
	}
	var ms []migrate.Migration
	if cfg.Postgres() {
		ms, err = postgres.Migrations()
	} else {
		ms, err = sqlite.Migrations()
	}
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Restore(ctx, path, backup.Target{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, PGBinDir: cfg.PGBinDir, MaxSchema: len(ms)}, *force)
	if err != nil {
		if errors.Is(err, backup.ErrNotEmpty) {
			return err
		}
		return fmt.Errorf("restore %s: %w", path, err)
	}
	fmt.Fprintf(out, "restored %s (%s backup of %s, schema version %d) in %s\n", path, m.Database, m.Created.Format(time.RFC3339), m.SchemaVersion, time.Since(start).Round(time.Millisecond))
	if len(m.Keys) == 0 && m.Database == "postgres" {
		fmt.Fprintln(out, "set OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS to the keys the shop used when the backup was made: the personal data is encrypted with them")
	}
	return nil
}

// parseWithPath parses flags given before or after one positional path,
// which defaults to def.
func parseWithPath(fs *flag.FlagSet, args []string, def string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	path := def
	if fs.NArg() > 0 {
		path = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", err
		}
		if fs.NArg() > 0 {
			return "", errors.New("too many arguments")
		}
	}
	if path == "" {
		return "", errors.New("no directory")
	}
	return path, nil
}

// RunBackups makes scheduled backups into OCEAN_BACKUP_DIR until ctx ends,
// when this instance holds the backup leader lock (one instance of a fleet).
func (a *App) RunBackups(ctx context.Context, cfg config.Config, log *slog.Logger) {
	if cfg.BackupDir == "" {
		return
	}
	ms, err := a.migrations(cfg)
	if err != nil {
		log.Error("scheduled backups off", "err", err)
		return
	}
	backup.Schedule(ctx, a.Locker, cfg.BackupDir, cfg.BackupInterval, func(ctx context.Context) error {
		path, m, err := makeBackup(ctx, cfg, a.DB, ms, cfg.BackupDir, cfg.BackupKeep)
		if err == nil {
			log.Info("scheduled backup written", "path", path, "took", m.Duration, "schema", m.SchemaVersion)
		}
		return err
	}, log)
}

func (a *App) migrations(cfg config.Config) ([]migrate.Migration, error) {
	if cfg.Postgres() {
		return postgres.Migrations()
	}
	return sqlite.Migrations()
}
