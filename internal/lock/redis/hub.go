package redis

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscribeWait bounds how long Watch waits for Redis to confirm a
// subscription; after it the waiter polls (backoff) until the confirmation
// arrives.
const subscribeWait = time.Second

// hub multiplexes every waiter of one Locker over a single pub/sub
// connection, subscribing to a key's channel while anyone waits on it.
type hub struct {
	rdb    goredis.UniversalClient
	mu     sync.Mutex
	ps     *goredis.PubSub
	closed bool
	subs   map[string]*sub
}

type sub struct {
	waiters   map[chan struct{}]struct{}
	ready     chan struct{} // closed when Redis confirmed the subscription
	confirmed bool
}

func (s *sub) wake() {
	for ch := range s.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (h *hub) watch(ctx context.Context, channel string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ch, func() {} // polling only
	}
	if h.ps == nil {
		h.subs = map[string]*sub{}
		h.ps = h.rdb.Subscribe(context.Background())
		go h.loop(h.ps.ChannelWithSubscriptions())
	}
	s := h.subs[channel]
	if s == nil {
		s = &sub{waiters: map[chan struct{}]struct{}{}, ready: make(chan struct{})}
		h.subs[channel] = s
		// Under h.mu, so SUBSCRIBE and UNSUBSCRIBE of one channel reach
		// Redis in the order of our bookkeeping. An error is retried by
		// go-redis when it reconnects (the channel stays registered).
		sctx, cancel := context.WithTimeout(ctx, subscribeWait)
		_ = h.ps.Subscribe(sctx, channel)
		cancel()
	}
	s.waiters[ch] = struct{}{}
	ready := s.ready
	h.mu.Unlock()

	t := time.NewTimer(subscribeWait)
	select {
	case <-ready:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()

	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(s.waiters, ch)
		if len(s.waiters) == 0 && h.subs[channel] == s {
			delete(h.subs, channel)
			if !h.closed {
				uctx, cancel := context.WithTimeout(context.Background(), subscribeWait)
				_ = h.ps.Unsubscribe(uctx, channel)
				cancel()
			}
		}
	}
}

func (h *hub) loop(msgs <-chan any) {
	for msg := range msgs {
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			h.mu.Lock()
			if s := h.subs[m.Channel]; s != nil {
				if s.confirmed {
					// Resubscribed after a reconnect: a release may
					// have been missed, so let the waiters try again.
					s.wake()
				} else {
					s.confirmed = true
					close(s.ready)
				}
			}
			h.mu.Unlock()
		case *goredis.Message:
			h.mu.Lock()
			if s := h.subs[m.Channel]; s != nil {
				s.wake()
			}
			h.mu.Unlock()
		}
	}
}

func (h *hub) close() error {
	h.mu.Lock()
	h.closed = true
	ps := h.ps
	for _, s := range h.subs {
		s.wake()
	}
	h.mu.Unlock()
	if ps == nil {
		return nil
	}
	return ps.Close()
}
