package api

import (
	"strconv"
	"strings"
	"testing"
)

// The remembered keys stay bounded whatever query strings clients make up:
// at most maxQueryKeys, none longer than maxQueryKeyBytes, and the newest
// is always remembered.
func TestQueryKeysAreBounded(t *testing.T) {
	var k queryKeys
	for i := range 3 * maxQueryKeys {
		raw := "q=" + strconv.Itoa(i)
		k.put(raw, "key "+raw)
		if got, ok := k.get(raw); !ok || got != "key "+raw {
			t.Fatalf("just remembered %q: got %q, %v", raw, got, ok)
		}
		if len(k.m) > maxQueryKeys {
			t.Fatalf("%d keys remembered, the bound is %d", len(k.m), maxQueryKeys)
		}
	}
	long := "q=" + strings.Repeat("x", maxQueryKeyBytes)
	k.put(long, "key")
	if _, ok := k.get(long); ok {
		t.Fatalf("a %d-byte query string was remembered", len(long))
	}
}
