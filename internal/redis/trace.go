package redis

import (
	"context"
	"errors"
	"net"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/ocean"
)

// TraceHook returns a go-redis hook that makes a span for every command
// ("redis get"), pipeline ("redis pipeline") and new connection ("redis
// dial") under the caller's span. A missing key (redis.Nil) is an answer,
// not a failure. Add it with client.AddHook before the client is shared.
func TraceHook(span ocean.SpanFunc) goredis.Hook { return traceHook{span} }

type traceHook struct{ span ocean.SpanFunc }

func (h traceHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, end := h.span.Span(ctx, "redis dial")
		c, err := next(ctx, network, addr)
		end(err)
		return c, err
	}
}

func (h traceHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		ctx, end := h.span.Span(ctx, "redis "+strings.ToLower(cmd.Name()), "db.system.name", "redis")
		err := next(ctx, cmd)
		end(answer(err))
		return err
	}
}

func (h traceHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		ctx, end := h.span.Span(ctx, "redis pipeline", "db.system.name", "redis")
		err := next(ctx, cmds)
		end(answer(err))
		return err
	}
}

func answer(err error) error {
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}
