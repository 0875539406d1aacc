package config

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/oceanshop/ocean/internal/ratelimit"
)

// Check is `ocean config check` on settings that were already loaded and
// validated: it shows where each value came from, secrets hidden, and warns
// about settings that are valid but wrong for a shop open to the public.
func (c Config) Check(out io.Writer) {
	fmt.Fprintln(out, "configuration is valid")
	for _, s := range Settings {
		v := c.Value(s.Env)
		switch {
		case Secret(s.Env) && v != "":
			v = "(set, hidden)"
		case v == "":
			v = `""`
		default:
			v = Redact(v)
		}
		fmt.Fprintf(out, "  %-30s %-40s %s\n", s.Env, v, c.Source(s.Env))
	}
	warnings := c.Warnings()
	for _, w := range warnings {
		fmt.Fprintln(out, "warning:", w)
	}
	fmt.Fprintf(out, "%d warning(s)\n", len(warnings))
}

// Warnings are the valid settings that a public shop should not run with.
func (c Config) Warnings() []string {
	var w []string
	public := true
	if u, err := url.Parse(c.PublicURL); err == nil {
		h := u.Hostname()
		public = h != "localhost" && h != "127.0.0.1" && h != "::1" && !strings.HasSuffix(h, ".localhost")
		if public && u.Scheme != "https" {
			w = append(w, "OCEAN_PUBLIC_URL is not https: sign-in cookies and card pages need TLS in front of a public shop")
		}
	}
	if !public {
		return w
	}
	if c.TLS == "local" && c.HTTPSAddr != "" {
		w = append(w, "OCEAN_TLS=local on a public shop: browsers do not trust the development CA and plain HTTP serves the storefront; use OCEAN_TLS=acme (OCEAN_DOMAINS) or files")
	}
	if c.RateLimitsOff {
		w = append(w, "OCEAN_RATE_LIMITS=off: nothing limits password guessing or checkout abuse (load tests only)")
	}
	if c.PaymentGateway == "sandbox" {
		w = append(w, "OCEAN_PAYMENT_GATEWAY=sandbox on a public shop: only test cards are accepted and nothing is charged")
	}
	if c.SMTPURL == "" {
		w = append(w, "OCEAN_SMTP_URL is empty: order confirmations and password resets stay in the dev mailbox")
	}
	if c.Source("OCEAN_ADMIN_PASSWORD") == "OCEAN_ADMIN_PASSWORD" {
		w = append(w, "OCEAN_ADMIN_PASSWORD is in the environment: prefer OCEAN_ADMIN_PASSWORD_FILE, or remove it after the first start")
	}
	if c.BackupDir == "" {
		w = append(w, "OCEAN_BACKUP_DIR is empty: no scheduled backups")
	}
	if c.SandboxFailRate > 0 || c.SandboxLatency > 0 {
		w = append(w, "OCEAN_SANDBOX_FAILURE_RATE / OCEAN_SANDBOX_LATENCY are set: payment faults are being rehearsed")
	}
	return w
}

// LimitPolicies are the configured quotas of every rate-limit class, all
// off with OCEAN_RATE_LIMITS=off.
func (c Config) LimitPolicies() []ratelimit.Policy {
	ps := ratelimit.Defaults()
	for i, p := range ps {
		if q, ok := c.RateLimits[p.Name]; ok {
			ps[i].Limit, ps[i].Window = q.Limit, q.Window
		}
		if c.RateLimitsOff {
			ps[i].Limit, ps[i].Window = 0, 0
		}
	}
	return ps
}
