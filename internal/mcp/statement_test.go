package mcp

import (
	"strings"
	"testing"
)

func TestOneStatement(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                          "SELECT 1",
		"  SELECT 1 ;; \n":                  "SELECT 1",
		"SELECT ';' AS x":                   "SELECT ';' AS x",
		`SELECT ";" FROM t`:                 `SELECT ";" FROM t`,
		"SELECT 1 -- ; DROP TABLE x":        "SELECT 1 -- ; DROP TABLE x",
		"SELECT /* ; */ 1":                  "SELECT /* ; */ 1",
		"SELECT $$;$$":                      "SELECT $$;$$",
		"SELECT $q$ ; $q$ AS x":             "SELECT $q$ ; $q$ AS x",
		"SELECT 1; -- trailing comment":     "", // a comment after the end is a second (empty) statement: refused
		"SELECT 1; DELETE FROM orders":      "",
		"SELECT 1;SELECT 2":                 "",
		"":                                  "",
		"SELECT 'it''s'; SELECT 2":          "",
		"SELECT 'unterminated; DELETE FROM": "SELECT 'unterminated; DELETE FROM",
	} {
		got, err := oneStatement(q)
		if want == "" {
			if err == nil {
				t.Errorf("%q: accepted as %q, want refused", q, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", q, got, err, want)
		}
	}
}

// FuzzOneStatement: whatever the input, an accepted statement holds no ;
// outside quotes at its end, and the function never panics.
func FuzzOneStatement(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT ';'", "SELECT $a$;$a$", "/*", "--", "$", "$$", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := oneStatement(q)
		if err == nil && (got == "" || strings.HasSuffix(got, ";")) {
			t.Fatalf("%q accepted as %q", q, got)
		}
	})
}
