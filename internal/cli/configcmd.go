package cli

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/oceanshop/ocean/internal/config"
)

// configCmd is `ocean config check`: the settings were already loaded and
// validated (a bad value exits 2 before this runs); it shows where each
// value came from, secrets hidden, and warns about settings that are valid
// but wrong for a shop open to the public.
func configCmd(cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "check" {
		return fmt.Errorf("usage: ocean config check | ocean config docs")
	}
	fmt.Fprintln(out, "configuration is valid")
	for _, s := range config.Settings {
		v := cfg.Value(s.Env)
		switch {
		case config.Secret(s.Env) && v != "":
			v = "(set, hidden)"
		case v == "":
			v = `""`
		default:
			v = config.Redact(v)
		}
		fmt.Fprintf(out, "  %-30s %-40s %s\n", s.Env, v, cfg.Source(s.Env))
	}
	warnings := configWarnings(cfg)
	for _, w := range warnings {
		fmt.Fprintln(out, "warning:", w)
	}
	fmt.Fprintf(out, "%d warning(s)\n", len(warnings))
	return nil
}

// configWarnings are valid settings that a public shop should not run with.
func configWarnings(cfg config.Config) []string {
	var w []string
	public := true
	if u, err := url.Parse(cfg.PublicURL); err == nil {
		h := u.Hostname()
		public = h != "localhost" && h != "127.0.0.1" && h != "::1" && !strings.HasSuffix(h, ".localhost")
		if public && u.Scheme != "https" {
			w = append(w, "OCEAN_PUBLIC_URL is not https: sign-in cookies and card pages need TLS in front of a public shop")
		}
	}
	if !public {
		return w
	}
	if cfg.TLS == "local" && cfg.HTTPSAddr != "" {
		w = append(w, "OCEAN_TLS=local on a public shop: browsers do not trust the development CA and plain HTTP serves the storefront; use OCEAN_TLS=acme (OCEAN_DOMAINS) or files")
	}
	if cfg.RateLimitsOff {
		w = append(w, "OCEAN_RATE_LIMITS=off: nothing limits password guessing or checkout abuse (load tests only)")
	}
	if cfg.PaymentGateway == "sandbox" {
		w = append(w, "OCEAN_PAYMENT_GATEWAY=sandbox on a public shop: only test cards are accepted and nothing is charged")
	}
	if cfg.SMTPURL == "" {
		w = append(w, "OCEAN_SMTP_URL is empty: order confirmations and password resets stay in the dev mailbox")
	}
	if cfg.Source("OCEAN_ADMIN_PASSWORD") == "OCEAN_ADMIN_PASSWORD" {
		w = append(w, "OCEAN_ADMIN_PASSWORD is in the environment: prefer OCEAN_ADMIN_PASSWORD_FILE, or remove it after the first start")
	}
	if cfg.BackupDir == "" {
		w = append(w, "OCEAN_BACKUP_DIR is empty: no scheduled backups")
	}
	if cfg.SandboxFailRate > 0 || cfg.SandboxLatency > 0 {
		w = append(w, "OCEAN_SANDBOX_FAILURE_RATE / OCEAN_SANDBOX_LATENCY are set: payment faults are being rehearsed")
	}
	return w
}
