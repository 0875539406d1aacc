package bootstrap

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/throttle"
)

func accounts(t *testing.T) *account.Service {
	t.Helper()
	keys, err := secret.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := TokenSigner("http://shop.test", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	limit := throttle.Split(throttle.NewLocal(throttle.SignIn(), nil), throttle.NewLocal(throttle.SignInClient, nil))
	return account.NewService(account.Config{Store: sqlitetest.Open(t).Accounts(), Keys: keys, Tokens: signer,
		SignInLimit: limit, ResetLimit: limit, BaseURL: "http://shop.test"})
}

// TestFirstAdminPasswordNotLogged: with no terminal (a service manager, a
// container, a pipe into a log), the generated first-admin password goes to
// a 0600 file in the data dir; the log names the file and never holds the
// password, which signs the admin in. A second start writes nothing.
func TestFirstAdminPasswordNotLogged(t *testing.T) {
	svc, dir := accounts(t), t.TempDir()
	var logs, out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	w, err := FirstAdmin(context.Background(), svc, dir, "admin@shop.test", "", log, &out)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, AdminPasswordFile)
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
	if strings.Contains(logs.String()+out.String(), pw) {
		t.Fatalf("the password is in the log or the output:\n%s%s", logs.String(), out.String())
	}
	if abs, _ := filepath.Abs(path); !strings.Contains(logs.String(), abs) {
		t.Errorf("the log does not name the file %s:\n%s", abs, logs.String())
	}
	if u, err := svc.SignIn(context.Background(), "admin@shop.test", pw, account.Meta{}); err != nil || !u.IsAdmin() {
		t.Fatalf("sign in with the filed password: %v", err)
	}
	// The next-steps block names the file, never the password.
	if abs, _ := filepath.Abs(path); w == nil || w.Password != "" || w.PasswordFile != abs {
		t.Fatalf("welcome %+v", w)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if w, err := FirstAdmin(context.Background(), svc, dir, "admin@shop.test", "", log, &out); err != nil || w != nil {
		t.Fatalf("second start: %+v %v", w, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("second start wrote a password file again: %v", err)
	}
	// A password that is too short is refused, naming the settings.
	_, err = FirstAdmin(context.Background(), accounts(t), t.TempDir(), "other@shop.test", "short", log, &out)
	if err == nil || !strings.Contains(err.Error(), "OCEAN_ADMIN_PASSWORD") {
		t.Fatalf("short password: %v", err)
	}
}

// TestAdminPassword: create-admin takes the first line of stdin (without
// its line ending), else the setting, else generates one it reports.
func TestAdminPassword(t *testing.T) {
	pw, gen, err := AdminPassword(strings.NewReader("from stdin pw\r\nsecond line\n"), true, "setting")
	if err != nil || pw != "from stdin pw" || gen != "" {
		t.Fatalf("stdin: %q %q %v", pw, gen, err)
	}
	pw, gen, err = AdminPassword(strings.NewReader("no newline"), true, "")
	if err != nil || pw != "no newline" || gen != "" {
		t.Fatalf("stdin without newline: %q %q %v", pw, gen, err)
	}
	pw, gen, err = AdminPassword(strings.NewReader("ignored\n"), false, "setting")
	if err != nil || pw != "setting" || gen != "" {
		t.Fatalf("setting: %q %q %v", pw, gen, err)
	}
	pw, gen, err = AdminPassword(strings.NewReader(""), true, "setting")
	if err != nil || pw == "" || pw != gen || len(pw) < 16 {
		t.Fatalf("empty stdin: %q %q %v", pw, gen, err)
	}
}

// TestShowAdmin: a generated password never goes to output that may be a
// log; it lands in a 0600 file whose path is printed. A pseudo-terminal
// shows it once.
func TestShowAdmin(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := ShowAdmin(&out, dir, "ops@shop.test", ""); err != nil || out.String() != "admin account ops@shop.test is ready\n" {
		t.Fatalf("chosen password: %q %v", out.String(), err)
	}
	out.Reset()
	if err := ShowAdmin(&out, dir, "ops@shop.test", "generated-secret-1"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "generated-secret-1") {
		t.Fatalf("password printed to a non-terminal: %q", out.String())
	}
	path := filepath.Join(dir, "admin-password-ops-at-shop.test.txt")
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "generated-secret-1") || !strings.Contains(out.String(), path) {
		t.Fatalf("password file %s: %q %v; output %q", path, b, err, out.String())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if !terminal(ptmx) {
		t.Skip("a pseudo-terminal master is not a terminal here")
	}
	tdir := t.TempDir()
	if err := ShowAdmin(ptmx, tdir, "ops@shop.test", "generated-secret-2"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tdir); len(entries) != 0 {
		t.Errorf("a terminal got a password file too: %v", entries)
	}
}

// TestKeySources: keys from the environment must parse (the error names
// the variable); without, they are created once in the data dir (0600)
// and read back the same; rotation puts a new primary first and keeps the
// old key; generated fleet keys parse as both settings.
func TestKeySources(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Keyring("not a keyring", dir); err == nil || !strings.Contains(err.Error(), "OCEAN_ENCRYPTION_KEY") {
		t.Fatalf("bad OCEAN_ENCRYPTION_KEY: %v", err)
	}
	if _, err := TokenSigner("http://shop.test", "garbage", dir); err == nil || !strings.Contains(err.Error(), "OCEAN_TOKEN_KEYS") {
		t.Fatalf("bad OCEAN_TOKEN_KEYS: %v", err)
	}
	k1, reload, err := Keyring("", dir)
	if err != nil || reload == nil {
		t.Fatalf("key file: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, secret.FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if _, err := TokenSigner("http://shop.test", "", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TokenKeysFile)); err != nil {
		t.Fatalf("token key file: %v", err)
	}
	var out bytes.Buffer
	if err := RotateKeyFile(dir, &out); err != nil {
		t.Fatal(err)
	}
	k2, err := reload()
	if err != nil {
		t.Fatal(err)
	}
	if k2.Primary() == k1.Primary() || !strings.Contains(out.String(), k2.Primary()) || len(k2.IDs()) != 2 {
		t.Fatalf("rotation: primary %s -> %s, ids %v, output %q", k1.Primary(), k2.Primary(), k2.IDs(), out.String())
	}
	out.Reset()
	if err := GenerateKeys(&out); err != nil {
		t.Fatal(err)
	}
	enc := regexp.MustCompile(`(?m)^OCEAN_ENCRYPTION_KEY=(\S+)$`).FindStringSubmatch(out.String())
	tok := regexp.MustCompile(`(?m)^OCEAN_TOKEN_KEYS=(\S+)$`).FindStringSubmatch(out.String())
	if enc == nil || tok == nil {
		t.Fatalf("generate: %q", out.String())
	}
	if _, _, err := Keyring(enc[1], t.TempDir()); err != nil {
		t.Errorf("generated OCEAN_ENCRYPTION_KEY: %v", err)
	}
	if _, err := TokenSigner("http://shop.test", tok[1], t.TempDir()); err != nil {
		t.Fatalf("generated OCEAN_TOKEN_KEYS: %v", err)
	}
}

// TestWelcome: the first start's next steps name the shop over plain HTTP
// and HTTPS (with the CA to trust), the admin sign-in beside the password,
// the two test cards and the dev mailbox; with no terminal, the file.
func TestWelcome(t *testing.T) {
	var out bytes.Buffer
	Welcome{AdminEmail: "admin@localhost", Password: "pw-123", Plain: "http://localhost:8080", Secure: "https://localhost:8443",
		CAFile: "ocean-data/ca.pem", Sandbox: true, Mailbox: true}.Write(&out)
	text := out.String()
	for _, want := range []string{"http://localhost:8080/", "plain HTTP", "https://localhost:8443/", "ocean-data/ca.pem",
		"https://localhost:8443/account/signin?next=/admin  as admin@localhost\n               password pw-123",
		"4242 4242 4242 4242", "4000 0000 0000 0002", "https://localhost:8443/admin/mailbox"} {
		if !strings.Contains(text, want) {
			t.Errorf("next steps lack %q:\n%s", want, text)
		}
	}
	out.Reset()
	Welcome{AdminEmail: "admin@localhost", PasswordFile: "/data/first-admin-password.txt", Plain: "http://localhost:8080"}.Write(&out)
	text = out.String()
	if !strings.Contains(text, "http://localhost:8080/account/signin?next=/admin") || !strings.Contains(text, "password in /data/first-admin-password.txt") ||
		strings.Contains(text, "4242") || strings.Contains(text, "mailbox") {
		t.Errorf("plain, password in a file, Stripe and SMTP:\n%s", text)
	}
}

// TestCreateAdminArgs: the address is required, the name optional, the
// password read from stdin when asked, else the setting, else generated;
// a bad flag names the command.
func TestCreateAdminArgs(t *testing.T) {
	a, err := CreateAdminArgs([]string{"--email", "a@example.com", "--name", "Ada", "--password-stdin"}, strings.NewReader("typed pw\n"), "setting")
	if err != nil || a != (Admin{Email: "a@example.com", Name: "Ada", Password: "typed pw"}) {
		t.Fatalf("all flags: %+v %v", a, err)
	}
	if a, err = CreateAdminArgs([]string{"--email", "a@example.com"}, strings.NewReader(""), "setting"); err != nil || a.Password != "setting" || a.Generated != "" {
		t.Fatalf("password from the setting: %+v %v", a, err)
	}
	if a, err = CreateAdminArgs([]string{"--email", "a@example.com"}, strings.NewReader(""), ""); err != nil || a.Password == "" || a.Generated != a.Password {
		t.Fatalf("generated password: %+v %v", a, err)
	}
	if _, err := CreateAdminArgs([]string{"--name", "Ada"}, strings.NewReader(""), "x"); err == nil || err.Error() != "users create-admin: --email is required" {
		t.Fatalf("no address: %v", err)
	}
	if _, err := CreateAdminArgs([]string{"--nope"}, strings.NewReader(""), "x"); err == nil || !strings.HasPrefix(err.Error(), "users create-admin: ") {
		t.Fatalf("bad flag: %v", err)
	}
}
