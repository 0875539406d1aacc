package sqldb

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// SQLite has one writer: each write transaction waits for the one before
// it, and each pays for its own BEGIN, COMMIT and WAL write. Under load a
// purchase's transactions spent about a fifth of the shop's CPU in their
// commits, and the single write connection passed from goroutine to
// goroutine between them (decision 0210). So on SQLite, InTx does not take
// the connection itself: it hands its function to one writer goroutine,
// which runs the functions queued meanwhile one after the other inside one
// transaction and commits them together.
//
// Each function runs in a savepoint of its own, so it is still all or
// nothing by itself: a function that fails is rolled back to its savepoint
// and its caller gets its error, while the others go on. Every caller is
// answered only once the group's COMMIT is done: a success is as durable
// as before, and a refusal (a unique key taken, a compare-and-set lost) is
// answered when what refused it can be read, so a caller that looks for the
// winner on a read connection finds it. When the commit fails, every
// function that succeeded gets the error, and so does every one that
// failed after them: what it saw was never committed. The functions run in the order they were queued, each
// seeing the writes of those before it, exactly as if they had run one
// after the other, which is what the single writer did anyway: stock
// checks, unique keys and compare-and-set updates answer as before.
//
// A caller's context stops its function from starting (it was cancelled
// while queued) but not its statements once started: cancelling a SQLite
// statement interrupts the connection, and an interrupted write rolls back
// the whole transaction, the other callers' work included.

// maxGroup bounds how many functions share one transaction.
const maxGroup = 64

var errClosed = errors.New("the database is closed")

type groupWriter struct {
	db   *DB
	mu   sync.Mutex
	jobs []*txJob
	shut bool
	wake chan struct{} // one pending wake-up is enough
	quit chan struct{}
	done chan struct{}
}

type txJob struct {
	ctx      context.Context
	fn       func(*Tx) error
	err      error
	panicked any
	finished chan struct{}
}

// writer returns the DB's group writer, started on first use; nil once
// the DB is closed if no write had started it.
func (db *DB) writer() *groupWriter {
	db.groupOnce.Do(func() {
		db.group = &groupWriter{db: db, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
		go db.group.run()
	})
	return db.group
}

// inGroup queues fn for the writer and waits for its answer: fn's error,
// or the group's commit error, or nil once committed.
func (db *DB) inGroup(ctx context.Context, fn func(*Tx) error) error {
	w := db.writer()
	if w == nil { // closed before any write started the writer
		return fmt.Errorf("begin: %w", errClosed)
	}
	j := &txJob{ctx: ctx, fn: fn, finished: make(chan struct{})}
	w.mu.Lock()
	if w.shut {
		w.mu.Unlock()
		return fmt.Errorf("begin: %w", errClosed)
	}
	w.jobs = append(w.jobs, j)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	// Not on ctx: once queued, the job is the writer's until answered, so
	// nothing it captured is touched after its caller has returned.
	<-j.finished
	if j.panicked != nil {
		panic(j.panicked)
	}
	return j.err
}

// close stops the writer once the queued functions have been answered.
// A second close waits like the first.
func (w *groupWriter) close() {
	w.mu.Lock()
	first := !w.shut
	w.shut = true
	w.mu.Unlock()
	if first {
		close(w.quit)
	}
	<-w.done
}

func (w *groupWriter) run() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
		case <-w.quit:
		}
		for {
			w.mu.Lock()
			n := min(len(w.jobs), maxGroup)
			group := append([]*txJob(nil), w.jobs[:n]...)
			w.jobs = append(w.jobs[:0], w.jobs[n:]...)
			shut := w.shut
			w.mu.Unlock()
			if n == 0 {
				if shut {
					return
				}
				break
			}
			w.commit(group)
		}
	}
}

// commit runs group in one transaction and answers each job.
func (w *groupWriter) commit(group []*txJob) {
	ctx := context.Background()
	tx, err := w.db.Write.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range group {
			j.err = fmt.Errorf("begin: %w", err)
			close(j.finished)
		}
		return
	}
	var ran []*txJob    // succeeded, waiting for the commit
	var failed []*txJob // failed after something ran, waiting for the commit too
	var broken error    // the transaction is gone: SQLite rolled it back
	defer func() {
		for _, j := range failed {
			close(j.finished)
		}
	}()
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = fmt.Errorf("begin: %w", err)
			close(j.finished)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT g"); err != nil {
			// Answered, not queued again: every transaction answers at
			// least one job, so a database that keeps failing cannot loop.
			broken = err
			j.err = fmt.Errorf("begin: %w", err)
			close(j.finished)
			w.requeue(group[i+1:])
			break
		}
		err := runJob(&Tx{db: w.db, tx: tx, grouped: true}, j)
		if err == nil {
			if _, err := tx.ExecContext(ctx, "RELEASE g"); err != nil {
				broken = err
				ran = append(ran, j)
				w.requeue(group[i+1:])
				break
			}
			ran = append(ran, j)
			continue
		}
		// fn failed: its writes go, the others' stay. Its error may come
		// from what ran before it in this transaction, so it is answered
		// with the group.
		j.err = err
		_, rerr := tx.ExecContext(ctx, "ROLLBACK TO g")
		if rerr == nil {
			_, rerr = tx.ExecContext(ctx, "RELEASE g")
		}
		if len(ran) > 0 {
			failed = append(failed, j)
		} else {
			close(j.finished)
		}
		if rerr != nil {
			broken = rerr
			w.requeue(group[i+1:])
			break
		}
	}
	if broken != nil {
		_ = tx.Rollback() // already rolled back by SQLite, or rolled back here
		lost(ran, failed, fmt.Errorf("commit: the transaction was rolled back: %w", broken))
		for _, j := range ran {
			close(j.finished)
		}
		return
	}
	if err := tx.Commit(); err != nil {
		lost(ran, failed, fmt.Errorf("commit: %w", err))
	}
	for _, j := range ran {
		close(j.finished)
	}
}

// lost gives err to the jobs of a transaction that was not committed: the
// ones that succeeded, and the ones that failed after them (a panic stays
// a panic).
func lost(ran, failed []*txJob, err error) {
	for _, j := range ran {
		j.err = err
	}
	for _, j := range failed {
		if j.panicked == nil {
			j.err = err
		}
	}
}

// requeue puts jobs that have not run back at the head of the queue, for
// the next transaction.
func (w *groupWriter) requeue(jobs []*txJob) {
	if len(jobs) == 0 {
		return
	}
	w.mu.Lock()
	w.jobs = append(append([]*txJob(nil), jobs...), w.jobs...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// runJob runs j's function; a panic is carried back to j's caller, and its
// writes are rolled back like an error's.
func runJob(tx *Tx, j *txJob) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panicked = p
			err = errPanicked
		}
	}()
	return j.fn(tx)
}

var errPanicked = errors.New("the transaction's function panicked")
