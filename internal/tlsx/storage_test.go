package tlsx

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func TestStorageSQLite(t *testing.T)   { storageContract(t, sqlitetest.Open(t)) }
func TestStoragePostgres(t *testing.T) { storageContract(t, postgrestest.Open(t)) }

func storageContract(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	s := NewStorage(db, time.Now, discardLog())
	t.Run("keys", func(t *testing.T) {
		if _, err := s.Load(ctx, "certificates/acme/a.example/a.example.crt"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("load of a missing key: %v, want fs.ErrNotExist", err)
		}
		if s.Exists(ctx, "certificates") {
			t.Fatal("empty storage has certificates")
		}
		if _, err := s.List(ctx, "certificates", true); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("list of a missing dir: %v", err)
		}
		files := map[string]string{
			"certificates/acme/a.example/a.example.crt":  "cert A",
			"certificates/acme/a.example/a.example.key":  "key A",
			"certificates/acme/a.example/a.example.json": "{}",
			"certificates/acme/b.example/b.example.crt":  "cert B",
			"certificates/acme0":                         "a sibling whose name sorts right after the dir",
			"acme/account.json":                          "account",
		}
		for k, v := range files {
			if err := s.Store(ctx, k, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Store(ctx, "/certificates/acme/b.example/b.example.crt", []byte("cert B2")); err != nil {
			t.Fatal(err)
		}
		v, err := s.Load(ctx, "certificates/acme/b.example/b.example.crt")
		if err != nil || string(v) != "cert B2" {
			t.Fatalf("overwrite: %q %v", v, err)
		}
		bin := []byte{0, 1, 2, 0xff, 0xfe}
		_ = s.Store(ctx, "bin/key", bin)
		if v, _ := s.Load(ctx, "bin/key"); !slices.Equal(v, bin) {
			t.Fatalf("binary value: %v", v)
		}
		got, err := s.List(ctx, "certificates/acme", false)
		if err != nil || !slices.Equal(got, []string{"certificates/acme/a.example", "certificates/acme/b.example"}) {
			t.Fatalf("list: %v %v", got, err)
		}
		got, _ = s.List(ctx, "certificates/acme", true)
		want := []string{"certificates/acme/a.example", "certificates/acme/a.example/a.example.crt", "certificates/acme/a.example/a.example.json",
			"certificates/acme/a.example/a.example.key", "certificates/acme/b.example", "certificates/acme/b.example/b.example.crt"}
		if !slices.Equal(got, want) {
			t.Fatalf("recursive list:\n%v\nwant\n%v", got, want)
		}
		got, _ = s.List(ctx, "", false)
		if !slices.Equal(got, []string{"acme", "bin", "certificates"}) {
			t.Fatalf("root list: %v", got)
		}
		ki, err := s.Stat(ctx, "certificates/acme/a.example/a.example.key")
		if err != nil || !ki.IsTerminal || ki.Size != int64(len("key A")) || time.Since(ki.Modified) > time.Hour {
			t.Fatalf("stat file: %+v %v", ki, err)
		}
		ki, err = s.Stat(ctx, "certificates/acme/a.example")
		if err != nil || ki.IsTerminal {
			t.Fatalf("stat dir: %+v %v", ki, err)
		}
		if !s.Exists(ctx, "certificates/acme") || s.Exists(ctx, "certificates/acm") {
			t.Fatal("Exists: a dir is a whole path segment")
		}
		if err := s.Delete(ctx, "certificates/acme/a.example"); err != nil {
			t.Fatal(err)
		}
		if s.Exists(ctx, "certificates/acme/a.example/a.example.crt") {
			t.Fatal("delete of a dir left its files")
		}
		if !s.Exists(ctx, "certificates/acme0") || !s.Exists(ctx, "certificates/acme/b.example/b.example.crt") {
			t.Fatal("delete of a dir removed its neighbours")
		}
		if err := s.Delete(ctx, "no/such/key"); err != nil {
			t.Fatalf("delete of a missing key: %v", err)
		}
	})
	t.Run("lock", func(t *testing.T) {
		a := NewStorage(db, time.Now, discardLog())
		b := NewStorage(db, time.Now, discardLog())
		b.LockPoll = 10 * time.Millisecond
		if err := a.Lock(ctx, "issue_cert_a.example"); err != nil {
			t.Fatal(err)
		}
		// Another instance waits while the lock is held, and gives up when
		// its context ends.
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		err := b.Lock(short, "issue_cert_a.example")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("second holder: %v, want to wait until its context ended", err)
		}
		if err := b.Lock(ctx, "issue_cert_b.example"); err != nil {
			t.Fatalf("another name: %v", err)
		}
		got := make(chan error, 1)
		go func() { got <- b.Lock(ctx, "issue_cert_a.example") }()
		select {
		case err := <-got:
			t.Fatalf("took a held lock: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if err := a.Unlock(ctx, "issue_cert_a.example"); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		if err := a.Unlock(ctx, "issue_cert_a.example"); err == nil {
			t.Fatal("unlocked a lock it does not hold")
		}
		_ = b.Unlock(ctx, "issue_cert_a.example")
		_ = b.Unlock(ctx, "issue_cert_b.example")

		// A holder that died: its lock goes stale after LockTTL and is
		// taken over; the dead holder's late Unlock does not free the new
		// holder's lock.
		dead := NewStorage(db, time.Now, discardLog())
		dead.LockTTL = time.Hour
		if err := dead.Lock(ctx, "renew"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, sqldb.Rebind(db.Dialect, `UPDATE tls_locks SET expires = ? WHERE name = ?`),
			time.Now().Add(-time.Second).UnixMilli(), "renew"); err != nil {
			t.Fatal(err)
		}
		if err := b.Lock(ctx, "renew"); err != nil {
			t.Fatal(err)
		}
		_ = dead.Unlock(ctx, "renew")
		c := NewStorage(db, time.Now, discardLog())
		short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := c.Lock(short, "renew"); err == nil {
			t.Fatal("the dead holder's Unlock freed the new holder's lock")
		}
		_ = b.Unlock(ctx, "renew")
	})
	t.Run("lock kept alive", func(t *testing.T) {
		a := NewStorage(db, time.Now, discardLog())
		a.LockTTL = 1500 * time.Millisecond
		if err := a.Lock(ctx, "long"); err != nil {
			t.Fatal(err)
		}
		defer a.Unlock(ctx, "long")
		b := NewStorage(db, time.Now, discardLog())
		b.LockPoll = 20 * time.Millisecond
		// Well past the TTL the holder is still alive and extending it.
		short, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		defer cancel()
		if err := b.Lock(short, "long"); err == nil {
			t.Fatal("a live holder's lock was taken over")
		}
	})
}
