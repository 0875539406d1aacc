// Package config turns flags and OCEAN_* environment variables into a
// validated Config. There is no global: Load returns a value and main passes
// it on. Every setting is declared once in Settings, which also feeds
// `ocean help`.
package config

import (
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ratelimit"
)

// Config is everything the program can be told at start.
type Config struct {
	DataDir     string // where the SQLite file, the local CA and certificates live
	DatabaseURL string // postgres://… selects PostgreSQL; empty means SQLite in DataDir
	// DB is the PostgreSQL connection pool's size and timeouts.
	DB        DBPool
	HTTPAddr  string // plain HTTP listener; "" when off
	HTTPSAddr string // HTTPS listener; "" when off

	// TLS is where HTTPS certificates come from: "local" (a development CA
	// in the data dir; plain HTTP serves the shop too), "acme" (obtained
	// and renewed from an ACME CA, kept in the database) or "files".
	TLS           string
	Domains       []string // acme: the names to obtain certificates for
	ACMEEmail     string   // acme: the account's contact for expiry and problem notices
	ACMEDirectory string   // acme: the CA's directory URL
	ACMECARoot    string   // acme: a PEM file of roots to trust when talking to a private ACME server
	TLSCertFile   string   // files: the certificate chain (PEM)
	TLSKeyFile    string   // files: its private key (PEM)
	HSTSPreload   bool     // add preload to Strict-Transport-Security

	AutoMigrate bool   // serve may apply pending migrations at start
	SeedDemo    bool   // seed the demo catalog when the catalog is empty
	LogLevel    string // debug, info, warn, error
	LogFormat   string // text or json
	// ShutdownDelay is how long serve keeps answering, with /readyz at 503,
	// after SIGTERM/SIGINT before it closes the listeners: the time a load
	// balancer needs to notice and stop sending new requests.
	ShutdownDelay time.Duration
	RedisURL      string // redis://…, rediss://… or redis-sentinel://… makes instances one shop (locks, cache, limits); empty keeps it in process
	PublicURL     string // the shop's public origin for links in mail and the token issuer
	AdminEmail    string // the first admin's email
	AdminPassword string // the first admin's password; empty: generated
	EncryptionKey string // personal-data keys; empty: key file in DataDir
	TokenKeys     string // API token signing keys; empty: key file in DataDir
	SMTPURL       string // outgoing mail; empty: dev mailbox
	MailFrom      string // From of the shop's mail

	PricesIncludeTax bool          // catalog prices include tax (VAT) of the destination
	ReservationTTL   time.Duration // how long a checkout holds stock while payment runs
	PaymentGateway   string        // sandbox or stripe: the gateway checkouts use by default
	StripeKey        string        // Stripe secret key
	StripeURL        string        // Stripe API base URL (stripe-mock in tests)
	StripeWebhookKey string        // Stripe webhook signing secret
	SandboxLatency   time.Duration // added to every sandbox gateway call
	SandboxFailRate  float64       // share of sandbox calls that fail as if the network broke

	RateLimitsOff  bool                        // OCEAN_RATE_LIMITS=off: no class is limited (load tests)
	RateLimits     map[string]ratelimit.Policy // quota per class: api, signin, reset, checkout
	MaxInFlight    int                         // requests served at once; more wait, then get 503 (0: no bound)
	AdmissionWait  time.Duration               // how long a request waits for room before its 503
	TrustedProxies []netip.Prefix              // peers whose X-Forwarded-For names the client
	CORSOrigins    []string                    // origins whose browser code may call the API
	MetricsToken   string                      // bearer token of GET /metrics; empty: /metrics is not served
	SentryDSN      string                      // where captured errors are also sent (SENTRY_DSN); empty: the built-in tracker only
	MCPToken       string                      // access token `ocean mcp` (stdio) acts with
	MCPUser        string                      // e-mail of the staff account `ocean mcp` (stdio) acts as

	BackupDir      string        // scheduled backups go here; empty: no scheduled backups
	BackupInterval time.Duration // time between scheduled backups
	BackupKeep     int           // backups kept in BackupDir (the oldest go first)
	PGBinDir       string        // where pg_dump, pg_restore and psql are; empty: searched
	PIDFile        string        // serve writes its pid here; set, it enables in-place upgrades
	DebugAddr      string        // loopback listener for pprof profiles; "" when off

	// CrashAfterAuthorize is a test hook, not a setting: checkouts stop
	// between the payment authorization and the order commit, so a test can
	// kill the process there (OCEAN_TEST_CRASH_AFTER_AUTHORIZE=1).
	CrashAfterAuthorize bool
	// ACMERenewCheck is a test hook, not a setting: how often ACME
	// certificates are checked for renewal (OCEAN_TEST_ACME_RENEW_CHECK, a
	// duration; 0: certmagic's 10 minutes), for tests with certificates
	// that live seconds.
	ACMERenewCheck time.Duration

	sources map[string]string // variable → where its value came from
	values  map[string]string // variable → the value as given
}

// DBPool is the PostgreSQL pool of one instance. A fleet's instances
// together must stay under the server's max_connections.
type DBPool struct {
	MaxConns         int           // connections open at most
	MaxIdle          int           // connections kept open when idle
	ConnMaxLifetime  time.Duration // a connection is replaced after this long (0: never)
	ConnectTimeout   time.Duration // dialling and authenticating one connection
	StatementTimeout time.Duration // PostgreSQL cancels a statement running longer (0: never)
}

// Source says where a setting's value came from: its variable, its _FILE
// variable, its --flag, or "default".
func (c Config) Source(env string) string {
	if s := c.sources[env]; s != "" {
		return s
	}
	return "default"
}

// Value is a setting's value as given (before parsing), secrets included:
// callers show it only through Redact or not at all.
func (c Config) Value(env string) string { return c.values[env] }

// Secret reports whether a setting holds a secret, never to be shown.
func Secret(env string) bool { return secretSettings[env] }

// Postgres reports whether the configured database is PostgreSQL.
func (c Config) Postgres() bool { return c.DatabaseURL != "" }

// Setting describes one setting: its flag, its variable, its default and
// what it does.
type Setting struct {
	Flag, Env, Default, Help string
	set                      func(c *Config, v string) error
}

// Settings lists every setting in the order `ocean help` shows them.
var Settings = []Setting{
	{"data-dir", "OCEAN_DATA_DIR", "./ocean-data", "directory for the SQLite database, the local CA and TLS certificates",
		func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			c.DataDir = v
			return nil
		}},
	{"database-url", "OCEAN_DATABASE_URL", "", "postgres://user:pass@host:5432/db selects PostgreSQL; empty uses SQLite in the data dir",
		func(c *Config, v string) error {
			if v == "" {
				c.DatabaseURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
				return errors.New("must be a postgres://user:password@host:port/database URL")
			}
			c.DatabaseURL = v
			return nil
		}},
	{"database-max-conns", "OCEAN_DATABASE_MAX_CONNS", "32", "PostgreSQL: connections each instance opens at most (the instances of a fleet together must stay under the server's max_connections)",
		intIn(func(c *Config) *int { return &c.DB.MaxConns }, 1, 10000)},
	{"database-max-idle", "OCEAN_DATABASE_MAX_IDLE", "32", "PostgreSQL: connections kept open while idle (at most OCEAN_DATABASE_MAX_CONNS)",
		intIn(func(c *Config) *int { return &c.DB.MaxIdle }, 0, 10000)},
	{"database-conn-lifetime", "OCEAN_DATABASE_CONN_LIFETIME", "30m", "PostgreSQL: a connection is closed and replaced after this long (spreads reconnects after a failover; 0s: never)",
		duration(func(c *Config) *time.Duration { return &c.DB.ConnMaxLifetime }, 0, 24*time.Hour)},
	{"database-connect-timeout", "OCEAN_DATABASE_CONNECT_TIMEOUT", "5s", "PostgreSQL: how long dialling and authenticating one connection may take (a connect_timeout in OCEAN_DATABASE_URL wins)",
		duration(func(c *Config) *time.Duration { return &c.DB.ConnectTimeout }, 100*time.Millisecond, 5*time.Minute)},
	{"database-statement-timeout", "OCEAN_DATABASE_STATEMENT_TIMEOUT", "1m", "PostgreSQL: the server cancels a statement that runs longer, so a stuck query frees its connection (0s: never; a statement_timeout in OCEAN_DATABASE_URL wins)",
		duration(func(c *Config) *time.Duration { return &c.DB.StatementTimeout }, 0, time.Hour)},
	{"http-addr", "OCEAN_HTTP_ADDR", ":8080", "plain HTTP listen address (host:port), or off", addr(func(c *Config) *string { return &c.HTTPAddr })},
	{"https-addr", "OCEAN_HTTPS_ADDR", ":8443", "HTTPS listen address (host:port), or off; the certificate comes from OCEAN_TLS", addr(func(c *Config) *string { return &c.HTTPSAddr })},
	{"tls", "OCEAN_TLS", "local", "where HTTPS certificates come from: local (a development CA in the data dir; plain HTTP serves the shop too), acme (obtained and renewed from Let's Encrypt or another ACME CA for OCEAN_DOMAINS; plain HTTP only redirects) or files (OCEAN_TLS_CERT_FILE and OCEAN_TLS_KEY_FILE, reloaded when they change; plain HTTP only redirects)",
		oneOf(func(c *Config) *string { return &c.TLS }, "local", "acme", "files")},
	{"domains", "OCEAN_DOMAINS", "", "acme: comma-separated domain names to obtain certificates for (e.g. shop.example.com,www.shop.example.com); their DNS must point here and ports 80 and 443 reach OCEAN_HTTP_ADDR and OCEAN_HTTPS_ADDR",
		func(c *Config, v string) error {
			c.Domains = nil
			for _, d := range strings.Split(v, ",") {
				d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
				if d == "" {
					continue
				}
				if !domainName(d) {
					return fmt.Errorf("%q is not a domain name like shop.example.com (no wildcards, addresses or ports)", d)
				}
				if !slices.Contains(c.Domains, d) {
					c.Domains = append(c.Domains, d)
				}
			}
			return nil
		}},
	{"acme-email", "OCEAN_ACME_EMAIL", "", "acme: the ACME account's email, where the CA sends notices about expiring certificates and problems; empty: no account contact",
		func(c *Config, v string) error {
			if v != "" && (!strings.Contains(v, "@") || strings.ContainsAny(v, " \r\n<>,")) {
				return errors.New("must be an email address")
			}
			c.ACMEEmail = v
			return nil
		}},
	{"acme-directory", "OCEAN_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory", "acme: the ACME CA's directory URL (Let's Encrypt production by default; its staging https://acme-staging-v02.api.letsencrypt.org/directory or a private CA's work too)",
		func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
				return errors.New("must be an https:// URL of an ACME directory")
			}
			c.ACMEDirectory = v
			return nil
		}},
	{"acme-ca-root", "OCEAN_ACME_CA_ROOT", "", "acme: a PEM file of CA certificates to trust when talking to a private ACME server; empty: the system's roots",
		func(c *Config, v string) error {
			if v == "" {
				c.ACMECARoot = ""
				return nil
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot be read: %w", err)
			}
			if blk, _ := pem.Decode(b); blk == nil || blk.Type != "CERTIFICATE" {
				return errors.New("holds no PEM certificate")
			}
			c.ACMECARoot = v
			return nil
		}},
	{"tls-cert-file", "OCEAN_TLS_CERT_FILE", "", "files: the certificate chain (PEM, leaf first); re-read when it changes, without a restart",
		func(c *Config, v string) error { c.TLSCertFile = v; return nil }},
	{"tls-key-file", "OCEAN_TLS_KEY_FILE", "", "files: the private key of the certificate (PEM); a pair that does not match is refused and the previous one keeps serving",
		func(c *Config, v string) error { c.TLSKeyFile = v; return nil }},
	{"hsts-preload", "OCEAN_HSTS_PRELOAD", "false", "true adds preload to Strict-Transport-Security (max-age=63072000; includeSubDomains), for submission to the browsers' HSTS preload list: every subdomain must then serve HTTPS",
		boolean(func(c *Config) *bool { return &c.HSTSPreload })},
	{"auto-migrate", "OCEAN_AUTO_MIGRATE", "true", "apply pending database migrations at start; when false, serve refuses an outdated schema",
		boolean(func(c *Config) *bool { return &c.AutoMigrate })},
	{"seed-demo", "OCEAN_SEED_DEMO", "auto", "seed the demo catalog and discount codes into an empty database: true, false, or auto (only on SQLite)",
		func(c *Config, v string) error {
			if v == "auto" {
				c.SeedDemo = c.DatabaseURL == ""
				return nil
			}
			return boolean(func(c *Config) *bool { return &c.SeedDemo })(c, v)
		}},
	{"log-level", "OCEAN_LOG_LEVEL", "info", "debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{"log-format", "OCEAN_LOG_FORMAT", "text", "text or json", oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{"redis-url", "OCEAN_REDIS_URL", "", "redis://[:password@]host:6379/0, rediss://… or redis-sentinel://[:password@]host1:26379,host2:26379,host3:26379/master-name[/db][?sentinel_password=…] runs several instances as one shop (locks, cache, rate limits); empty keeps them in process",
		func(c *Config, v string) error {
			if v == "" {
				c.RedisURL = ""
				return nil
			}
			if strings.HasPrefix(v, "redis-sentinel://") {
				if err := sentinelURL(v); err != nil {
					return err
				}
				c.RedisURL = v
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
				return errors.New("must be a redis://[:password@]host:port/db, rediss://… or redis-sentinel://host1:26379,host2:26379/master-name URL")
			}
			if db := strings.TrimPrefix(u.Path, "/"); db != "" {
				if n, err := strconv.Atoi(db); err != nil || n < 0 {
					return errors.New("the path must be a database number, like redis://host:6379/0")
				}
			}
			c.RedisURL = v
			return nil
		}},
	{"shutdown-delay", "OCEAN_SHUTDOWN_DELAY", "5s", "on SIGTERM/SIGINT, keep serving with /readyz at 503 this long so load balancers stop sending traffic, then drain (0s: no wait)",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errors.New("must be a duration like 5s, 500ms or 0s")
			}
			c.ShutdownDelay = d
			return nil
		}},
	{"public-url", "OCEAN_PUBLIC_URL", "https://localhost:8443", "the shop's public origin, used in links in mail and as the API token issuer; never taken from a request's Host header",
		func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
				return errors.New("must be an origin like https://shop.example.com")
			}
			c.PublicURL = strings.TrimSuffix(v, "/")
			return nil
		}},
	{"admin-email", "OCEAN_ADMIN_EMAIL", "admin@localhost", "email of the first admin account, created on first start when the shop has no admin",
		func(c *Config, v string) error {
			if !strings.Contains(v, "@") || strings.ContainsAny(v, " \r\n<>") {
				return errors.New("must be an email address")
			}
			c.AdminEmail = v
			return nil
		}},
	{"admin-password", "OCEAN_ADMIN_PASSWORD", "", "password of the first admin; empty: one is generated and printed once on the terminal (never logged)",
		func(c *Config, v string) error { c.AdminPassword = v; return nil }},
	{"encryption-key", "OCEAN_ENCRYPTION_KEY", "", "keys for personal data at rest, id:base64key[,id:key…] (first is primary); empty: a key file in the data dir, created on first start (0600). A fleet must set it",
		func(c *Config, v string) error { c.EncryptionKey = v; return nil }},
	{"token-keys", "OCEAN_TOKEN_KEYS", "", "API token signing keys, kid:base64seed[,kid:seed…] (first signs, all verify); empty: a key file in the data dir. A fleet must set it",
		func(c *Config, v string) error { c.TokenKeys = v; return nil }},
	{"smtp-url", "OCEAN_SMTP_URL", "", "smtp://user:pass@host:587 (STARTTLS) or smtps://…:465 sends mail; empty keeps mail in a dev mailbox at /admin/mailbox",
		func(c *Config, v string) error {
			if v == "" {
				c.SMTPURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
				return errors.New("must be an smtp://user:password@host:port or smtps://… URL")
			}
			c.SMTPURL = v
			return nil
		}},
	{"mail-from", "OCEAN_MAIL_FROM", "Ocean shop <shop@localhost>", "the From address of the shop's mail",
		func(c *Config, v string) error {
			if !strings.Contains(v, "@") || strings.ContainsAny(v, "\r\n") {
				return errors.New("must be an address like Shop <shop@example.com>")
			}
			c.MailFrom = v
			return nil
		}},
	{"prices-include-tax", "OCEAN_PRICES_INCLUDE_TAX", "true", "whether catalog prices include tax when the shop has no settings row; the admin settings (prices include tax) decide otherwise",
		boolean(func(c *Config) *bool { return &c.PricesIncludeTax })},
	{"reservation-ttl", "OCEAN_RESERVATION_TTL", "10m", "how long a checkout holds stock while payment runs; unpaid reservations are released after it",
		duration(func(c *Config) *time.Duration { return &c.ReservationTTL }, time.Second, 24*time.Hour)},
	{"payment-gateway", "OCEAN_PAYMENT_GATEWAY", "sandbox", "sandbox (built-in test gateway, test cards only) or stripe (needs OCEAN_STRIPE_KEY)",
		oneOf(func(c *Config) *string { return &c.PaymentGateway }, "sandbox", "stripe")},
	{"stripe-key", "OCEAN_STRIPE_KEY", "", "Stripe secret API key (sk_…), needed when the payment gateway is stripe",
		func(c *Config, v string) error { c.StripeKey = v; return nil }},
	{"stripe-url", "OCEAN_STRIPE_URL", "https://api.stripe.com", "Stripe API base URL (point it at stripe-mock to test)",
		func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errors.New("must be a URL like https://api.stripe.com")
			}
			c.StripeURL = strings.TrimSuffix(v, "/")
			return nil
		}},
	{"stripe-webhook-secret", "OCEAN_STRIPE_WEBHOOK_SECRET", "", "signing secret (whsec_…) of the Stripe webhook endpoint /webhooks/stripe; empty refuses Stripe webhooks",
		func(c *Config, v string) error { c.StripeWebhookKey = v; return nil }},
	{"sandbox-latency", "OCEAN_SANDBOX_LATENCY", "0s", "delay added to every sandbox gateway call, to rehearse a slow payment provider",
		duration(func(c *Config) *time.Duration { return &c.SandboxLatency }, 0, time.Minute)},
	{"sandbox-failure-rate", "OCEAN_SANDBOX_FAILURE_RATE", "0", "share (0 to 1) of sandbox gateway calls that fail as if the network broke, to rehearse outages",
		func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return errors.New("must be a number from 0 to 1, like 0.05")
			}
			c.SandboxFailRate = f
			return nil
		}},
	{"max-in-flight", "OCEAN_MAX_IN_FLIGHT", "256", "requests this instance works on at once; more wait up to OCEAN_ADMISSION_WAIT, then get 503 with Retry-After, so an instance past what its cores can serve still serves what it admits in time; a quarter of the room is kept for requests that change something (cart, checkout, sign-in); health checks, /metrics, static files and MCP event streams are never held back (0: no bound)",
		intIn(func(c *Config) *int { return &c.MaxInFlight }, 0, 1000000)},
	{"admission-wait", "OCEAN_ADMISSION_WAIT", "250ms", "how long a request may wait for room under OCEAN_MAX_IN_FLIGHT before it is answered 503",
		duration(func(c *Config) *time.Duration { return &c.AdmissionWait }, 0, time.Minute)},
	{"rate-limits", "OCEAN_RATE_LIMITS", "on", "on, or off to turn every rate limit off (load tests only)",
		func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "on":
				c.RateLimitsOff = false
			case "off":
				c.RateLimitsOff = true
			default:
				return errors.New("must be on or off")
			}
			return nil
		}},
	rateLimit(ratelimit.API, "100/min", "requests to /api per client address, in any rolling window; off disables"),
	rateLimit(ratelimit.SignIn, "10/min", "sign-in attempts (form and API) per client address"),
	rateLimit(ratelimit.Reset, "5/15m", "password-reset requests per client address (each may send a mail)"),
	rateLimit(ratelimit.Checkout, "20/min", "checkout attempts per client address"),
	{"trusted-proxies", "OCEAN_TRUSTED_PROXIES", "", "addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (e.g. 10.0.0.0/8,loopback); empty trusts none",
		func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				c.TrustedProxies = nil
				return nil
			}
			ps, err := ratelimit.ParseTrustedProxies(v)
			if err != nil {
				return err
			}
			c.TrustedProxies = ps
			return nil
		}},
	{"cors-origins", "OCEAN_CORS_ORIGINS", "", "origins whose browser code may call the API, e.g. https://app.example.com,http://localhost:3000 (never a wildcard; no cookies are shared); empty: no cross-origin calls",
		func(c *Config, v string) error {
			o, err := httpx.ParseOrigins(v)
			if err != nil {
				return err
			}
			c.CORSOrigins = o
			return nil
		}},
	{"metrics-token", "OCEAN_METRICS_TOKEN", "", "bearer token a Prometheus scraper sends to GET /metrics (at least 16 characters, e.g. from openssl rand -hex 32); empty: /metrics answers 404",
		func(c *Config, v string) error {
			if v != "" && (len(v) < 16 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f })) {
				return errors.New("must be at least 16 characters without spaces or control characters")
			}
			c.MetricsToken = v
			return nil
		}},
	{"sentry-dsn", "SENTRY_DSN", "", "Sentry project DSN (https://key@host/project): captured errors, already scrubbed of personal data, are sent there as well as to /admin/errors; empty: the built-in tracker only",
		func(c *Config, v string) error {
			if v == "" {
				c.SentryDSN = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User == nil || u.User.Username() == "" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
				return errors.New("must be a Sentry DSN like https://publickey@o0.ingest.sentry.io/123")
			}
			c.SentryDSN = v
			return nil
		}},
	{"mcp-token", "OCEAN_MCP_TOKEN", "", "`ocean mcp` (stdio) only: an API access token its tool calls act with (it expires after 15 minutes); empty: OCEAN_MCP_USER, else shopper tools only",
		func(c *Config, v string) error { c.MCPToken = strings.TrimSpace(v); return nil }},
	{"mcp-user", "OCEAN_MCP_USER", "", "`ocean mcp` (stdio) only: e-mail of the admin or staff account whose operator tools it may use (its role is read at every call); empty: shopper tools only",
		func(c *Config, v string) error { c.MCPUser = strings.TrimSpace(v); return nil }},
	{"backup-dir", "OCEAN_BACKUP_DIR", "", "directory for scheduled backups (one instance of a fleet makes them, the holder of the backup lock) and the default of `ocean backup`; empty: no scheduled backups",
		func(c *Config, v string) error { c.BackupDir = v; return nil }},
	{"backup-interval", "OCEAN_BACKUP_INTERVAL", "24h", "time between scheduled backups, like 6h or 30m",
		duration(func(c *Config) *time.Duration { return &c.BackupInterval }, time.Second, 31*24*time.Hour)},
	{"backup-keep", "OCEAN_BACKUP_KEEP", "7", "how many backups to keep in the backup directory; older ones are deleted after a new one is complete",
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return errors.New("must be a number from 1 to 10000")
			}
			c.BackupKeep = n
			return nil
		}},
	{"pg-bin-dir", "OCEAN_PG_BIN_DIR", "", "directory of pg_dump, pg_restore and psql for backups of PostgreSQL; empty: the newest /usr/lib/postgresql/N/bin, else PATH",
		func(c *Config, v string) error { c.PGBinDir = v; return nil }},
	{"pid-file", "OCEAN_PID_FILE", "", "file where serve writes its process id; setting it enables in-place upgrades: SIGHUP or `ocean upgrade` starts the binary now at the same path on the same sockets, and this process drains and exits once the new one is ready",
		func(c *Config, v string) error { c.PIDFile = v; return nil }},
	{"debug-addr", "OCEAN_DEBUG_ADDR", "", "loopback host:port of a listener serving Go's pprof profiles (/debug/pprof/: CPU, heap, allocations, mutex and block contention, goroutines) for profiling under load; empty: off. Loopback addresses only: profiles show the shop's internals",
		func(c *Config, v string) error {
			if v == "" || v == "off" {
				c.DebugAddr = ""
				return nil
			}
			host, port, err := net.SplitHostPort(v)
			ip, ierr := netip.ParseAddr(host)
			if err != nil || port == "" || (host != "localhost" && (ierr != nil || !ip.IsLoopback())) {
				return errors.New("must be a loopback host:port, like 127.0.0.1:6060")
			}
			c.DebugAddr = v
			return nil
		}},
}

// rateLimit is the setting of one rate-limit class's quota.
func rateLimit(class, def, help string) Setting {
	name := strings.ToLower(strings.TrimPrefix(ratelimit.EnvVar(class), "OCEAN_"))
	return Setting{strings.ReplaceAll(name, "_", "-"), ratelimit.EnvVar(class), def, help + " (e.g. " + def + ")",
		func(c *Config, v string) error {
			p, err := ratelimit.ParsePolicy(v)
			if err != nil {
				return err
			}
			if c.RateLimits == nil {
				c.RateLimits = map[string]ratelimit.Policy{}
			}
			c.RateLimits[class] = p
			return nil
		}}
}

// FileSettings may also be given as the content of a file named by the
// variable with _FILE appended (OCEAN_STRIPE_KEY_FILE=/run/secrets/stripe),
// the way container platforms mount secrets: the value never sits in the
// environment or a process listing.
var FileSettings = map[string]bool{"OCEAN_DATABASE_URL": true, "OCEAN_REDIS_URL": true, "OCEAN_SMTP_URL": true,
	"OCEAN_ADMIN_PASSWORD": true, "OCEAN_ENCRYPTION_KEY": true, "OCEAN_TOKEN_KEYS": true, "OCEAN_STRIPE_KEY": true,
	"OCEAN_STRIPE_WEBHOOK_SECRET": true, "OCEAN_METRICS_TOKEN": true, "OCEAN_MCP_TOKEN": true, "SENTRY_DSN": true}

// maxSecretFile bounds what a _FILE setting reads.
const maxSecretFile = 64 << 10

// fromFile reads the value of a _FILE setting: the file's content without
// its final line break.
func fromFile(env, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", env, err)
	}
	defer func() { _ = f.Close() }() // read only
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", env, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s_FILE: %s is larger than %d bytes; it must hold only the value", env, path, maxSecretFile)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// secretSettings are never echoed in errors.
var secretSettings = map[string]bool{"OCEAN_ADMIN_PASSWORD": true, "OCEAN_ENCRYPTION_KEY": true, "OCEAN_TOKEN_KEYS": true, "OCEAN_STRIPE_KEY": true, "OCEAN_STRIPE_WEBHOOK_SECRET": true, "OCEAN_METRICS_TOKEN": true, "OCEAN_MCP_TOKEN": true, "SENTRY_DSN": true}

func duration(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %s to %s, like 10m or 30s", lo, hi)
		}
		*field(c) = d
		return nil
	}
}

func addr(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "off" || v == "" {
			*field(c) = ""
			return nil
		}
		host, port, err := net.SplitHostPort(v)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
			return errors.New("must be host:port, like :8080 or 127.0.0.1:8080, or off")
		}
		*field(c) = v
		return nil
	}
}

func intIn(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		*field(c) = n
		return nil
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = b
		return nil
	}
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

// Load reads settings: defaults, then environment (getenv), then flags in
// args. It returns the remaining arguments. A bad value is an error that
// names the flag or variable it came from.
func Load(args []string, getenv func(string) string) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet("ocean", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := make([]*string, len(Settings))
	for i, s := range Settings {
		flags[i] = fs.String(s.Flag, "", s.Help)
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, fmt.Errorf("%w (see `ocean help`)", err)
	}
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[f.Name] = true })
	// Apply in declaration order: seed-demo's "auto" depends on database-url.
	for i, s := range Settings {
		v, source := s.Default, ""
		if e := getenv(s.Env); e != "" {
			v, source = e, s.Env
		}
		if f := getenv(s.Env + "_FILE"); f != "" && FileSettings[s.Env] {
			if source != "" {
				return c, nil, fmt.Errorf("both %s and %s_FILE are set: set one", s.Env, s.Env)
			}
			fv, err := fromFile(s.Env, f)
			if err != nil {
				return c, nil, err
			}
			v, source = fv, s.Env+"_FILE"
		}
		if seen[s.Flag] {
			v, source = *flags[i], "--"+s.Flag
		}
		if c.sources == nil {
			c.sources, c.values = map[string]string{}, map[string]string{}
		}
		c.sources[s.Env], c.values[s.Env] = source, v
		if err := s.set(&c, v); err != nil {
			if source == "" {
				source = s.Env
			}
			if secretSettings[s.Env] {
				return c, nil, fmt.Errorf("%s (value hidden) %w", source, err)
			}
			return c, nil, fmt.Errorf("%s=%q %w", source, Redact(v), err)
		}
	}
	if c.HTTPAddr == "" && c.HTTPSAddr == "" {
		return c, nil, errors.New("OCEAN_HTTP_ADDR and OCEAN_HTTPS_ADDR are both off: nothing to serve")
	}
	if err := c.checkTLS(); err != nil {
		return c, nil, err
	}
	c.CrashAfterAuthorize = getenv("OCEAN_TEST_CRASH_AFTER_AUTHORIZE") == "1"
	if v := getenv("OCEAN_TEST_ACME_RENEW_CHECK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, nil, fmt.Errorf("OCEAN_TEST_ACME_RENEW_CHECK=%q must be a duration like 1s", v)
		}
		c.ACMERenewCheck = d
	}
	if c.RedisURL != "" && (c.EncryptionKey == "" || c.TokenKeys == "") {
		// Several instances must agree on keys: a token signed or a field
		// encrypted on one must be valid on every other.
		return c, nil, errors.New("OCEAN_REDIS_URL runs several instances as one shop, so every instance needs the same keys: set OCEAN_ENCRYPTION_KEY and OCEAN_TOKEN_KEYS (`ocean keys generate` prints new ones)")
	}
	if c.PaymentGateway == "stripe" && c.StripeKey == "" {
		return c, nil, errors.New("OCEAN_PAYMENT_GATEWAY=stripe needs OCEAN_STRIPE_KEY (a secret key, sk_…)")
	}
	return c, fs.Args(), nil
}

var passwordParam = regexp.MustCompile(`(?i)(\b[a-z_]*password=)[^&#\s]*`)

// Redact hides the credentials in a URL setting so that it can be shown in
// errors and logs: the password of the user info and password query
// parameters. When the URL does not parse, nobody can tell where the
// password ends, so everything between "://" and the last "@" is hidden.
func Redact(v string) string {
	const mask = "xxxxx"
	u, err := url.Parse(v)
	if err != nil {
		if i := strings.Index(v, "://"); i >= 0 {
			if j := strings.LastIndex(v[i+3:], "@"); j >= 0 {
				v = v[:i+3] + mask + v[i+3+j:]
			}
		}
		return passwordParam.ReplaceAllString(v, "${1}"+mask)
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), mask)
			changed = true
		}
	}
	if q := u.Query(); passwordParam.MatchString(u.RawQuery) {
		for k := range q {
			if strings.HasSuffix(strings.ToLower(k), "password") {
				q.Set(k, mask)
			}
		}
		u.RawQuery, changed = q.Encode(), true
	}
	if !changed {
		return v
	}
	return u.String()
}

// sentinelURL checks a redis-sentinel://[[user]:password@]host1:26379,
// host2:26379/master-name[/db][?sentinel_password=…&sentinel_username=…]
// URL: the Sentinels' addresses (port 26379 when left out), the name of the
// primary they watch and an optional database number. internal/redis.Open
// reads the same syntax; its errors never quote the password.
func sentinelURL(v string) error {
	const syntax = "redis-sentinel://[:password@]host1:26379,host2:26379,host3:26379/master-name[/db]"
	rest := strings.TrimPrefix(v, "redis-sentinel://")
	if strings.ContainsAny(rest, "# \t\r\n") {
		return errors.New("must be a " + syntax + " URL without spaces or fragment (percent-encode special characters in passwords)")
	}
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if _, err := url.PathUnescape(authority[:at]); err != nil {
			return errors.New("the user name or password is not percent-encoded correctly")
		}
		authority = authority[at+1:]
	}
	if authority == "" {
		return errors.New("names no Sentinel: it must be a " + syntax + " URL")
	}
	for _, a := range strings.Split(authority, ",") {
		host, port, err := net.SplitHostPort(a)
		if err != nil && (!strings.Contains(a, ":") || strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]")) {
			host, port, err = strings.Trim(a, "[]"), "26379", nil // no port: the Sentinel default
		}
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || strings.ContainsAny(host, "[]@/") || perr != nil || n < 1 || n > 65535 {
			return fmt.Errorf("Sentinel address %q is not host:port (%s)", a, syntax) //nolint:staticcheck // Sentinel is a proper name (Redis Sentinel)
		}
	}
	path = strings.TrimSuffix(path, "/")
	seg := strings.Split(path, "/")
	name, err := url.PathUnescape(seg[0])
	if path == "" || len(seg) > 2 || err != nil || name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("the path must be the Sentinel master name and an optional database number, like " + syntax)
	}
	if len(seg) == 2 {
		if n, err := strconv.Atoi(seg[1]); err != nil || n < 0 {
			return errors.New("the database number after the master name must be a number, like redis-sentinel://host:26379/mymaster/0")
		}
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return errors.New("the query is not percent-encoded correctly")
		}
		for k := range q {
			if k != "sentinel_password" && k != "sentinel_username" {
				return fmt.Errorf("unknown parameter %q: a redis-sentinel URL takes sentinel_password and sentinel_username", k)
			}
		}
	}
	return nil
}

// domainName reports whether d is a fully qualified DNS name an ACME CA can
// issue for: letters, digits and hyphens in dot-separated labels, at least
// two labels, not an IP address.
func domainName(d string) bool {
	if len(d) > 253 || net.ParseIP(d) != nil || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkTLS checks the TLS settings together.
func (c *Config) checkTLS() error {
	if c.TLS != "acme" && len(c.Domains) > 0 {
		return fmt.Errorf("OCEAN_DOMAINS is only used with OCEAN_TLS=acme (OCEAN_TLS is %s)", c.TLS)
	}
	if c.TLS != "files" && (c.TLSCertFile != "" || c.TLSKeyFile != "") {
		return fmt.Errorf("OCEAN_TLS_CERT_FILE and OCEAN_TLS_KEY_FILE are only used with OCEAN_TLS=files (OCEAN_TLS is %s)", c.TLS)
	}
	if c.TLS == "local" {
		return nil
	}
	if c.HTTPSAddr == "" {
		return fmt.Errorf("OCEAN_TLS=%s serves the shop over HTTPS only: OCEAN_HTTPS_ADDR must not be off", c.TLS)
	}
	u, _ := url.Parse(c.PublicURL)
	if u == nil || u.Scheme != "https" {
		return fmt.Errorf("OCEAN_TLS=%s: OCEAN_PUBLIC_URL must be the shop's https:// origin (plain HTTP redirects there), not %s", c.TLS, c.PublicURL)
	}
	switch c.TLS {
	case "acme":
		if len(c.Domains) == 0 {
			return errors.New("OCEAN_TLS=acme needs OCEAN_DOMAINS: the domain names to obtain certificates for (e.g. shop.example.com)")
		}
		if !slices.Contains(c.Domains, strings.ToLower(u.Hostname())) {
			return fmt.Errorf("OCEAN_PUBLIC_URL's host %s is not in OCEAN_DOMAINS (%s): plain HTTP redirects there, so it needs a certificate", u.Hostname(), strings.Join(c.Domains, ","))
		}
	case "files":
		if c.TLSCertFile == "" || c.TLSKeyFile == "" {
			return errors.New("OCEAN_TLS=files needs OCEAN_TLS_CERT_FILE (the certificate chain, PEM) and OCEAN_TLS_KEY_FILE (its key)")
		}
	}
	return nil
}
