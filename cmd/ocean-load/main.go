// Command ocean-load runs shopper sessions against Ocean instances on this
// machine and reports what they saw: sessions, requests per second,
// p50/p95/p99/max per step, errors by kind, orders placed (text on stdout,
// JSON with -json). Every run is bounded in time and talks to loopback
// targets only unless -allow-remote is given. See docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oceanshop/ocean/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ocean-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p loadgen.Plan
	targets := fs.String("targets", "http://127.0.0.1:8080", "comma-separated base URLs of the instances; sessions go round-robin")
	fs.IntVar(&p.Sessions, "sessions", 1000, "concurrent shopper sessions in the steady phase")
	fs.StringVar(&p.Mode, "mode", "steady", "steady (ramp, then steady), ramp, spike (steady with a spike in the middle) or endurance")
	fs.DurationVar(&p.Ramp, "ramp", 30*time.Second, "time to go from 0 to -sessions")
	fs.DurationVar(&p.Steady, "steady", 2*time.Minute, "steady phase (spike mode: split around the spike)")
	fs.DurationVar(&p.Spike, "spike", 20*time.Second, "spike mode: how long the spike lasts")
	fs.Float64Var(&p.SpikeFactor, "spike-factor", 2, "spike mode: sessions during the spike, as a multiple of -sessions")
	fs.DurationVar(&p.Endurance, "endurance", 30*time.Minute, "endurance mode: how long the load holds")
	fs.DurationVar(&p.Think, "think", 5*time.Second, "mean think time between a session's steps (exponential)")
	fs.DurationVar(&p.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.IntVar(&p.MaxConns, "max-conns", 0, "connection pool size per target (0: peak sessions / targets)")
	fs.IntVar(&p.Accounts, "accounts", 100, "shopper accounts to register for the sign-in step")
	fs.BoolVar(&p.AllowRemote, "allow-remote", false, "allow non-loopback targets (never point this at a shop that is not yours)")
	fs.StringVar(&p.AdminEmail, "admin-email", os.Getenv("OCEAN_ADMIN_EMAIL"), "admin e-mail, to top up stock before the run")
	fs.StringVar(&p.AdminPass, "admin-password", os.Getenv("OCEAN_ADMIN_PASSWORD"), "admin password")
	fs.StringVar(&p.Profile, "profile", "", "a server's pprof base URL (OCEAN_DEBUG_ADDR, e.g. http://127.0.0.1:6060): take CPU, mutex, block and allocation profiles in the steady phase")
	fs.StringVar(&p.ProfilePrefix, "profile-prefix", "ocean", "profiles are written to PREFIX-profile.pprof, PREFIX-mutex.pprof, …")
	fs.Uint64Var(&p.Seed, "seed", 0, "seed of the shoppers' choices and think times (0: from the clock)")
	bench := fs.String("bench", "", "closed-loop throughput instead of sessions: get (-path), search (uncached), add (add to cart), checkout (uncontended) or hot (one variant)")
	workers := fs.Int("workers", 16, "-bench: concurrent workers (each its own connection, no think time)")
	benchFor := fs.Duration("duration", 10*time.Second, "-bench: how long")
	path := fs.String("path", "/", "-bench get: the path to ask for")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p.Targets = strings.Split(*targets, ",")
	if *bench != "" {
		loadgen.RaiseFDLimit(20000)
		res, err := loadgen.Bench(ctx, loadgen.BenchOptions{Target: p.Targets[0], Kind: *bench, Path: *path, Workers: *workers, Duration: *benchFor,
			AllowRemote: p.AllowRemote, AdminEmail: p.AdminEmail, AdminPass: p.AdminPass})
		if err != nil {
			fmt.Fprintln(stderr, "ocean-load:", err)
			return 1
		}
		fmt.Fprintln(stdout, res)
		if *jsonOut != "" {
			b, _ := json.Marshal(res) //nolint:errchkjson // numbers and strings
			if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o600); err != nil {
				fmt.Fprintln(stderr, "ocean-load:", err)
				return 1
			}
		}
		return 0
	}
	if !*quiet {
		p.Progress = stderr
	}
	// Each session keeps a keep-alive connection; with the server on the
	// same machine every one is two descriptors (one per process).
	limit := loadgen.RaiseFDLimit(20000)
	if need := uint64(max(p.Sessions, 0)) + 200; limit > 0 && limit < need {
		fmt.Fprintf(stderr, "ocean-load: warning: open-file limit %d is below the %d sessions need (ulimit -n)\n", limit, need)
	}
	rep, err := loadgen.RunSessions(ctx, p)
	if err != nil {
		fmt.Fprintln(stderr, "ocean-load:", err)
		return 1
	}
	fmt.Fprint(stdout, rep.Text())
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o600)
		}
		if err != nil {
			fmt.Fprintln(stderr, "ocean-load:", err)
			return 1
		}
	}
	if !rep.Goal.Met {
		return 3
	}
	return 0
}
