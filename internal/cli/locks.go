package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	lockredis "github.com/oceanshop/ocean/internal/lock/redis"
)

// instanceName identifies this process in lock holders and logs.
func instanceName() string {
	h, err := os.Hostname()
	if err != nil {
		h = "ocean"
	}
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}

// redisLog routes go-redis's own messages (reconnects, "failed to dial"
// during an outage) into the shop's log at debug level: the outage itself
// is reported once by the cache, the limiter and /readyz.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

var redisLogOnce sync.Once

// useRedisLog installs redisLog once per process (go-redis has one global
// logger).
func useRedisLog(log *slog.Logger) {
	redisLogOnce.Do(func() { goredis.SetLogger(redisLog{log}) })
}

// initLocks makes the metrics registry and the locker: Redis locks shared by
// the fleet when OCEAN_REDIS_URL is set, in-process locks otherwise.
func (a *App) initLocks(shop string) {
	a.Metrics = prometheus.NewRegistry()
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.LockMetrics = lock.NewMetrics(a.Metrics)
	opts := []lock.Option{lock.WithMetrics(a.LockMetrics), lock.WithHolder(instanceName())}
	if a.Redis != nil {
		l := lockredis.New(a.Redis, "ocean:lock:"+shop, opts...)
		a.closeLocker = l.Close
		a.Locker = l
		return
	}
	a.Locker = local.New(opts...)
}
