package catalog

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
)

// Cache holds catalog reads between writes. Implementations must be safe for
// concurrent use.
//
// Every entry carries tags: what it shows (TagProduct for each product on it)
// and what could change which products it lists (TagListings and its
// narrower forms). A write invalidates only the tags it touches
// (InvalidateTags): an entry is dropped when one of its tags is, and the rest
// stay. Invalidate drops everything (a category change, an outage) and starts
// a new generation.
//
// Gen is read before a value is loaded and handed to Set: Set stores only if
// neither the whole cache nor one of the value's tags was invalidated since,
// so a value read before a write never outlives it. A shared implementation
// (Redis) also tells other instances, and keeps a second tier every instance
// reads.
//
// Entries expire after the keyspace's TTL (CacheTTL, with jitter), and Get
// may report a miss for an entry shortly before it expires (RefreshEarly), so
// that one reader reloads a hot key while the others are still served.
type Cache interface {
	Gen(ctx context.Context) uint64
	Get(ctx context.Context, key string) (any, bool)
	Set(ctx context.Context, key string, v any, gen uint64, tags ...string)
	Invalidate(ctx context.Context)
	InvalidateTags(ctx context.Context, tags ...string)
}

// BatchCache is a Cache that can look up and store many keys at once (one
// round trip to a shared tier). Service uses it for product cards.
type BatchCache interface {
	Cache
	// GetMany returns the values for keys, nil where there is none.
	GetMany(ctx context.Context, keys []string) []any
	// SetMany stores vals[i] under keys[i], tagged tags[i] (if given), if
	// neither the cache nor those tags were invalidated since gen.
	SetMany(ctx context.Context, keys []string, vals []any, gen uint64, tags ...[]string)
}

// The keyspaces of the catalog cache: a key is "<keyspace>:<rest>" ("tree"
// alone for the category tree). Stats are kept per keyspace.
const (
	KeyTree     = "tree"     // the category tree
	KeySearch   = "search"   // a whole search or listing page
	KeyFacets   = "facets"   // the facets of a search (all its pages)
	KeyCard     = "card"     // one product card
	KeyProduct  = "product"  // one product page's product, by slug
	KeyView     = "view"     // a door's rendered form of a read ([]byte)
	KeyNegative = "negative" // a product slug known not to exist
)

// CacheKeyspaces lists the keyspaces; anything else counts as "other".
var CacheKeyspaces = []string{KeyTree, KeySearch, KeyFacets, KeyCard, KeyProduct, KeyView, KeyNegative}

// CacheKeyspace returns the keyspace of a cache key.
func CacheKeyspace(key string) string {
	if i := keyspaceIndex(key); i < len(CacheKeyspaces) {
		return CacheKeyspaces[i]
	}
	return "other"
}

func keyspaceIndex(key string) int {
	ks, _, _ := strings.Cut(key, ":")
	for i, k := range CacheKeyspaces {
		if k == ks {
			return i
		}
	}
	return len(CacheKeyspaces) // other
}

// Time to live, before jitter. Every write invalidates what it changed, so
// these are a safety net and a bound on memory, not what keeps pages fresh.
// The in-process tier is refreshed from the shared tier often; the shared
// tier lives longer. Negative entries are short: a slug that appears (a
// product created) invalidates anyway, but a typo should not be remembered.
const (
	LocalTTL          = time.Minute
	SharedTTL         = 10 * time.Minute
	NegativeLocalTTL  = 10 * time.Second
	NegativeSharedTTL = 30 * time.Second
)

// CacheTTL returns how long an entry under key lives in the in-process tier
// and in the shared tier, before jitter.
func CacheTTL(key string) (local, shared time.Duration) {
	if strings.HasPrefix(key, KeyNegative+":") {
		return NegativeLocalTTL, NegativeSharedTTL
	}
	return LocalTTL, SharedTTL
}

// Jitter spreads d by up to ±10%, so entries stored together (a warm-up, the
// burst after a write) do not all expire together.
func Jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d)) //nolint:gosec // spreads expiry times; nothing to guess
}

// RefreshEarly reports whether a reader at now should treat an entry that
// expires at exp as a miss and reload it: probabilistic early expiration
// ("XFetch"). The lead is exponentially distributed with mean gap, so a key
// read many times per gap is reloaded, by one reader, well before it
// expires, while a key read rarely simply expires. u is uniform in (0, 1].
func RefreshEarly(now, exp time.Time, gap time.Duration, u float64) bool {
	if u <= 0 {
		u = math.SmallestNonzeroFloat64
	}
	lead := time.Duration(-float64(gap) * math.Log(u))
	return !now.Add(lead).Before(exp)
}

// RefreshGap is the mean lead of RefreshEarly for an entry that lives ttl.
func RefreshGap(ttl time.Duration) time.Duration { return ttl / 20 }

// EncodeCacheValue serializes a value cached under key for a shared tier:
// gob for the catalog's types, the bytes themselves for views. Values that
// have no encoding (a view that is not []byte) are an error, and stay in
// the in-process tier only.
func EncodeCacheValue(key string, v any) ([]byte, error) {
	switch keyspaceIndex(key) {
	case 0: // tree
		t, ok := v.(*Tree)
		if !ok {
			break
		}
		return gobEncode(t.flat)
	case 1: // search
		if p, ok := v.(*Page); ok {
			return gobEncode(p)
		}
	case 2: // facets
		if f, ok := v.(Facets); ok {
			return gobEncode(f)
		}
	case 3: // card
		if c, ok := v.(Card); ok {
			return gobEncode(c)
		}
	case 4: // product
		if p, ok := v.(*Product); ok {
			return gobEncode(p)
		}
	case 5: // view
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case 6: // negative
		return []byte{1}, nil
	}
	return nil, fmt.Errorf("catalog cache: no encoding for %T under %q", v, CacheKeyspace(key))
}

// DecodeCacheValue is the inverse of EncodeCacheValue.
func DecodeCacheValue(key string, b []byte) (any, error) {
	switch keyspaceIndex(key) {
	case 0:
		var cats []Category
		if err := gobDecode(b, &cats); err != nil {
			return nil, err
		}
		return buildTree(cats), nil
	case 1:
		p := new(Page)
		return p, gobDecode(b, p)
	case 2:
		var f Facets
		return f, gobDecode(b, &f)
	case 3:
		var c Card
		return c, gobDecode(b, &c)
	case 4:
		p := new(Product)
		return p, gobDecode(b, p)
	case 5:
		return b, nil
	case 6:
		return true, nil
	}
	return nil, errors.New("catalog cache: unknown keyspace in " + key)
}

func gobEncode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gobDecode(b []byte, v any) error { return gob.NewDecoder(bytes.NewReader(b)).Decode(v) }

// CacheCounts counts the lookups of one keyspace. Every lookup is a local
// hit or a local miss; with a shared tier, every local miss that could ask
// it is then a shared hit or a shared miss. Refreshes are the misses that
// were early refreshes of an entry not yet expired (RefreshEarly).
type CacheCounts struct {
	LocalHits    uint64 `json:"local_hits"`
	LocalMisses  uint64 `json:"local_misses"`
	SharedHits   uint64 `json:"shared_hits"`
	SharedMisses uint64 `json:"shared_misses"`
	Refreshes    uint64 `json:"refreshes"`
}

// Lookups is the number of lookups counted.
func (c CacheCounts) Lookups() uint64 { return c.LocalHits + c.LocalMisses }

// HitRatio is the share of lookups answered by either tier, 0 without any.
func (c CacheCounts) HitRatio() float64 {
	if c.Lookups() == 0 {
		return 0
	}
	return float64(c.LocalHits+c.SharedHits) / float64(c.Lookups())
}

func (c *CacheCounts) add(o CacheCounts) {
	c.LocalHits += o.LocalHits
	c.LocalMisses += o.LocalMisses
	c.SharedHits += o.SharedHits
	c.SharedMisses += o.SharedMisses
	c.Refreshes += o.Refreshes
}

// CacheStats maps a keyspace to its counts.
type CacheStats map[string]CacheCounts

// Total sums every keyspace.
func (s CacheStats) Total() CacheCounts {
	var t CacheCounts
	for _, c := range s {
		t.add(c)
	}
	return t
}

// Add returns the sum of s and o (two instances, say).
func (s CacheStats) Add(o CacheStats) CacheStats {
	out := CacheStats{}
	for _, m := range []CacheStats{s, o} {
		for k, c := range m {
			t := out[k]
			t.add(c)
			out[k] = t
		}
	}
	return out
}

// CacheCounters are per-keyspace lookup counters safe for concurrent use,
// for Cache implementations; the zero value is ready.
type CacheCounters struct {
	c [8]struct{ lh, lm, sh, sm, rf atomic.Uint64 }
}

// Local counts a lookup in the in-process tier.
func (c *CacheCounters) Local(key string, hit bool) {
	k := &c.c[keyspaceIndex(key)]
	if hit {
		k.lh.Add(1)
	} else {
		k.lm.Add(1)
	}
}

// Shared counts a lookup in the shared tier.
func (c *CacheCounters) Shared(key string, hit bool) {
	k := &c.c[keyspaceIndex(key)]
	if hit {
		k.sh.Add(1)
	} else {
		k.sm.Add(1)
	}
}

// Refresh counts a miss that was an early refresh.
func (c *CacheCounters) Refresh(key string) { c.c[keyspaceIndex(key)].rf.Add(1) }

// Stats returns the counts so far.
func (c *CacheCounters) Stats() CacheStats {
	s := CacheStats{}
	for i := range c.c {
		k := &c.c[i]
		cc := CacheCounts{LocalHits: k.lh.Load(), LocalMisses: k.lm.Load(), SharedHits: k.sh.Load(), SharedMisses: k.sm.Load(), Refreshes: k.rf.Load()}
		if cc == (CacheCounts{}) {
			continue
		}
		name := "other"
		if i < len(CacheKeyspaces) {
			name = CacheKeyspaces[i]
		}
		s[name] = cc
	}
	return s
}

// NewTree builds the tree of cats (ordered by parent, position, name, as the
// store returns them). Caches and tests use it; Service builds its own.
func NewTree(cats []Category) *Tree { return buildTree(cats) }
