package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/lock"
)

// CacheCollector reports the catalog cache's hit and miss counters at
// scrape time: they live in the cache (catalog.CacheCounters), and are not
// counted twice.
type CacheCollector struct {
	Stats  func() catalog.CacheStats
	Shared bool // the cache has a shared tier (Redis)
}

var (
	cacheHitsDesc = prometheus.NewDesc("ocean_catalog_cache_hits_total",
		"Catalog cache lookups answered, by keyspace and tier (local: in process; shared: Redis, asked after a local miss).", []string{"keyspace", "tier"}, nil)
	cacheMissesDesc = prometheus.NewDesc("ocean_catalog_cache_misses_total",
		"Catalog cache lookups not answered, by keyspace and tier; a shared miss goes to the database.", []string{"keyspace", "tier"}, nil)
	cacheRefreshDesc = prometheus.NewDesc("ocean_catalog_cache_early_refreshes_total",
		"Local misses that were early refreshes of an entry close to expiry, by keyspace.", []string{"keyspace"}, nil)
)

// Describe implements prometheus.Collector.
func (c *CacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheHitsDesc
	ch <- cacheMissesDesc
	ch <- cacheRefreshDesc
}

// Collect implements prometheus.Collector.
func (c *CacheCollector) Collect(ch chan<- prometheus.Metric) {
	stats := c.Stats()
	// Every keyspace always has its series (zero until used), so rates and
	// ratios exist from the first scrape; "other" only once it is used.
	keyspaces := catalog.CacheKeyspaces
	if _, ok := stats["other"]; ok {
		keyspaces = append(keyspaces[:len(keyspaces):len(keyspaces)], "other")
	}
	for _, ks := range keyspaces {
		s := stats[ks]
		counter(ch, cacheHitsDesc, s.LocalHits, ks, "local")
		counter(ch, cacheMissesDesc, s.LocalMisses, ks, "local")
		if c.Shared || s.SharedHits+s.SharedMisses > 0 {
			counter(ch, cacheHitsDesc, s.SharedHits, ks, "shared")
			counter(ch, cacheMissesDesc, s.SharedMisses, ks, "shared")
		}
		counter(ch, cacheRefreshDesc, s.Refreshes, ks)
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

// LockCollector reports the lock framework's counters (lock.Stats) at
// scrape time.
type LockCollector struct{ Metrics *lock.Metrics }

func lockDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("ocean_lock_"+name, help, labels, nil)
}

var (
	lockAcquisitions = lockDesc("acquisitions_total", "Lock grants.")
	lockFailures     = lockDesc("acquire_failures_total", "Acquire and TryLock calls that returned without a lease, by reason.", "reason")
	lockContended    = lockDesc("contended_total", "Acquisitions that found the key held and had to wait.")
	lockWait         = lockDesc("wait_seconds", "Time from Acquire to grant.")
	lockHold         = lockDesc("hold_seconds", "Time from grant to the end of the lease.")
	lockHeld         = lockDesc("held", "Leases held by this process now.")
	lockExtensions   = lockDesc("extensions_total", "Watchdog extensions.")
	lockExtFailures  = lockDesc("extension_failures_total", "Watchdog extension attempts that failed and were retried.")
	lockLost         = lockDesc("lost_total", "Leases that ended without Release, by reason.", "reason")
	lockFenced       = lockDesc("fenced_total", "Writes rejected by a fencing token.")
)

// Describe implements prometheus.Collector.
func (c LockCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{lockAcquisitions, lockFailures, lockContended, lockWait, lockHold,
		lockHeld, lockExtensions, lockExtFailures, lockLost, lockFenced} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c LockCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.Metrics.Stats()
	counter(ch, lockAcquisitions, s.Acquisitions)
	for _, r := range lock.FailureReasons {
		counter(ch, lockFailures, s.Failures[r], r)
	}
	counter(ch, lockContended, s.Contended)
	histogram(ch, lockWait, s.Wait)
	histogram(ch, lockHold, s.Hold)
	ch <- prometheus.MustNewConstMetric(lockHeld, prometheus.GaugeValue, float64(s.Held))
	counter(ch, lockExtensions, s.Extensions)
	counter(ch, lockExtFailures, s.ExtensionFailures)
	for _, r := range lock.LostReasons {
		counter(ch, lockLost, s.Lost[r], r)
	}
	counter(ch, lockFenced, s.Fenced)
}

func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h lock.Histogram) {
	buckets := make(map[float64]uint64, len(lock.Buckets))
	for i, le := range lock.Buckets {
		buckets[le] = h.Buckets[i]
	}
	ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum.Seconds(), buckets)
}
