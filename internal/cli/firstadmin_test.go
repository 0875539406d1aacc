package cli_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
)

// TestFirstAdminPasswordNotLogged: with no terminal on stderr (a service
// manager, a container, a pipe into a log), the generated first-admin
// password goes to a 0600 file in the data dir; the log names the file and
// never holds the password.
func TestFirstAdminPasswordNotLogged(t *testing.T) {
	if _, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS); err == nil {
		t.Skip("stderr is a terminal here; the password would be shown on it")
	}
	dir := t.TempDir()
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_DATA_DIR": dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	path := filepath.Join(dir, "first-admin-password.txt")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no password file: %v\nlog:\n%s", err, logs.String())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Password \([^)]*\): (\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("password file:\n%s", b)
	}
	pw := string(m[1])
	if strings.Contains(logs.String(), pw) {
		t.Fatalf("the log holds the password:\n%s", logs.String())
	}
	if abs, _ := filepath.Abs(path); !strings.Contains(logs.String(), abs) {
		t.Errorf("the log does not name the file %s:\n%s", abs, logs.String())
	}
	// It is the admin's real password.
	u, err := app.Accounts.SignIn(context.Background(), cfg.AdminEmail, pw, account.Meta{})
	if err != nil || !u.IsAdmin() {
		t.Fatalf("sign in with the filed password: %v", err)
	}
	// A second start finds the admin and writes nothing new.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	app2, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	app2.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("second start wrote a password file again: %v", err)
	}
}
