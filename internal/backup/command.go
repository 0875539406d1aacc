package backup

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// BackupArgs parses the arguments of `ocean backup [DIR] [--keep N]`: the
// directory (default dir, OCEAN_BACKUP_DIR) and how many backups to keep
// (default keep, OCEAN_BACKUP_KEEP; at least 1).
func BackupArgs(args []string, dir string, keep int) (string, int, error) {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("keep", keep, "backups to keep")
	dir, err := parseWithPath(fs, args, dir)
	if err != nil || *n < 1 {
		return "", 0, errors.New("usage: ocean backup DIR [--keep N] (N ≥ 1; DIR defaults to OCEAN_BACKUP_DIR)")
	}
	return dir, *n, nil
}

// RestoreArgs parses the arguments of `ocean restore DIR [--force]`: the
// backup or directory of backups (default dir, OCEAN_BACKUP_DIR) and
// whether a non-empty database may be replaced.
func RestoreArgs(args []string, dir string) (string, bool, error) {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	force := fs.Bool("force", false, "replace a non-empty database")
	dir, err := parseWithPath(fs, args, dir)
	if err != nil {
		return "", false, errors.New("usage: ocean restore DIR [--force] (DIR is a backup, or a directory of backups whose newest is taken)")
	}
	return dir, *force, nil
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

// ReportBackup tells the operator what `ocean backup` wrote at path and how
// many backups it keeps; keysFromEnv (OCEAN_ENCRYPTION_KEY or
// OCEAN_TOKEN_KEYS set) adds that a backup without the keys needs them
// kept elsewhere.
func (m Manifest) ReportBackup(w io.Writer, path string, keep int, keysFromEnv bool) {
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(w, "backup written to %s (%s, schema version %d, %d bytes, took %s; keeping the newest %d)\n", path, m.Database, m.SchemaVersion, size, m.Duration, keep)
	if len(m.Keys) == 0 && keysFromEnv {
		fmt.Fprintln(w, "the encryption and token keys are not in it (they come from the environment): keep OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS safe elsewhere, a restore needs them")
	}
}

// ReportRestore tells the operator what `ocean restore` restored from path
// and how long it took; a PostgreSQL backup without keys adds that the
// shop needs the keys it used then.
func (m Manifest) ReportRestore(w io.Writer, path string, took time.Duration) {
	fmt.Fprintf(w, "restored %s (%s backup of %s, schema version %d) in %s\n", path, m.Database, m.Created.Format(time.RFC3339), m.SchemaVersion, took.Round(time.Millisecond))
	if len(m.Keys) == 0 && m.Database == "postgres" {
		fmt.Fprintln(w, "set OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS to the keys the shop used when the backup was made: the personal data is encrypted with them")
	}
}
