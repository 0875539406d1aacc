// Package archtest holds the layering rules of Ocean as data and checks the
// packages against them (see archtest_test.go): business packages hold the
// shop's rules and import no driver and no adapter, so a rule can be tested
// without a database, a network or a metrics registry, and an adapter can be
// swapped without touching a rule.
package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the import path of the Ocean module.
const Module = "github.com/oceanshop/ocean"

// Business lists the packages that hold business rules. Only the package
// itself is meant: internal/payment is the gateway contract, its adapters
// (payment/sandbox, payment/stripe) may use HTTP and SDKs.
var Business = []string{
	"internal/lock", // a domain package: its statistics are data that internal/metrics exports
	"internal/catalog",
	"internal/cart",
	"internal/checkout",
	"internal/order",
	"internal/pricing",
	"internal/inventory",
	"internal/account",
	"internal/token",
	"internal/payment",
	"internal/media", // decodes and encodes pictures; stores through its Store and BlobStore ports
}

// Rule forbids a business package to depend, directly or through another
// package, on Path or anything below it.
type Rule struct {
	Path string
	Why  string
}

// Forbidden are the drivers and adapters no business package may reach.
var Forbidden = []Rule{
	{"database/sql", "SQL belongs to the store adapters (internal/sqldb)"},
	{"github.com/jackc/pgx", "PostgreSQL driver"},
	{"github.com/lib/pq", "PostgreSQL driver"},
	{"modernc.org/sqlite", "SQLite driver"},
	{"github.com/mattn/go-sqlite3", "SQLite driver"},
	{"github.com/redis/go-redis", "Redis client: locks, caches and limits are reached through interfaces"},
	{"github.com/prometheus", "metrics are exposed as data; internal/metrics registers them"},
	{"github.com/stripe/stripe-go", "the Stripe SDK belongs to internal/payment/stripe"},
	{"go.opentelemetry.io", "tracing reaches business packages only as an ocean.SpanFunc; internal/observe makes them"},
	{"net/http", "HTTP belongs to web, api and the gateway adapters"},
	{Module + "/internal/sqldb", "store adapter"},
	{Module + "/internal/sqlite", "store adapter"},
	{Module + "/internal/postgres", "store adapter"},
	{Module + "/internal/redis", "Redis adapter"},
	{Module + "/internal/lock/redis", "Redis adapter"},
	{Module + "/internal/ratelimit/redis", "Redis adapter"},
	{Module + "/internal/throttle/redis", "Redis adapter"},
	{Module + "/internal/web", "front door"},
	{Module + "/internal/api", "front door"},
	{Module + "/internal/cli", "composition root"},
	{Module + "/internal/metrics", "metrics adapter"},
	{Module + "/internal/observe", "tracing adapter"},
	{Module + "/internal/httpx", "HTTP plumbing"},
	{Module + "/internal/payment/sandbox", "payment adapter"},
	{Module + "/internal/payment/stripe", "payment adapter"},
	{Module + "/internal/mail", "mail adapter"},
}

// Known are violations that exist today and are being removed, keyed by
// business package and forbidden path, each with the reason it is still
// there. A known violation does not fail the check; one that is gone is
// reported so the entry can be deleted.
var Known = map[[2]string]string{}

// Violation is a forbidden dependency: Pkg reaches Dep (a package under
// Rule.Path), through Via (a direct import of Pkg; equal to Dep when the
// import is direct).
type Violation struct {
	Pkg, Dep, Via string
	Rule          Rule
}

func (v Violation) String() string {
	how := "imports"
	if v.Via != v.Dep {
		how = "reaches (through " + v.Via + ")"
	}
	return fmt.Sprintf("%s %s %s: %s", v.Pkg, how, v.Dep, v.Rule.Why)
}

// Under reports whether path is p or a package below it.
func Under(path, p string) bool {
	return path == p || strings.HasPrefix(path, p+"/")
}

// Check returns the forbidden dependencies of pkg. imports maps each
// package to its direct imports (non-test files); it must hold pkg and
// every package it reaches. One violation is reported per rule and direct
// import of pkg that leads there (the first forbidden package found); the
// search does not look inside a forbidden package.
func Check(pkg string, imports map[string][]string, rules []Rule) []Violation {
	var out []Violation
	seen := map[string]bool{}
	reported := map[[2]string]bool{}
	direct := append([]string(nil), imports[pkg]...)
	sort.Strings(direct)
	for _, via := range direct {
		stack := []string{via}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[p] {
				continue
			}
			seen[p] = true
			if r, ok := match(p, rules); ok {
				if k := [2]string{r.Path, via}; !reported[k] {
					reported[k] = true
					out = append(out, Violation{Pkg: pkg, Dep: p, Via: via, Rule: r})
				}
				continue
			}
			stack = append(stack, imports[p]...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dep < out[j].Dep })
	return out
}

func match(path string, rules []Rule) (Rule, bool) {
	for _, r := range rules {
		if Under(path, r.Path) {
			return r, true
		}
	}
	return Rule{}, false
}
