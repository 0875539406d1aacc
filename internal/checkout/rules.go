package checkout

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/pricing"
)

// RulesTTL is how long a checkout keeps what it read of the shop's rules
// (settings, a country's shipping methods and tax rate): a change made on
// another instance of a fleet applies within it. A change made through
// this instance applies at once (SettingsGeneration moves).
const RulesTTL = time.Second

// rulesCache keeps the shop's rules as last read: every quote, cart and
// checkout read the settings, the destination's methods and its tax rate,
// three queries of small tables that change a few times a year. An entry
// is used while the generation it was read under is current and it is
// younger than RulesTTL; the generation is taken before the read, so a
// write that overlaps the read leaves the entry stale at once.
type rulesCache struct {
	mu       sync.Mutex
	gen      uint64
	at       time.Time
	settings *pricing.Settings
	methods  map[string][]pricing.ShippingMethod
	taxes    map[string]*pricing.TaxRate // nil value: the country pays none
}

// fresh reports whether the cache may answer under gen now. The caller
// holds mu.
func (c *rulesCache) fresh(gen uint64, now time.Time) bool {
	return !c.at.IsZero() && c.gen == gen && now.Sub(c.at) < RulesTTL && !now.Before(c.at)
}

// keep stores what fill read under gen, having started at began: into the
// current snapshot while it is fresh, else into a new one dated began. A
// read under a generation older than the cache's is dropped.
func (c *rulesCache) keep(gen uint64, began time.Time, fill func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.fresh(gen, began):
	case gen >= c.gen:
		c.gen, c.at, c.settings, c.methods, c.taxes = gen, began, nil, nil, nil
	default:
		return
	}
	fill()
}

// CurrentSettings returns the shop's settings as a checkout applies them:
// read again after this instance changes the rules or RulesTTL passes.
// The caller must not change what it gets.
func (s *Service) CurrentSettings(ctx context.Context) (*pricing.Settings, error) {
	return cachedRule(s,
		func(c *rulesCache) (*pricing.Settings, bool) { return c.settings, c.settings != nil },
		func() (*pricing.Settings, error) { return s.c.Pricing.Settings(ctx) },
		func(c *rulesCache, st *pricing.Settings) { c.settings = st })
}

// methodsOf returns the shipping methods of country (a copy), cached as
// CurrentSettings.
func (s *Service) methodsOf(ctx context.Context, country string) ([]pricing.ShippingMethod, error) {
	return cachedRule(s,
		func(c *rulesCache) ([]pricing.ShippingMethod, bool) {
			ms, ok := c.methods[country]
			return slices.Clone(ms), ok
		},
		func() ([]pricing.ShippingMethod, error) { return s.c.Pricing.ShippingMethods(ctx, country) },
		func(c *rulesCache, ms []pricing.ShippingMethod) {
			if c.methods == nil {
				c.methods = map[string][]pricing.ShippingMethod{}
			}
			c.methods[country] = slices.Clone(ms)
		})
}

// taxOf returns the rate country pays (nil: none), cached as
// CurrentSettings.
func (s *Service) taxOf(ctx context.Context, country string) (*pricing.TaxRate, error) {
	return cachedRule(s,
		func(c *rulesCache) (*pricing.TaxRate, bool) {
			r, ok := c.taxes[country]
			return copyRate(r), ok
		},
		func() (*pricing.TaxRate, error) {
			r, err := s.c.Pricing.TaxRate(ctx, country)
			if ocean.ErrorCode(err) == ocean.ENOTFOUND {
				return nil, nil
			}
			return r, err
		},
		func(c *rulesCache, r *pricing.TaxRate) {
			if c.taxes == nil {
				c.taxes = map[string]*pricing.TaxRate{}
			}
			c.taxes[country] = copyRate(r)
		})
}

// cachedRule is one rule's read through the cache: get answers from a
// fresh cache (false: not there), else load reads it and put keeps it
// under the generation current before the read (see keep).
func cachedRule[T any](s *Service, get func(*rulesCache) (T, bool), load func() (T, error), put func(*rulesCache, T)) (T, error) {
	gen := s.settingsGen.Load()
	c := &s.rules
	c.mu.Lock()
	if c.fresh(gen, s.c.Now()) {
		if v, ok := get(c); ok {
			c.mu.Unlock()
			return v, nil
		}
	}
	c.mu.Unlock()
	began := s.c.Now()
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	c.keep(gen, began, func() { put(c, v) })
	return v, nil
}

func copyRate(r *pricing.TaxRate) *pricing.TaxRate {
	if r == nil {
		return nil
	}
	cp := *r
	return &cp
}
