package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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

// pgRestore streams a custom-format archive into the database in one
// transaction: pg_restore turns the archive into SQL, which goes straight
// into psql (ON_ERROR_STOP) after a BEGIN, nothing held in memory. The
// archive is hashed as pg_restore reads it, and the COMMIT is sent only
// when pg_restore succeeded and the bytes it read are exactly want (the
// manifest's size and checksum, already verified once before the restore
// began; this second check covers a file changed since). Anything else —
// a truncated or corrupt archive, a failed statement, a cancelled context —
// ends psql without a COMMIT, so the server rolls the transaction back:
// it all lands or nothing does. With replace, the transaction first drops
// the public schema, so what was there goes only if the restore succeeds.
func pgRestore(ctx context.Context, binDir, dbURL, archive string, want File, replace bool) error {
	restoreTool, err := PGTool(binDir, "pg_restore")
	if err != nil {
		return err
	}
	psqlTool, err := PGTool(binDir, "psql")
	if err != nil {
		return err
	}
	conn, env, err := pgEnv(dbURL)
	if err != nil {
		return err
	}
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
	// psql is stopped without a COMMIT (killed) when anything fails.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(f, h)}
	restore := exec.CommandContext(ctx, restoreTool, "--no-owner", "--no-privileges", "--file=-")
	restore.Stdin = counted
	var restoreErr bytes.Buffer
	restore.Stderr = &restoreErr
	script, err := restore.StdoutPipe()
	if err != nil {
		return err
	}
	psql := exec.CommandContext(ctx, psqlTool, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--dbname="+conn, "--file=-")
	psql.Env = env
	psql.Stdout = io.Discard
	var psqlErr bytes.Buffer
	psql.Stderr = &psqlErr
	in, err := psql.StdinPipe()
	if err != nil {
		return err
	}
	if err := psql.Start(); err != nil {
		return fmt.Errorf("psql: %w", err)
	}
	psqlDone := make(chan error, 1)
	go func() { psqlDone <- psql.Wait() }()
	fail := func(what string, err error) error {
		cancel() // psql dies without a COMMIT: the server rolls back
		_ = in.Close()
		psqlExit := <-psqlDone
		if msg := strings.TrimSpace(psqlErr.String()); msg != "" {
			return fmt.Errorf("restore into PostgreSQL (rolled back, nothing changed): %s: %w: psql: %s", what, err, msg)
		}
		if psqlExit != nil {
			return fmt.Errorf("restore into PostgreSQL (rolled back, nothing changed): %s: %w (psql: %w)", what, err, psqlExit)
		}
		return fmt.Errorf("restore into PostgreSQL (rolled back, nothing changed): %s: %w", what, err)
	}
	if err := restore.Start(); err != nil {
		return fail("pg_restore", err)
	}
	prefix := "BEGIN;\n"
	if replace {
		prefix += "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
	}
	_, err = io.WriteString(in, prefix)
	if err == nil {
		_, err = io.Copy(in, script)
	}
	if err != nil {
		cancel() // psql stopped reading: stop pg_restore too
		_ = restore.Wait()
		return fail("streaming pg_restore's output to psql", err)
	}
	if err := restore.Wait(); err != nil {
		return fail("pg_restore", fmt.Errorf("%w: %s", err, strings.TrimSpace(restoreErr.String())))
	}
	// pg_restore may stop before the archive's last bytes: hash those too.
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return fail("reading the archive", err)
	}
	if counted.n != want.Size || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		return fail("checking the archive", fmt.Errorf("%s changed since it was verified (%d bytes, want %d)", archive, counted.n, want.Size))
	}
	if _, err := io.WriteString(in, "COMMIT;\n"); err != nil {
		return fail("COMMIT", err)
	}
	if err := in.Close(); err != nil {
		return fail("COMMIT", err)
	}
	if err := <-psqlDone; err != nil {
		return fmt.Errorf("restore into PostgreSQL (rolled back, nothing changed): %w: %s", err, strings.TrimSpace(psqlErr.String()))
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
