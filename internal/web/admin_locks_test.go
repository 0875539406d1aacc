package web_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

// TestAdminLocksIsHiddenFromCustomers: the dashboard is an admin page; to
// anyone else it does not exist.
func TestAdminLocksIsHiddenFromCustomers(t *testing.T) {
	s := openOffice(t, t.TempDir(), nil)
	lease, err := s.app.Locker.Acquire(context.Background(), "cart:secret-cart-id")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	cust := s.browser(t)
	cust.register("ada@example.com", "Ada", pw)
	anon := s.browser(t)
	wantSignIn(t, anon.get("/admin/locks"), "/admin/locks")
	for who, b := range map[string]*browser{"customer": cust} {
		v := b.get("/admin/locks")
		if v.status != 404 || !strings.Contains(v.body, "find that page") {
			t.Errorf("%s GET /admin/locks: %d", who, v.status)
		}
		if strings.Contains(v.body, "secret-cart-id") {
			t.Errorf("%s sees a held lock", who)
		}
		if strings.Contains(v.body, `href="/admin/locks"`) {
			t.Errorf("%s is offered the lock dashboard", who)
		}
	}
}

// TestAdminLocksShowsHeldLocksAndCounts: a lock the test holds is listed
// with its holder and fencing token; the counts follow what happened (a
// grant, a refused TryLock, a contended Acquire); a released lock leaves
// the list.
func TestAdminLocksShowsHeldLocksAndCounts(t *testing.T) {
	s := openOffice(t, t.TempDir(), nil)
	ctx := context.Background()
	boss := s.owner(t)

	v := boss.get("/admin/locks")
	wantPage(t, v, 200, "Locks", "No lock is held right now.", "Locks granted 0")
	if !strings.Contains(v.body, `href="/admin/locks" aria-current="page"`) {
		t.Error("the admin tabs do not mark the Locks tab")
	}
	if home := boss.get("/admin"); !strings.Contains(home.body, `href="/admin/locks"`) {
		t.Error("the admin overview does not link to the lock dashboard")
	}

	held, err := s.app.Locker.Acquire(ctx, "variant:4711", lock.WithTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if _, err := s.app.Locker.TryLock(ctx, "variant:4711"); !errors.Is(err, lock.ErrNotAcquired) {
		t.Fatalf("TryLock on a held key: %v", err)
	}
	// A second lease waits for the first: a contended acquisition.
	other, err := s.app.Locker.Acquire(ctx, "job:expire-reservations")
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(50 * time.Millisecond); other.Release() }()
	waited, err := s.app.Locker.Acquire(ctx, "job:expire-reservations")
	if err != nil {
		t.Fatal(err)
	}
	waited.Release()

	infos, err := s.app.Locker.Held(ctx)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Held: %v, %v", infos, err)
	}
	holder := infos[0].Holder
	v = boss.get("/admin/locks")
	wantPage(t, v, 200,
		"variant:4711", holder+" (this instance)", strconv.FormatInt(held.Token(), 10),
		"Locks granted 3",
		"Granted after waiting for another holder 1 (33.3% of grants)",
		"Not granted 1 (busy: 1,",
		"Held by this instance now 1",
		"Writes refused by a fencing token 0",
	)
	if strings.Contains(v.body, "job:expire-reservations") {
		t.Error("a released lock is still listed")
	}
	if strings.Contains(v.body, "<script>") {
		t.Error("the dashboard has an inline script")
	}

	// A fencing rejection is counted.
	if err := held.Fenced(); !errors.Is(err, lock.ErrFenced) {
		t.Fatal(err)
	}
	held.Release()
	v = boss.get("/admin/locks")
	wantPage(t, v, 200, "No lock is held right now.", "Writes refused by a fencing token 1", "Held by this instance now 0")
}

// TestAdminLocksWithRedis: with Redis the dashboard lists the fleet's locks
// from Redis, this one among them, with its token and holder.
func TestAdminLocksWithRedis(t *testing.T) {
	url := redistest.URL(t)
	var out strings.Builder
	if code := cli.Run(context.Background(), []string{"keys", "generate"}, func(string) string { return "" }, &out, io.Discard); code != 0 {
		t.Fatalf("keys generate: exit %d", code)
	}
	env := map[string]string{"OCEAN_REDIS_URL": url}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	s := openOffice(t, t.TempDir(), env)
	key := redistest.Name("cart")
	lease, err := s.app.Locker.Acquire(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	infos, err := s.app.Locker.Held(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	holder := ""
	for _, in := range infos {
		if in.Key == key {
			holder = in.Holder
		}
	}
	if holder == "" {
		t.Fatalf("Held does not list %s: %v", key, infos)
	}
	boss := s.owner(t)
	wantPage(t, boss.get("/admin/locks"), 200, key, holder+" (this instance)", strconv.FormatInt(lease.Token(), 10), "Locks granted 1")
}
