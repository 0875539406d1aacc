package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/cli"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpListsCommandsAndSettings(t *testing.T) {
	code, out, _ := run(t, nil, "help")
	for _, want := range []string{"serve", "migrate up", "seed", "OCEAN_DATABASE_URL", "OCEAN_DATA_DIR", "OCEAN_HTTP_ADDR", "OCEAN_HTTPS_ADDR", "OCEAN_AUTO_MIGRATE"} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not mention %s", want)
		}
	}
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestBadSettingStopsTheStart(t *testing.T) {
	code, _, errs := run(t, map[string]string{"OCEAN_HTTP_ADDR": "eighty"}, "serve")
	if code != 2 || !strings.Contains(errs, "OCEAN_HTTP_ADDR") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: exit %d %q", code, errs)
	}
}

func TestMigrateCommandsAndOutdatedSchema(t *testing.T) {
	env := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_AUTO_MIGRATE": "false", "OCEAN_HTTP_ADDR": "127.0.0.1:0", "OCEAN_HTTPS_ADDR": "off"}
	code, out, _ := run(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "pending") || !strings.Contains(out, "version 0 of") {
		t.Fatalf("status on empty: %d %q", code, out)
	}
	// serve refuses an outdated schema when it may not migrate.
	code, _, errs := run(t, env, "serve")
	if code != 1 || !strings.Contains(errs, "ocean migrate up") {
		t.Fatalf("serve on outdated schema: exit %d, %q", code, errs)
	}
	if code, out, _ := run(t, env, "migrate", "up"); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("up: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "seed"); code != 0 || !strings.Contains(out, "seeded") {
		t.Fatalf("seed: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "seed"); code != 0 || !strings.Contains(out, "nothing seeded") {
		t.Fatalf("second seed: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "migrate", "down"); code != 0 || !strings.Contains(out, "reverted") {
		t.Fatalf("down: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status after down: %d %q", code, out)
	}
	if code, _, errs := run(t, env, "migrate", "sideways"); code != 1 || !strings.Contains(errs, "up, down or status") {
		t.Fatalf("bad migrate: %d %q", code, errs)
	}
}

// runErr is run for goroutines, where t.Fatal is not allowed.
func runErr(dbURL string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	env := map[string]string{"OCEAN_DATABASE_URL": dbURL}
	code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}
