package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, rest, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./ocean-data" || c.HTTPAddr != ":8080" || c.HTTPSAddr != ":8443" || !c.AutoMigrate || !c.SeedDemo || c.Postgres() || len(rest) != 0 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestEnvAndFlags(t *testing.T) {
	c, rest, err := Load([]string{"--http-addr", "127.0.0.1:9000", "extra"}, env(map[string]string{
		"OCEAN_HTTP_ADDR":    ":1",
		"OCEAN_HTTPS_ADDR":   "off",
		"OCEAN_DATABASE_URL": "postgres://u:p@db:5432/shop",
		"OCEAN_DATA_DIR":     "/var/lib/ocean",
		"OCEAN_AUTO_MIGRATE": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" || c.HTTPSAddr != "" || !c.Postgres() || c.DataDir != "/var/lib/ocean" || c.AutoMigrate || c.SeedDemo {
		t.Fatalf("got %+v", c)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Fatalf("rest = %v", rest)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"SENTRY_DSN": "https://o0.ingest.sentry.io/123"}, nil, "SENTRY_DSN"},
		{map[string]string{"SENTRY_DSN": "ftp://key@host/1"}, nil, "SENTRY_DSN"},
		{map[string]string{"OCEAN_HTTP_ADDR": "8080"}, nil, "OCEAN_HTTP_ADDR"},
		{map[string]string{"OCEAN_HTTPS_ADDR": "localhost:99999"}, nil, "OCEAN_HTTPS_ADDR"},
		{map[string]string{"OCEAN_DATABASE_URL": "mysql://x"}, nil, "OCEAN_DATABASE_URL"},
		{map[string]string{"OCEAN_AUTO_MIGRATE": "perhaps"}, nil, "OCEAN_AUTO_MIGRATE"},
		{map[string]string{"OCEAN_LOG_LEVEL": "loud"}, nil, "OCEAN_LOG_LEVEL"},
		{nil, []string{"--http-addr", "nope"}, "--http-addr"},
		{nil, []string{"--no-such-flag"}, "no-such-flag"},
		{map[string]string{"OCEAN_HTTP_ADDR": "off", "OCEAN_HTTPS_ADDR": "off"}, nil, "nothing to serve"},
	} {
		_, _, err := Load(tc.args, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want it to name %s", tc.env, tc.args, err, tc.want)
		}
	}
}

func TestPasswordNotInError(t *testing.T) {
	_, _, err := Load(nil, env(map[string]string{"OCEAN_DATABASE_URL": "mysql://u:secret@h/db"}))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error = %v", err)
	}
}

// TestPasswordNotInErrorForUnparsableURL: a URL that net/url cannot parse
// (here a '%' in the password and a bad port) still has its password hidden
// in the error the operator sees.
func TestPasswordNotInErrorForUnparsableURL(t *testing.T) {
	for _, tc := range []struct{ env, value string }{
		{"OCEAN_DATABASE_URL", "postgres://ocean:s3cr%et@db.internal:5432/shop"},
		{"OCEAN_DATABASE_URL", "postgres://ocean:s3cr%et@with@at@db:port/shop"},
		{"OCEAN_DATABASE_URL", "postgres://db:bad port/shop?password=s3cr%et"},
		{"OCEAN_REDIS_URL", "redis://:s3cr%et@cache:6379/0"},
	} {
		_, _, err := Load(nil, env(map[string]string{tc.env: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.env) || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%s=%s: error %v; want it to name %s and hide the password", tc.env, tc.value, err, tc.env)
		}
	}
	if got := Redact("postgres://ocean:s3cr%et@db:5432/shop"); got != "postgres://xxxxx@db:5432/shop" {
		t.Errorf("Redact = %q", got)
	}
	for in, want := range map[string]string{
		"postgres://ocean:s3cret@db:5432/shop":               "postgres://ocean:xxxxx@db:5432/shop",
		"postgres://db:5432/shop?sslmode=require&password=s": "postgres://db:5432/shop?password=xxxxx&sslmode=require",
		"redis://:s3cret@cache:6379/0":                       "redis://:xxxxx@cache:6379/0",
		"postgres://db:5432/shop?sslmode=disable":            "postgres://db:5432/shop?sslmode=disable",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedisURL(t *testing.T) {
	c, _, err := Load(nil, env(map[string]string{"OCEAN_REDIS_URL": "rediss://:pw@cache:6380/2", "OCEAN_ENCRYPTION_KEY": "k", "OCEAN_TOKEN_KEYS": "t"}))
	if err != nil || c.RedisURL != "rediss://:pw@cache:6380/2" {
		t.Fatalf("rediss URL: %+v %v", c, err)
	}
	if c, _, err := Load(nil, env(nil)); err != nil || c.RedisURL != "" {
		t.Fatalf("default: %q %v", c.RedisURL, err)
	}
	for _, good := range []string{
		"redis-sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/mymaster",
		"redis-sentinel://:pw@s1:26379,s2:26379,s3:26379/shop/2",
		"redis-sentinel://ocean:p%40ss@s1,[::1]:26380,[fe80::1]/shop/?sentinel_password=sp&sentinel_username=watch",
	} {
		c, _, err := Load(nil, env(map[string]string{"OCEAN_REDIS_URL": good, "OCEAN_ENCRYPTION_KEY": "k", "OCEAN_TOKEN_KEYS": "t"}))
		if err != nil || c.RedisURL != good {
			t.Errorf("OCEAN_REDIS_URL=%s: %q %v", good, c.RedisURL, err)
		}
	}
	for _, bad := range []string{"http://cache:6379", "redis://", "redis://cache:6379/zero", "cache:6379",
		"redis-sentinel://", "redis-sentinel:///mymaster", "redis-sentinel://s1:26379", "redis-sentinel://s1:26379/",
		"redis-sentinel://s1:26379,,s2:26379/mymaster", "redis-sentinel://s1:0/mymaster", "redis-sentinel://s1:x/mymaster",
		"redis-sentinel://s1:26379/my%20master", "redis-sentinel://s1:26379/mymaster/zero", "redis-sentinel://s1:26379/m/0/1",
		"redis-sentinel://s1:26379/mymaster?master_name=other", "redis-sentinel://:s3cr%et@s1:26379/mymaster",
	} {
		_, _, err := Load(nil, env(map[string]string{"OCEAN_REDIS_URL": bad}))
		if err == nil || !strings.Contains(err.Error(), "OCEAN_REDIS_URL") || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("OCEAN_REDIS_URL=%s: error %v, want it to name the variable and hide the password", bad, err)
		}
	}
}

func TestShutdownDelay(t *testing.T) {
	c, _, err := Load(nil, env(nil))
	if err != nil || c.ShutdownDelay != 5*time.Second {
		t.Fatalf("default shutdown delay = %v, %v; want 5s", c.ShutdownDelay, err)
	}
	for v, want := range map[string]time.Duration{"0": 0, "0s": 0, "1m30s": 90 * time.Second, "250ms": 250 * time.Millisecond} {
		c, _, err := Load(nil, env(map[string]string{"OCEAN_SHUTDOWN_DELAY": v}))
		if err != nil || c.ShutdownDelay != want {
			t.Errorf("OCEAN_SHUTDOWN_DELAY=%s: %v, %v; want %v", v, c.ShutdownDelay, err, want)
		}
	}
	for _, bad := range []string{"5", "soon", "-1s"} {
		_, _, err := Load(nil, env(map[string]string{"OCEAN_SHUTDOWN_DELAY": bad}))
		if err == nil || !strings.Contains(err.Error(), "OCEAN_SHUTDOWN_DELAY") {
			t.Errorf("OCEAN_SHUTDOWN_DELAY=%s: error %v, want it to name the variable", bad, err)
		}
	}
	if _, _, err := Load([]string{"--shutdown-delay", "later"}, env(nil)); err == nil || !strings.Contains(err.Error(), "--shutdown-delay") {
		t.Errorf("--shutdown-delay later: %v", err)
	}
}

func TestCommerceSettings(t *testing.T) {
	c, _, err := Load(nil, env(nil))
	if err != nil || !c.PricesIncludeTax || c.ReservationTTL != 10*time.Minute || c.PaymentGateway != "sandbox" || c.SandboxFailRate != 0 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for k, v := range map[string]string{
		"OCEAN_RESERVATION_TTL":      "0s",
		"OCEAN_PAYMENT_GATEWAY":      "paypal",
		"OCEAN_SANDBOX_FAILURE_RATE": "1.5",
		"OCEAN_SANDBOX_LATENCY":      "-1s",
		"OCEAN_PRICES_INCLUDE_TAX":   "maybe",
		"OCEAN_STRIPE_URL":           "ftp://x",
	} {
		if _, _, err := Load(nil, env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
	if _, _, err := Load(nil, env(map[string]string{"OCEAN_PAYMENT_GATEWAY": "stripe"})); err == nil || !strings.Contains(err.Error(), "OCEAN_STRIPE_KEY") {
		t.Errorf("stripe without a key: %v", err)
	}
	_, _, err = Load(nil, env(map[string]string{"OCEAN_PAYMENT_GATEWAY": "stripe", "OCEAN_STRIPE_KEY": "sk_live_secret"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(nil, env(map[string]string{"OCEAN_REDIS_URL": "redis://cache:6379/0"})); err == nil || !strings.Contains(err.Error(), "OCEAN_TOKEN_KEYS") {
		t.Errorf("a fleet without shared keys: %v", err)
	}
}

func TestRedactSentinelPassword(t *testing.T) {
	for _, v := range []string{
		"redis-sentinel://:pw1@h1:26379,h2:26379/mymaster?sentinel_password=topsecret",
		"redis-sentinel://h1:26379/mymaster?sentinel_password=topsecret&x=%zz",
		"postgres://u@h/db?password=topsecret",
	} {
		if got := Redact(v); strings.Contains(got, "topsecret") || strings.Contains(got, "pw1") {
			t.Errorf("Redact(%q) = %q", v, got)
		}
	}
}

// TestSecretsFromFiles: OCEAN_*_FILE reads a secret setting from a file
// (final line break dropped); both set, a missing file, or a non-secret
// setting's _FILE are refused or ignored as documented.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, _, err := Load(nil, env(map[string]string{
		"OCEAN_STRIPE_KEY_FILE":     write("stripe", "sk_test_123\n"),
		"OCEAN_PAYMENT_GATEWAY":     "stripe",
		"OCEAN_DATABASE_URL_FILE":   write("db", "postgres://u:p@db:5432/shop\r\n"),
		"OCEAN_METRICS_TOKEN_FILE":  write("metrics", "0123456789abcdef0123"),
		"OCEAN_LOG_LEVEL_FILE":      write("level", "debug"), // not a secret: ignored
		"OCEAN_ADMIN_PASSWORD_FILE": write("admin", "two words\n\n"),
		"OCEAN_ENCRYPTION_KEY_FILE": write("empty", ""),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.StripeKey != "sk_test_123" || c.DatabaseURL != "postgres://u:p@db:5432/shop" || c.MetricsToken != "0123456789abcdef0123" || c.LogLevel != "info" || c.AdminPassword != "two words" || c.EncryptionKey != "" {
		t.Fatalf("got %+v", c)
	}
	if c.Source("OCEAN_STRIPE_KEY") != "OCEAN_STRIPE_KEY_FILE" || c.Source("OCEAN_LOG_LEVEL") != "default" {
		t.Fatalf("sources: %s, %s", c.Source("OCEAN_STRIPE_KEY"), c.Source("OCEAN_LOG_LEVEL"))
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OCEAN_STRIPE_KEY": "sk_1", "OCEAN_STRIPE_KEY_FILE": write("s2", "sk_2")}, "both OCEAN_STRIPE_KEY and OCEAN_STRIPE_KEY_FILE"},
		{map[string]string{"OCEAN_TOKEN_KEYS_FILE": dir + "/missing"}, "OCEAN_TOKEN_KEYS_FILE"},
		{map[string]string{"OCEAN_DATABASE_URL_FILE": write("bad", "mysql://nope")}, "OCEAN_DATABASE_URL_FILE"},
		{map[string]string{"OCEAN_SMTP_URL_FILE": write("big", strings.Repeat("x", 70<<10))}, "larger than"},
	} {
		_, _, err := Load(nil, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.env, err, tc.want)
		}
	}
	// A secret read from a file is never echoed in an error.
	_, _, err = Load(nil, env(map[string]string{"OCEAN_METRICS_TOKEN_FILE": write("short", "hunter2")}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("short metrics token: %v", err)
	}
}
