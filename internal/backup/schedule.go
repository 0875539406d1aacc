package backup

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/oceanshop/ocean/internal/lock"
)

// LeaderKey is the lock whose holder runs the scheduled backups of a fleet.
const LeaderKey = "backup:leader"

// Schedule runs run every interval on one instance of a fleet until ctx
// ends: the instance holding the LeaderKey lease (lock.WithMaxHold(0), so
// the watchdog keeps it as long as the instance lives). The others wait for
// the lease; when the leader dies or loses it, one of them takes over. The
// next backup is due interval after the newest one in dir, so a new leader
// does not repeat a backup the old one just made. A failed run is retried
// after min(interval, 5 min).
func Schedule(ctx context.Context, l lock.Locker, dir string, interval time.Duration, run func(context.Context) error, log *slog.Logger) {
	retry := min(interval, 5*time.Minute)
	var last time.Time // this instance's last attempt
	for ctx.Err() == nil {
		lease, err := l.Acquire(ctx, LeaderKey, lock.WithTTL(30*time.Second), lock.WithMaxHold(0))
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("backup scheduler: cannot take the leader lock; retrying", "err", err)
				sleep(ctx, 5*time.Second)
			}
			continue
		}
		log.Info("backup scheduler: this instance runs the scheduled backups", "dir", dir, "interval", interval)
		lctx := lease.Context()
		for ctx.Err() == nil && lctx.Err() == nil {
			next := newest(dir).Add(interval)
			if !last.IsZero() {
				next = later(next, last.Add(retry))
			}
			t := time.NewTimer(time.Until(next))
			select {
			case <-ctx.Done():
			case <-lctx.Done():
				log.Warn("backup scheduler: lost the leader lock; another instance takes over", "cause", context.Cause(lctx))
			case <-t.C:
				last = time.Now()
				if err := run(lctx); err != nil {
					log.Error("scheduled backup failed", "dir", dir, "err", err, "retry_in", retry)
				}
			}
			t.Stop()
		}
		_ = lease.Release()
	}
}

// newest returns when the newest complete backup in dir was made (zero
// time when there is none).
func newest(dir string) time.Time {
	all, err := List(dir)
	if err != nil || len(all) == 0 {
		return time.Time{}
	}
	var m Manifest
	b, err := os.ReadFile(filepath.Join(all[len(all)-1], ManifestName))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return time.Time{}
	}
	return m.Created
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
