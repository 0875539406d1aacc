package cli

import (
	"time"

	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/ratelimit/local"
	rlredis "github.com/oceanshop/ocean/internal/ratelimit/redis"
	"github.com/oceanshop/ocean/internal/redis"
)

// newLimiter keeps the counts in Redis when the shop has one (so a fleet
// shares each client's budget), else in process.
func (a *App) newLimiter(cfg config.Config) (ratelimit.Limiter, error) {
	ps := cfg.LimitPolicies()
	if a.Redis != nil {
		return rlredis.New(a.Redis, ps, rlredis.Options{Prefix: "ocean:rl:" + redis.ShopID(cfg.DatabaseURL, cfg.DataDir) + ":", Timeout: 2 * time.Second})
	}
	return local.New(ps, local.Options{})
}
