package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// PGTool finds a PostgreSQL client program (pg_dump, pg_restore, psql): in
// dir (OCEAN_PG_BIN_DIR) when set, else the newest /usr/lib/postgresql/N/bin
// (Debian's layout; pg_dump must be at least the server's version), else on
// PATH.
func PGTool(d, name string) (string, error) {
	if d != "" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("OCEAN_PG_BIN_DIR: %w", err)
		}
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if p := filepath.Join(d, name); exists(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found: install the PostgreSQL client (Debian: apt-get install postgresql-client) or set OCEAN_PG_BIN_DIR", name)
	}
	return p, nil
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// pgEnv turns a postgres:// URL into a connection string without the
// password and the environment that carries it (PGPASSWORD), so the
// password never shows in the process list.
func pgEnv(dbURL string) (string, []string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("OCEAN_DATABASE_URL: %w", err)
	}
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	return u.String(), env, nil
}

func pgDump(ctx context.Context, binDir, dbURL, out string) error {
	tool, err := PGTool(binDir, "pg_dump")
	if err != nil {
		return err
	}
	conn, env, err := pgEnv(dbURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tool, "--format=custom", "--no-owner", "--no-privileges", "--file="+out, "--dbname="+conn)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// pgRestore loads a custom-format archive into the database in one
// transaction (psql --single-transaction with ON_ERROR_STOP): it all
// lands or nothing does. With replace, the transaction first drops the
// public schema, so what was there goes only if the restore succeeds.
func pgRestore(ctx context.Context, binDir, dbURL, archive string, replace bool) error {
	restore, err := PGTool(binDir, "pg_restore")
	if err != nil {
		return err
	}
	psql, err := PGTool(binDir, "psql")
	if err != nil {
		return err
	}
	conn, env, err := pgEnv(dbURL)
	if err != nil {
		return err
	}
	script, err := exec.CommandContext(ctx, restore, "--no-owner", "--no-privileges", "--file=-", archive).Output()
	if err != nil {
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			return fmt.Errorf("pg_restore: %w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return fmt.Errorf("pg_restore: %w", err)
	}
	var in bytes.Buffer
	if replace {
		in.WriteString("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
	}
	in.Write(script)
	cmd := exec.CommandContext(ctx, psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--dbname="+conn, "--file=-")
	cmd.Env = env
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &bytes.Buffer{}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("restore into PostgreSQL (rolled back, nothing changed): %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
