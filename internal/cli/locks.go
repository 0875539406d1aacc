package cli

import (
	"fmt"
	"os"

	"github.com/oceanshop/ocean/internal/buildinfo"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	lockredis "github.com/oceanshop/ocean/internal/lock/redis"
	"github.com/oceanshop/ocean/internal/metrics"
	"github.com/oceanshop/ocean/internal/sqldb"
)

// instanceName identifies this process in lock holders and logs.
func instanceName() string {
	h, err := os.Hostname()
	if err != nil {
		h = "ocean"
	}
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}

// initLocks makes the metrics registry and the locker: Redis locks shared by
// the fleet when OCEAN_REDIS_URL is set, in-process locks otherwise.
func (a *App) initLocks(shop string) {
	a.Metrics = metrics.NewRegistry()
	a.LockMetrics = lock.NewMetrics()
	a.Metrics.MustRegister(metrics.LockCollector{Metrics: a.LockMetrics}, metrics.DBCollector{Pools: a.DB.Pools})
	version, commit, _ := buildinfo.Info(Version, Commit, BuildDate)
	metrics.RegisterBuildInfo(a.Metrics, version, commit)
	a.DB.Observe = sqldb.Observer{Span: a.Tracing.SpanFunc(), Duration: metrics.NewQueries(a.Metrics).Observe}
	opts := []lock.Option{lock.WithMetrics(a.LockMetrics), lock.WithHolder(instanceName()), lock.WithTrace(a.Tracing.SpanFunc())}
	if a.Redis != nil {
		l := lockredis.New(a.Redis, "ocean:lock:"+shop, opts...)
		a.closeLocker = l.Close
		a.Locker = l
		return
	}
	a.Locker = local.New(opts...)
}
