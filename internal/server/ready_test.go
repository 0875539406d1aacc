package server

import (
	"context"
	"errors"
	"testing"

	"github.com/oceanshop/ocean/internal/ocean"
)

// TestReadiness: ready while every dependency answers; the first one that
// does not is named to clients with its cause kept for the log; once
// drained, not ready whatever the dependencies say.
func TestReadiness(t *testing.T) {
	ctx := context.Background()
	down := errors.New("connection refused")
	var redisErr error
	r := &Readiness{Checks: []Check{
		{Name: "database", Ping: func(context.Context) error { return nil }},
		{Name: "redis", Ping: func(context.Context) error { return redisErr }},
	}}
	if err := r.Ready(ctx); err != nil || r.Draining() {
		t.Fatalf("all up: %v, draining %v", err, r.Draining())
	}
	redisErr = down
	err := r.Ready(ctx)
	var oe *ocean.Error
	if !errors.As(err, &oe) || oe.Code != ocean.EUNAVAILABLE || oe.Message != "redis unreachable" || !errors.Is(err, down) {
		t.Fatalf("redis down: %#v", err)
	}
	redisErr = nil
	r.Drain()
	if err := r.Ready(ctx); !errors.As(err, &oe) || oe.Message != "shutting down" || !r.Draining() {
		t.Fatalf("drained: %v", err)
	}
}
