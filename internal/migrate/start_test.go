package migrate

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestOnStart: a starting shop refuses an outdated schema unless it may
// migrate, and then applies what is pending and logs it; an up-to-date
// schema is left alone, and one newer than the binary is refused.
func TestOnStart(t *testing.T) {
	ctx := context.Background()
	ms := []Migration{{Version: 1, Name: "init"}, {Version: 2, Name: "orders"}}
	db := &memTarget{applied: map[int]bool{1: true}}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	err := OnStart(ctx, db, ms, false, log)
	if err == nil || !strings.Contains(err.Error(), "at version 1 but this binary needs 2") || !strings.Contains(err.Error(), "OCEAN_AUTO_MIGRATE=true") {
		t.Fatalf("outdated schema without auto-migrate: %v", err)
	}
	if db.applied[2] {
		t.Fatal("migrated without being allowed to")
	}
	if err := OnStart(ctx, db, ms, true, log); err != nil {
		t.Fatalf("auto-migrate: %v", err)
	}
	if !db.applied[2] || !strings.Contains(logged.String(), `msg="migrated database" applied=1 version=2`) {
		t.Fatalf("applied %v, log %q", db.applied, logged.String())
	}
	logged.Reset()
	if err := OnStart(ctx, db, ms, false, log); err != nil || logged.Len() != 0 {
		t.Fatalf("up to date: %v, log %q", err, logged.String())
	}
	if err := OnStart(ctx, db, ms[:1], true, log); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
	failing := &memTarget{applied: map[int]bool{}, fail: 1}
	if err := OnStart(ctx, failing, ms, true, log); err == nil || !strings.Contains(err.Error(), "0001_init") {
		t.Fatalf("failing migration: %v", err)
	}
}

// TestRequireCurrent: commands that do not migrate refuse an outdated or
// newer schema and accept a current one.
func TestRequireCurrent(t *testing.T) {
	ctx := context.Background()
	ms := []Migration{{Version: 1, Name: "init"}, {Version: 2, Name: "orders"}}
	db := &memTarget{applied: map[int]bool{1: true}}
	if err := RequireCurrent(ctx, db, ms); err == nil || !strings.Contains(err.Error(), "run `ocean migrate up` first") {
		t.Fatalf("outdated: %v", err)
	}
	db.applied[2] = true
	if err := RequireCurrent(ctx, db, ms); err != nil {
		t.Fatalf("current: %v", err)
	}
	if err := RequireCurrent(ctx, db, ms[:1]); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("newer: %v", err)
	}
}
