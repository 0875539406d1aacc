//go:build unix

package redis_test

// Tests with real processes: the test binary re-executes itself as helper
// processes (TestHelperProcess, role chosen by OCEAN_LOCK_HELPER), each with
// its own Redis and PostgreSQL connections, coordinated through files in a
// temporary directory. They need OCEAN_TEST_REDIS_URL and
// OCEAN_TEST_DATABASE_URL (`scripts/services.sh start && . .services/env`).

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/lock"
	lockredis "github.com/oceanshop/ocean/internal/lock/redis"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

// Environment of a helper process.
const (
	envHelperRole = "OCEAN_LOCK_HELPER"     // "exclusion" or "frozen"; unset in the parent
	envHelperDir  = "OCEAN_LOCK_HELPER_DIR" // files shared with the parent
	envHelperName = "OCEAN_LOCK_HELPER_NAME"
	envHelperNS   = "OCEAN_LOCK_HELPER_NS" // Redis lock namespace
	envHelperDB   = "OCEAN_LOCK_HELPER_DB" // PostgreSQL URL of the test's database
)

const (
	procKey        = "cart:process-test"
	procsExclusion = 3  // helper processes
	goroutinesPer  = 4  // goroutines per helper process
	grantsPer      = 20 // grants per goroutine
	// procTestDeadline bounds every wait of the parent and the helpers
	// (a helper's start, an Acquire, a connection, a file): it only stops
	// a hung test, so it is generous. At 25 s, 10 s and 5 s the exclusion
	// drill's 240 critical sections and the helpers' starts had too little
	// room on a machine at load 40.
	procTestDeadline = 2 * time.Minute
)

// The row every critical section writes. n is the fenced counter; rmw is
// read in one statement and written back in the next, so two overlapping
// critical sections would lose an update there even if n's atomic
// increment did not.
const guardedSchema = `
CREATE TABLE guarded (
	id     int PRIMARY KEY,
	n      bigint NOT NULL DEFAULT 0,
	rmw    bigint NOT NULL DEFAULT 0,
	fence  bigint NOT NULL DEFAULT 0,
	writer text   NOT NULL DEFAULT ''
);
INSERT INTO guarded (id) VALUES (1);`

const fencedIncrement = `UPDATE guarded SET n = n + 1, rmw = $2, fence = $1, writer = $3 WHERE id = 1 AND fence < $1`

// grantRecord is one critical section, as a helper process saw it. Start
// and End come from one logical clock shared by every process (INCR of a
// Redis key: Redis executes commands one at a time, so the values are a
// total order consistent with causality); WallStart/WallEnd are
// time.Now().UnixNano() on the same host.
type grantRecord struct {
	Proc       string `json:"proc"`
	G          int    `json:"g"`
	Token      int64  `json:"token"`
	Start      int64  `json:"start"`
	End        int64  `json:"end"`
	WallStart  int64  `json:"wall_start"`
	WallEnd    int64  `json:"wall_end"`
	Rows       int64  `json:"rows"`        // rows the fenced write updated (want 1)
	Fenced     bool   `json:"fenced"`      // the write was rejected: lease.Fenced() returned ErrFenced
	Lost       string `json:"lost"`        // cause, when the lease context ended inside the critical section
	ReleaseErr string `json:"release_err"` // error of Release, if any
}

// frozenReport is what the SIGSTOPped helper reports after it is resumed.
type frozenReport struct {
	Token              int64  `json:"token"`
	PastValidity       bool   `json:"past_validity"`         // time.Now() after lease.ValidUntil() when told to write
	CtxDoneBeforeWrite bool   `json:"ctx_done_before_write"` // informational: the lease timer may still be queued
	Rows               int64  `json:"rows"`
	WriteErr           string `json:"write_err"`
	Fenced             bool   `json:"fenced"` // errors.Is(writeErr, lock.ErrFenced)
	CtxDoneAfterWrite  bool   `json:"ctx_done_after_write"`
	Cause              string `json:"cause"`
	CauseExpired       bool   `json:"cause_expired"`
	CauseLost          bool   `json:"cause_lost"`
	ReleaseErr         string `json:"release_err"`
	ReleaseLost        bool   `json:"release_lost"` // errors.Is(releaseErr, lock.ErrLockLost)
}

// TestHelperProcess is not a test: it is the body of the helper processes
// the tests below start. Run directly it skips.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envHelperRole)
	if role == "" {
		t.Skip("helper process body; runs only when a process test re-executes the test binary")
	}
	var err error
	switch role {
	case "exclusion":
		err = helperExclusion()
	case "frozen":
		err = helperFrozen()
	default:
		err = fmt.Errorf("unknown helper role %q", role)
	}
	if err != nil {
		t.Fatalf("helper %s (%s): %v", os.Getenv(envHelperName), role, err)
	}
}

// ---------------------------------------------------------------- test 1

// Three processes with four goroutines each take one lock key 20 times per
// goroutine. Every critical section records its interval on a clock shared
// by all processes and does a fenced write in PostgreSQL. No two intervals
// may overlap, the counter must equal the number of grants, and no write may
// be fenced (nobody lost the lock).
func TestProcessesMutualExclusion(t *testing.T) {
	_, ns, dbURL := procServices(t)
	dir := t.TempDir()
	procDB(t, dbURL)

	var helpers []*helperProc
	for i := range procsExclusion {
		name := fmt.Sprintf("proc-%d", i)
		helpers = append(helpers, startHelper(t, "exclusion", name, dir, ns, dbURL))
	}
	// Start together, so the processes really contend.
	for _, h := range helpers {
		waitFile(t, h, filepath.Join(dir, h.name+".ready"))
	}
	writeFileAtomic(t, filepath.Join(dir, "go"), []byte("go"))
	for _, h := range helpers {
		h.wait(t)
	}

	var recs []grantRecord
	for _, h := range helpers {
		got := readRecords(t, filepath.Join(dir, h.name+".jsonl"))
		if len(got) != goroutinesPer*grantsPer {
			t.Errorf("%s recorded %d grants, want %d", h.name, len(got), goroutinesPer*grantsPer)
		}
		recs = append(recs, got...)
	}
	const total = procsExclusion * goroutinesPer * grantsPer
	if len(recs) != total {
		t.Fatalf("%d grants recorded, want %d", len(recs), total)
	}

	tokens := map[int64]bool{}
	var maxToken int64
	for _, r := range recs {
		if r.Rows != 1 || r.Fenced {
			t.Errorf("%s/g%d token %d: fenced write updated %d rows (fenced=%v), want 1", r.Proc, r.G, r.Token, r.Rows, r.Fenced)
		}
		if r.Lost != "" {
			t.Errorf("%s/g%d token %d: lease ended inside the critical section: %s", r.Proc, r.G, r.Token, r.Lost)
		}
		if r.ReleaseErr != "" {
			t.Errorf("%s/g%d token %d: Release: %s", r.Proc, r.G, r.Token, r.ReleaseErr)
		}
		if r.Start >= r.End || r.WallStart > r.WallEnd {
			t.Errorf("%s/g%d token %d: malformed interval %+v", r.Proc, r.G, r.Token, r)
		}
		if tokens[r.Token] {
			t.Errorf("token %d granted twice", r.Token)
		}
		tokens[r.Token] = true
		maxToken = max(maxToken, r.Token)
	}

	// Sorted by start, every interval must end before the next begins, on
	// the shared logical clock and on the host's wall clock, and tokens
	// must grow in the same order.
	slices.SortFunc(recs, func(a, b grantRecord) int { return cmp.Compare(a.Start, b.Start) })
	switches := 0
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1], recs[i]
		if cur.Start <= prev.End {
			t.Errorf("critical sections overlap on the shared clock: %s/g%d token %d [%d,%d] and %s/g%d token %d [%d,%d]",
				prev.Proc, prev.G, prev.Token, prev.Start, prev.End, cur.Proc, cur.G, cur.Token, cur.Start, cur.End)
		}
		if cur.WallStart < prev.WallEnd {
			t.Errorf("critical sections overlap on the wall clock: %s/g%d token %d ends at %d, %s/g%d token %d starts at %d",
				prev.Proc, prev.G, prev.Token, prev.WallEnd, cur.Proc, cur.G, cur.Token, cur.WallStart)
		}
		if cur.Token <= prev.Token {
			t.Errorf("token order differs from grant order: %d then %d", prev.Token, cur.Token)
		}
		if cur.Proc != prev.Proc {
			switches++
		}
	}
	// Three processes that ran one after the other would switch twice; the
	// test only proves something if they interleaved.
	if switches <= procsExclusion-1 {
		t.Errorf("the lock passed between processes only %d times: the processes did not contend", switches)
	}

	var n, rmw, fence int64
	if err := pgConnect(t, dbURL).QueryRow(context.Background(), `SELECT n, rmw, fence FROM guarded WHERE id = 1`).Scan(&n, &rmw, &fence); err != nil {
		t.Fatal(err)
	}
	if n != total || rmw != total {
		t.Errorf("guarded counter n = %d, read-modify-write counter = %d, want both %d (the number of grants)", n, rmw, total)
	}
	if fence != maxToken {
		t.Errorf("fence = %d, want the last token %d", fence, maxToken)
	}
	t.Logf("%d grants in %d processes, %d hand-overs between processes", len(recs), procsExclusion, switches)
}

func helperExclusion() error {
	h, err := newHelperEnv()
	if err != nil {
		return err
	}
	defer h.close()
	locker := lockredis.New(h.rdb, h.ns, lock.WithHolder(h.name))
	defer locker.Close()

	conns := make([]*pgx.Conn, goroutinesPer)
	for g := range conns {
		if conns[g], err = h.pg(); err != nil {
			return err
		}
		defer conns[g].Close(context.Background())
	}
	clock := h.ns + ":clock"

	if err := h.signal(h.name+".ready", nil); err != nil {
		return err
	}
	if err := h.waitGo(); err != nil {
		return err
	}

	var (
		mu   sync.Mutex
		recs []grantRecord
		errs []error
		wg   sync.WaitGroup
	)
	for g := range goroutinesPer {
		wg.Go(func() {
			for range grantsPer {
				r, err := criticalSection(locker, h.rdb, conns[g], clock, h.name, g)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("g%d: %w", g, err))
				} else {
					recs = append(recs, r)
				}
				mu.Unlock()
				if err != nil {
					return
				}
				// Give the other processes' waiters a chance, like real work
				// between two requests would.
				time.Sleep(rand.N(300 * time.Microsecond))
			}
		})
	}
	wg.Wait()

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := h.signal(h.name+".jsonl", buf.Bytes()); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// criticalSection takes the lock once and records what happened inside.
func criticalSection(locker lock.Locker, rdb *goredis.Client, conn *pgx.Conn, clock, proc string, g int) (grantRecord, error) {
	r := grantRecord{Proc: proc, G: g}
	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	lease, err := locker.Acquire(ctx, procKey)
	cancel()
	if err != nil {
		return r, err
	}
	r.Token = lease.Token()
	work, cancel := context.WithTimeout(lease.Context(), procTestDeadline)
	defer cancel()

	if r.Start, err = rdb.Incr(work, clock).Result(); err != nil {
		lease.Release()
		return r, err
	}
	r.WallStart = time.Now().UnixNano()
	var read int64
	if err := conn.QueryRow(work, `SELECT rmw FROM guarded WHERE id = 1`).Scan(&read); err != nil {
		lease.Release()
		return r, err
	}
	tag, err := conn.Exec(work, fencedIncrement, r.Token, read+1, proc)
	if err != nil {
		lease.Release()
		return r, err
	}
	if r.Rows = tag.RowsAffected(); r.Rows == 0 {
		r.Fenced = errors.Is(lease.Fenced(), lock.ErrFenced)
	}
	if lease.Context().Err() != nil {
		r.Lost = context.Cause(lease.Context()).Error()
	}
	r.WallEnd = time.Now().UnixNano()
	if r.End, err = rdb.Incr(work, clock).Result(); err != nil {
		lease.Release()
		return r, err
	}
	if err := lease.Release(); err != nil {
		r.ReleaseErr = err.Error()
	}
	return r, nil
}

// ---------------------------------------------------------------- test 2

// A helper takes the lock with a 1 s TTL and is frozen with SIGSTOP. The
// test takes the lock once the helper's key has expired and writes the
// guarded row with its newer token. Resumed with SIGCONT and told to write,
// the helper's write is rejected by the fence and its lease context is
// already cancelled (ErrExpired or ErrLockLost).
func TestFrozenHolderIsFenced(t *testing.T) {
	rdb, ns, dbURL := procServices(t)
	dir := t.TempDir()
	procDB(t, dbURL)
	db := pgConnect(t, dbURL)

	a := startHelper(t, "frozen", "A", dir, ns, dbURL)
	raw := waitFile(t, a, filepath.Join(dir, "A.token"))
	tokenA, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		t.Fatalf("A's token %q: %v", raw, err)
	}

	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = a.cmd.Process.Signal(syscall.SIGCONT) // the kill in startHelper's cleanup works either way
		}
	})
	waitProcState(t, a, true)

	// Acquire waits until A's key expires in Redis: at most its TTL after
	// its last extension, since a frozen process extends nothing.
	locker := newLocker(t, rdb, ns, lock.WithHolder("parent"))
	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	lease, err := locker.Acquire(ctx, procKey)
	cancel()
	if err != nil {
		t.Fatalf("the parent could not take the lock from the frozen holder: %v", err)
	}
	t.Cleanup(func() { lease.Release() })
	if lease.Token() <= tokenA {
		t.Fatalf("parent token %d is not newer than the frozen holder's %d", lease.Token(), tokenA)
	}
	tag, err := db.Exec(lease.Context(), fencedIncrement, lease.Token(), 1, "parent")
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 1 {
		t.Fatalf("the new holder's fenced write updated %d rows, want 1", tag.RowsAffected())
	}
	// The grant and the write happened while A was frozen.
	waitProcState(t, a, true)

	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	writeFileAtomic(t, filepath.Join(dir, "go"), []byte("go"))
	a.wait(t)

	var rep frozenReport
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "A.report")), &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("frozen holder: token %d, parent token %d, report %+v", tokenA, lease.Token(), rep)
	if rep.Token != tokenA {
		t.Errorf("report token %d, want %d", rep.Token, tokenA)
	}
	if !rep.PastValidity {
		t.Error("after the freeze A's lease still considered itself valid")
	}
	if rep.Rows != 0 || !rep.Fenced {
		t.Errorf("A's late write updated %d rows (error %q), want 0 rows and lock.ErrFenced", rep.Rows, rep.WriteErr)
	}
	if !rep.CtxDoneAfterWrite {
		t.Error("A's lease context was not cancelled when its late write returned")
	}
	if !rep.CauseExpired && !rep.CauseLost {
		t.Errorf("A's lease context cause = %q, want lock.ErrExpired or lock.ErrLockLost", rep.Cause)
	}
	if !rep.ReleaseLost {
		t.Errorf("A's Release = %q, want lock.ErrLockLost", rep.ReleaseErr)
	}

	var n, fence int64
	var writer string
	if err := db.QueryRow(context.Background(), `SELECT n, fence, writer FROM guarded WHERE id = 1`).Scan(&n, &fence, &writer); err != nil {
		t.Fatal(err)
	}
	if n != 1 || fence != lease.Token() || writer != "parent" {
		t.Errorf("guarded row n=%d fence=%d writer=%q, want n=1 fence=%d writer=\"parent\"", n, fence, writer, lease.Token())
	}
	// A's Release must not have freed the parent's lock.
	if _, err := locker.TryLock(context.Background(), procKey); !errors.Is(err, lock.ErrNotAcquired) {
		t.Errorf("TryLock after A resumed: %v, want ErrNotAcquired (the parent still holds the lock)", err)
	}
	if lease.Context().Err() != nil {
		t.Errorf("the parent's lease ended: %v", context.Cause(lease.Context()))
	}
}

func helperFrozen() error {
	h, err := newHelperEnv()
	if err != nil {
		return err
	}
	defer h.close()
	locker := lockredis.New(h.rdb, h.ns, lock.WithHolder(h.name))
	defer locker.Close()
	conn, err := h.pg()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	lease, err := locker.Acquire(ctx, procKey, lock.WithTTL(time.Second))
	cancel()
	if err != nil {
		return err
	}
	defer lease.Release()
	if err := h.signal(h.name+".token", []byte(strconv.FormatInt(lease.Token(), 10))); err != nil {
		return err
	}
	// Frozen here. A real holder would have checked its lease just before.
	if err := h.waitGo(); err != nil {
		return err
	}
	rep := frozenReport{Token: lease.Token()}
	rep.PastValidity = time.Now().After(lease.ValidUntil())
	rep.CtxDoneBeforeWrite = lease.Context().Err() != nil

	// The late write: deliberately not bound to the lease context, so only
	// the fence can stop it.
	wctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	defer cancel()
	tag, err := conn.Exec(wctx, fencedIncrement, lease.Token(), 100, h.name)
	if err != nil {
		return err
	}
	if rep.Rows = tag.RowsAffected(); rep.Rows == 0 {
		werr := lease.Fenced()
		rep.WriteErr, rep.Fenced = werr.Error(), errors.Is(werr, lock.ErrFenced)
	}
	rep.CtxDoneAfterWrite = lease.Context().Err() != nil
	if c := context.Cause(lease.Context()); c != nil {
		rep.Cause = c.Error()
		rep.CauseExpired, rep.CauseLost = errors.Is(c, lock.ErrExpired), errors.Is(c, lock.ErrLockLost)
	}
	if rerr := lease.Release(); rerr != nil {
		rep.ReleaseErr, rep.ReleaseLost = rerr.Error(), errors.Is(rerr, lock.ErrLockLost)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	return h.signal(h.name+".report", b)
}

// ---------------------------------------------------------------- parent side

// procServices returns a Redis client, a fresh lock namespace (deleted at
// the end) and a fresh PostgreSQL database URL; it skips or fails like
// redistest and pgtest when the services are not configured.
func procServices(t *testing.T) (*goredis.Client, string, string) {
	t.Helper()
	rdb := client(t, options(t))
	ns := namespace()
	cleanup(t, rdb, ns)
	return rdb, ns, pgtest.URL(t)
}

func pgConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func procDB(t *testing.T, url string) {
	t.Helper()
	if _, err := pgConnect(t, url).Exec(context.Background(), guardedSchema); err != nil {
		t.Fatalf("create the guarded table: %v", err)
	}
}

// helperProc is a running helper process.
type helperProc struct {
	name string
	cmd  *exec.Cmd
	out  bytes.Buffer // stdout and stderr; read only after done
	done chan struct{}
	err  error
}

// startHelper re-executes the test binary as a helper process. The test's
// cleanup kills it (SIGKILL also ends a stopped process) and reaps it.
func startHelper(t *testing.T, role, name, dir, ns, dbURL string) *helperProc {
	t.Helper()
	h := &helperProc{name: name, done: make(chan struct{})}
	h.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout="+(3*procTestDeadline).String())
	h.cmd.Env = append(os.Environ(),
		envHelperRole+"="+role,
		envHelperDir+"="+dir,
		envHelperName+"="+name,
		envHelperNS+"="+ns,
		envHelperDB+"="+dbURL,
	)
	h.cmd.Stdout, h.cmd.Stderr = &h.out, &h.out
	setHelperProcAttr(h.cmd)
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("start helper %s: %v", name, err)
	}
	go func() {
		h.err = h.cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		select {
		case <-h.done:
		default:
			_ = h.cmd.Process.Kill()
			<-h.done
		}
	})
	return h
}

// wait waits (bounded) for the helper to exit and fails unless it succeeded.
func (h *helperProc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(procTestDeadline):
		_ = h.cmd.Process.Kill()
		<-h.done
		t.Fatalf("helper %s did not finish within %v; output:\n%s", h.name, procTestDeadline, h.out.String())
	}
	if h.err != nil {
		t.Fatalf("helper %s: %v; output:\n%s", h.name, h.err, h.out.String())
	}
}

// waitFile waits (bounded) for a file a helper writes, failing early if the
// helper exits first.
func waitFile(t *testing.T, h *helperProc, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(procTestDeadline)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
		select {
		case <-h.done:
			if b, err := os.ReadFile(path); err == nil {
				return b
			}
			t.Fatalf("helper %s exited (%v) before writing %s; output:\n%s", h.name, h.err, filepath.Base(path), h.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("helper %s did not write %s within %v", h.name, filepath.Base(path), procTestDeadline)
		}
	}
}

// waitProcState waits (bounded) until the helper is stopped (or running).
// Where /proc is missing it returns at once.
func waitProcState(t *testing.T, h *helperProc, stopped bool) {
	t.Helper()
	deadline := time.Now().Add(procTestDeadline)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
		if err != nil {
			return
		}
		i := bytes.LastIndexByte(b, ')')
		state := strings.Fields(string(b[i+1:]))[0]
		if (state == "T" || state == "t") == stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("helper %s is in state %q, want stopped=%v", h.name, state, stopped)
		}
		time.Sleep(time.Millisecond)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readRecords(t *testing.T, path string) []grantRecord {
	t.Helper()
	var recs []grantRecord
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	for sc.Scan() {
		var r grantRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func writeFileAtomic(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := writeAtomic(path, b); err != nil {
		t.Fatal(err)
	}
}

// writeAtomic writes through a temporary file and a rename, so a reader
// polling for path never sees it half written.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ---------------------------------------------------------------- helper side

type helperEnv struct {
	dir, name, ns, dbURL string
	rdb                  *goredis.Client
}

func newHelperEnv() (*helperEnv, error) {
	h := &helperEnv{
		dir:   os.Getenv(envHelperDir),
		name:  os.Getenv(envHelperName),
		ns:    os.Getenv(envHelperNS),
		dbURL: os.Getenv(envHelperDB),
	}
	if h.dir == "" || h.name == "" || h.ns == "" || h.dbURL == "" {
		return nil, errors.New("helper environment incomplete")
	}
	opt, err := goredis.ParseURL(os.Getenv("OCEAN_TEST_REDIS_URL"))
	if err != nil {
		return nil, err
	}
	h.rdb = goredis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	defer cancel()
	if err := h.rdb.Ping(ctx).Err(); err != nil {
		h.rdb.Close()
		return nil, err
	}
	return h, nil
}

func (h *helperEnv) close() { h.rdb.Close() }

func (h *helperEnv) pg() (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procTestDeadline)
	defer cancel()
	return pgx.Connect(ctx, h.dbURL)
}

func (h *helperEnv) signal(file string, b []byte) error {
	return writeAtomic(filepath.Join(h.dir, file), b)
}

// waitGo polls for the parent's "go" file (bounded).
func (h *helperEnv) waitGo() error {
	deadline := time.Now().Add(procTestDeadline)
	for {
		if _, err := os.Stat(filepath.Join(h.dir, "go")); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("no go signal from the parent")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
