package migrate

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// memTarget is a database in a map: which versions are applied.
type memTarget struct {
	applied map[int]bool
	fail    int // a version whose Apply fails
}

func (m *memTarget) Applied(context.Context) (map[int]bool, error) {
	out := map[int]bool{}
	for v, ok := range m.applied {
		out[v] = ok
	}
	return out, nil
}

func (m *memTarget) Apply(_ context.Context, mg Migration, up bool) error {
	if mg.Version == m.fail {
		return errors.New("syntax error")
	}
	if up {
		m.applied[mg.Version] = true
	} else {
		delete(m.applied, mg.Version)
	}
	return nil
}

// TestCommand: `ocean migrate up|down|status` report what they did in the
// words an operator reads; down on an empty schema says so; an unknown
// subcommand and a failing migration are errors.
func TestCommand(t *testing.T) {
	ctx := context.Background()
	ms := []Migration{{Version: 1, Name: "init"}, {Version: 2, Name: "orders"}}
	db := &memTarget{applied: map[int]bool{}}
	run := func(cmd string) string {
		t.Helper()
		var out bytes.Buffer
		if err := Command(ctx, cmd, db, ms, &out); err != nil {
			t.Fatalf("migrate %s: %v", cmd, err)
		}
		return out.String()
	}
	if got := run("status"); !strings.Contains(got, "0001_init") || !strings.Contains(got, "pending") || !strings.HasSuffix(got, "schema at version 0 of 2\n") {
		t.Fatalf("status on an empty schema: %q", got)
	}
	if got := run("up"); got != "applied 2 migration(s); schema at version 2\n" {
		t.Fatalf("up: %q", got)
	}
	if got := run("status"); strings.Contains(got, "pending") || !strings.HasSuffix(got, "schema at version 2 of 2\n") {
		t.Fatalf("status when up to date: %q", got)
	}
	if got := run("down"); got != "reverted migration 0002_orders; schema at version 1\n" {
		t.Fatalf("down: %q", got)
	}
	run("down")
	if got := run("down"); got != "nothing to revert: no migration is applied\n" {
		t.Fatalf("down on an empty schema: %q", got)
	}
	var out bytes.Buffer
	if err := Command(ctx, "sideways", db, ms, &out); err == nil || !strings.Contains(err.Error(), "use up, down or status") {
		t.Fatalf("unknown command: %v", err)
	}
	db.fail = 2
	if err := Command(ctx, "up", db, ms, &out); err == nil || out.Len() != 0 {
		t.Fatalf("failing migration: %v, output %q", err, out.String())
	}
}
