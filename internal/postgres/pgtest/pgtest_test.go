package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// newKey is a key no other run has used, and drops its template when the
// test ends.
func newKey(t *testing.T, admin *pgx.Conn) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key := "pgtest " + t.Name() + " " + hex.EncodeToString(b)
	name, _ := templateName(key)
	t.Cleanup(func() {
		if err := drop(context.Background(), admin, name); err != nil {
			t.Error(err)
		}
	})
	return key
}

// fill makes the table the copies should have.
func fill(ctx context.Context, url string) error {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	_, err = c.Exec(ctx, `CREATE TABLE filled (n integer); INSERT INTO filled VALUES (1)`)
	return errors.Join(err, c.Close(ctx))
}

func count(t *testing.T, url string) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(ctx) }() // a read-only check
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM filled`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Tests asking for the same template at once get it built once, and each
// gets a copy of its own.
func TestFrom(t *testing.T) {
	base := serverURL(t)
	admin := connect(t, base)
	t.Cleanup(func() { _ = admin.Close(context.Background()) }) // test setup connection
	key := newKey(t, admin)
	var built atomic.Int32
	prepare := func(ctx context.Context, url string) error {
		built.Add(1)
		return fill(ctx, url)
	}
	t.Run("copies", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				url := From(t, key, prepare)
				if n := count(t, url); n != 1 {
					t.Fatalf("%d rows in a new copy, want 1", n)
				}
				c, err := pgx.Connect(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = c.Close(context.Background()) }() // as in count
				if _, err := c.Exec(context.Background(), `INSERT INTO filled VALUES (2)`); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	if n := built.Load(); n != 1 {
		t.Errorf("template built %d times, want once", n)
	}
	if n := count(t, From(t, key, prepare)); n != 1 {
		t.Errorf("%d rows in a copy made after the others wrote theirs, want 1", n)
	}
	name, _ := templateName(key)
	var template, allowConn bool
	if err := admin.QueryRow(context.Background(), `SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1`, name).Scan(&template, &allowConn); err != nil {
		t.Fatal(err)
	}
	if !template || allowConn {
		t.Errorf("template %s: datistemplate %v, datallowconn %v; want true, false", name, template, allowConn)
	}
}

// A template whose preparation failed is not left behind, half made, for
// the next test to copy: that one prepares it again. Nor is one a process
// died building.
func TestFromFailedPrepare(t *testing.T) {
	base := serverURL(t)
	admin := connect(t, base)
	t.Cleanup(func() { _ = admin.Close(context.Background()) }) // test setup connection
	ctx := context.Background()
	key := newKey(t, admin)
	name, lock := templateName(key)
	failed := errors.New("the preparation failed")
	err := ensureTemplate(ctx, admin, base, name, lock, func(ctx context.Context, url string) error {
		if err := fill(ctx, url); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("ensureTemplate with a failing prepare: %v, want its error", err)
	}
	for _, db := range []string{name, name + "_building"} {
		if ok, err := exists(ctx, admin, db); err != nil || ok {
			t.Fatalf("database %s left after the failed preparation (%v)", db, err)
		}
	}

	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(name+"_building")); err != nil { // as a process that died building it leaves it
		t.Fatal(err)
	}
	if n := count(t, From(t, key, fill)); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	if ok, err := exists(ctx, admin, name+"_building"); err != nil || ok {
		t.Fatalf("database %s_building left (%v)", name, err)
	}
}
