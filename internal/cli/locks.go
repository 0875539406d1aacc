package cli

import (
	"fmt"
	"os"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	lockredis "github.com/oceanshop/ocean/internal/lock/redis"
	"github.com/oceanshop/ocean/internal/metrics"
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
	a.Metrics.MustRegister(metrics.LockCollector{Metrics: a.LockMetrics})
	opts := []lock.Option{lock.WithMetrics(a.LockMetrics), lock.WithHolder(instanceName())}
	if a.Redis != nil {
		l := lockredis.New(a.Redis, "ocean:lock:"+shop, opts...)
		a.closeLocker = l.Close
		a.Locker = l
		return
	}
	a.Locker = local.New(opts...)
}
