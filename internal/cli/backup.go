package cli

import (
	"context"
	"errors"
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
	dir, keep, err := backup.BackupArgs(args, cfg.BackupDir, cfg.BackupKeep)
	if err != nil {
		return err
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
	path, m, err := makeBackup(ctx, cfg, db, ms, dir, keep)
	if err != nil {
		return fmt.Errorf("backup into %s failed (the backups already there are untouched): %w", dir, err)
	}
	m.ReportBackup(out, path, keep, cfg.EncryptionKey != "" || cfg.TokenKeys != "")
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
	dir, force, err := backup.RestoreArgs(args, cfg.BackupDir)
	if err != nil {
		return err
	}
	path, err := backup.Resolve(dir)
	if err != nil {
		return err
	}
	ms, err := migrations(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Restore(ctx, path, backup.Target{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, PGBinDir: cfg.PGBinDir, MaxSchema: len(ms)}, force)
	if err != nil {
		if errors.Is(err, backup.ErrNotEmpty) {
			return err
		}
		return fmt.Errorf("restore %s: %w", path, err)
	}
	m.ReportRestore(out, path, time.Since(start))
	return nil
}

// RunBackups makes scheduled backups into OCEAN_BACKUP_DIR until ctx ends,
// when this instance holds the backup leader lock (one instance of a fleet).
func (a *App) RunBackups(ctx context.Context, cfg config.Config, log *slog.Logger) {
	if cfg.BackupDir == "" {
		return
	}
	ms, err := migrations(cfg)
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

// migrations are the configured database's.
func migrations(cfg config.Config) ([]migrate.Migration, error) {
	if cfg.Postgres() {
		return postgres.Migrations()
	}
	return sqlite.Migrations()
}
