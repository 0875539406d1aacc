package config

import (
	"bufio"
	"os"
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
		out, err := check(env)
		if err != nil || !strings.Contains(out, "configuration is valid") {
			t.Fatalf("%s: %v\n%s", f, err, out)
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
	out, err := check(map[string]string{"OCEAN_PUBLIC_URL": "http://shop.example.com", "OCEAN_RATE_LIMITS": "off"})
	if err != nil || !strings.Contains(out, "warning: OCEAN_PUBLIC_URL is not https") || !strings.Contains(out, "OCEAN_RATE_LIMITS=off") {
		t.Fatalf("warnings: %v %s", err, out)
	}
	if _, err := check(map[string]string{"OCEAN_BACKUP_KEEP": "none"}); err == nil || !strings.Contains(err.Error(), "OCEAN_BACKUP_KEEP") {
		t.Fatalf("bad setting: %v", err)
	}
}

// check is `ocean config check` with env as the environment.
func check(env map[string]string) (string, error) {
	c, _, err := Load(nil, func(k string) string { return env[k] })
	if err != nil {
		return "", err
	}
	var out strings.Builder
	c.Check(&out)
	return out.String(), nil
}
