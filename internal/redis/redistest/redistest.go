// Package redistest gives tests the Redis server from OCEAN_TEST_REDIS_URL
// (scripts/services.sh sets it). Without it tests skip, unless CI or
// OCEAN_REQUIRE_SERVICES is set, in which case they fail.
package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// URL returns the test Redis URL.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("OCEAN_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("OCEAN_TEST_REDIS_URL is not set: run the tests with `make test`, which starts Redis")
		}
		t.Skip("Redis tests skipped: OCEAN_TEST_REDIS_URL is not set (`make test` starts a server)")
	}
	return u
}

// Name returns a random name so tests sharing one Redis never collide.
func Name(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
