package cli_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readEnvFile parses KEY=VALUE lines (comments and blanks skipped).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=VALUE: %q", path, line)
		}
		env[k] = v
	}
	return env
}

// TestExampleEnvironmentsPassConfigCheck: each deploy/env/*.env, with its
// secret files in place, passes `ocean config check`; production's has no
// warning; and a broken one fails with the variable named, exit 2.
func TestExampleEnvironmentsPassConfigCheck(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"OCEAN_DATABASE_URL_FILE":          "postgres://ocean:secret@db.internal:5432/ocean",
		"OCEAN_REDIS_URL_FILE":             "redis-sentinel://:pw@s1:26379,s2:26379,s3:26379/ocean",
		"OCEAN_SMTP_URL_FILE":              "smtp://shop:pw@mail.example.com:587",
		"OCEAN_METRICS_TOKEN_FILE":         "0123456789abcdef0123456789abcdef",
		"OCEAN_STRIPE_KEY_FILE":            "sk_live_example",
		"OCEAN_STRIPE_WEBHOOK_SECRET_FILE": "whsec_example",
		"OCEAN_ENCRYPTION_KEY_FILE":        "k1:AAAA",
		"OCEAN_TOKEN_KEYS_FILE":            "t1:AAAA",
		"OCEAN_ADMIN_PASSWORD_FILE":        "a long admin password",
	}
	files, _ := filepath.Glob("../../deploy/env/*.env")
	if len(files) != 3 {
		t.Fatalf("example environments: %v", files)
	}
	for _, f := range files {
		env := readEnvFile(t, f)
		dir := t.TempDir()
		for k := range env {
			if strings.HasSuffix(k, "_FILE") {
				p := filepath.Join(dir, k)
				if err := os.WriteFile(p, []byte(secrets[k]+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				env[k] = p
			}
		}
		env["OCEAN_DATA_DIR"] = dir
		code, out, errs := run(t, env, "config", "check")
		if code != 0 || !strings.Contains(out, "configuration is valid") {
			t.Fatalf("%s: exit %d\n%s%s", f, code, out, errs)
		}
		for k, v := range secrets {
			if strings.Contains(out, strings.TrimSuffix(v, "\n")) && !strings.HasPrefix(v, "postgres") {
				t.Errorf("%s: config check shows the secret of %s", f, k)
			}
		}
		if strings.Contains(out, "ocean:secret@") {
			t.Errorf("%s: config check shows the database password", f)
		}
		if strings.HasSuffix(f, "production.env") && !strings.Contains(out, "0 warning(s)") {
			t.Errorf("production example has warnings:\n%s", out)
		}
		if strings.HasSuffix(f, "production.env") && !regexp.MustCompile(`OCEAN_STRIPE_KEY\s+\(set, hidden\)\s+OCEAN_STRIPE_KEY_FILE`).MatchString(out) {
			t.Errorf("production: the Stripe key's source is not shown:\n%s", out)
		}
	}
	code, _, errs := run(t, map[string]string{"OCEAN_BACKUP_KEEP": "none"}, "config", "check")
	if code != 2 || !strings.Contains(errs, "OCEAN_BACKUP_KEEP") {
		t.Fatalf("bad setting: exit %d %s", code, errs)
	}
	code, out, _ := run(t, map[string]string{"OCEAN_PUBLIC_URL": "http://shop.example.com", "OCEAN_RATE_LIMITS": "off"}, "config", "check")
	if code != 0 || !strings.Contains(out, "warning: OCEAN_PUBLIC_URL is not https") || !strings.Contains(out, "OCEAN_RATE_LIMITS=off") {
		t.Fatalf("warnings: %d %s", code, out)
	}
	if code, out, _ := run(t, nil, "config", "docs"); code != 0 || !strings.Contains(out, "| `OCEAN_BACKUP_DIR`") {
		t.Fatalf("config docs: %d %s", code, out)
	}
	if code, _, errs := run(t, nil, "config", "frobnicate"); code != 1 || !strings.Contains(errs, "usage") {
		t.Fatalf("config frobnicate: %d %s", code, errs)
	}
}

// TestVersionFromLdflags: a release build's version, commit and date come
// from -ldflags -X; a plain build still names its commit (from the Go
// toolchain's VCS stamp) or says unknown.
func TestVersionFromLdflags(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "ocean")
	pkg := "github.com/oceanshop/ocean/internal/cli"
	build := exec.Command("go", "build", "-o", bin, "-ldflags", "-X "+pkg+".Version=1.2.3 -X "+pkg+".Commit=abc1234 -X "+pkg+".BuildDate=2026-12-06T18:00:00Z", "../../cmd/ocean")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ocean 1.2.3 (commit abc1234, built 2026-12-06T18:00:00Z, go") {
		t.Fatalf("version: %q %v", out, err)
	}
	code, out2, _ := run(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`^ocean \S+ \(commit \S+, built \S+, go\S+ \w+/\w+\)\n$`).MatchString(out2) {
		t.Fatalf("version in tests: %q", out2)
	}
}
