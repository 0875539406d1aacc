// Package lock is Ocean's lock framework: mutual exclusion between goroutines,
// processes and Ocean instances, with fencing tokens so that a holder that
// lost its lock (a GC pause, a frozen VM, a network partition) cannot corrupt
// the data the lock guards.
//
// Two implementations serve the same [Locker] contract (package locktest runs
// one suite against both):
//
//   - lock/redis — for a fleet of instances sharing one Redis (single node or
//     Sentinel; keys are Redis Cluster-safe).
//   - lock/local — in-process, for the embedded single-instance default.
//
// # Using a lock
//
//	lease, err := locker.Acquire(ctx, "cart:"+cartID, lock.WithTTL(10*time.Second))
//	if err != nil {
//		return err // errors.Is(err, context.DeadlineExceeded), lock.ErrUnavailable, …
//	}
//	defer lease.Release()
//	// Do the work with lease.Context(): it is cancelled the moment the lock
//	// is lost or its validity ends (context.Cause tells why).
//	res, err := tx.ExecContext(lease.Context(),
//		`UPDATE stock SET qty = qty - $1, fence = $2 WHERE variant = $3 AND fence <= $2`,
//		n, lease.Token(), variant)
//	if rows, _ := res.RowsAffected(); rows == 0 {
//		return lease.Fenced() // a newer holder wrote first: lock.ErrFenced
//	}
//
// # Guarantees and their limits
//
// A lock makes contention cheap; it does not make a write correct on its own.
// Every grant carries a fencing token ([Lease.Token]) that is strictly greater
// than every earlier token for the same key. A write the lock guards stores
// the token next to the data and only applies when the stored token is not
// newer (`… WHERE fence < $token`, or `<=` when one lease writes the same row
// more than once; tokens are unique per grant). When no row matches, the
// caller returns [ErrFenced] (via [Lease.Fenced] or [Metrics.Fenced], which
// count it). That is what keeps the data right when a holder paused past its
// TTL, when Redis lost a key on failover, or when clocks misbehave.
//
// Tokens are max(previous token + 1, server clock in microseconds): strictly
// increasing per key, and still increasing after Redis lost its data (a
// restart without persistence, an asynchronous replica promoted by Sentinel)
// or after the embedded process restarted — so a database that remembers
// fence values never rejects every new holder because the counter restarted.
//
// A [Lease] is valid until its last confirmed grant or extension plus the TTL,
// minus a safety margin for clock-rate drift (TTL/100 + 2ms), measured from the
// moment the request was sent. A watchdog extends the lease every TTL/3 while
// the work continues; a transient backend error is retried until the validity
// ends, at which point the lease context is cancelled with [ErrExpired]. When
// the backend answers that the key is gone or belongs to someone else, the
// context is cancelled at once with [ErrLockLost]. After [WithMaxHold] the
// watchdog stops: the lease ends at MaxHold with [ErrMaxHold], whatever the
// work is doing.
//
// [Lease.Release] runs on its own short timeout, immune to the caller's
// cancelled context, and deletes the key only if it still carries this
// grant's random value (compare-and-delete), so releasing an expired lease
// never frees someone else's lock.
//
// Acquire waits with jittered exponential backoff between [WithBackoff]
// bounds, and wakes early when the holder releases (Redis pub/sub, or an
// in-process signal): a waiter normally takes a released lock within one round
// trip, and the backoff is only the fallback when a wake-up is missed or the
// holder's key simply expires (the waiter also wakes when the holder's TTL
// runs out). Waiting is not fair (no queue).
//
// [Locker.AcquireMany] takes keys in sorted, deduplicated order and releases
// whatever it took when it fails, so two callers locking {a,b} and {b,a} never
// deadlock.
//
// Metrics (acquisitions, failures, wait and hold time, contention,
// extensions, extension failures, lost locks, fencing rejections) go through
// [Metrics], plain counters that [Metrics.Stats] reads (internal/metrics
// exports them to Prometheus; the admin's lock page shows them); a nil
// *Metrics is a valid no-op.
//
// Implementing a backend: provide a [Backend] and wrap it with [New]; the
// waiting, watchdog, validity, metrics and multi-key logic live here, once.
package lock
