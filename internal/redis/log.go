package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// clientLog routes go-redis's own messages (reconnects, "failed to dial"
// during an outage) into the shop's log at debug level: the outage itself
// is reported once by the cache, the limiter and /readyz.
type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

var logOnce sync.Once

// UseLog sends go-redis's messages to log, once per process (go-redis has
// one global logger): the first call wins.
func UseLog(log *slog.Logger) {
	logOnce.Do(func() { goredis.SetLogger(clientLog{log}) })
}
