package grafana

// The four dashboards. Panels read the metrics listed in
// docs/observability.md and the recorded series of
// deploy/prometheus/rules/ocean-recording.yml.

const rate = "[$__rate_interval]"

func service() *Dashboard {
	b := newBoard("ocean-service", "Ocean — service (RED)",
		"Requests, errors and duration of the shop (the SLOs of docs/monitoring.md), the database pools and queries, the processes.")
	b.row("Service level objectives")
	b.stat(6, "Availability, last 3 days", "percentunit", "Share of shoppers' requests answered without a 5xx (SLO 99.9%).", true, []float64{0.999, 0.9995},
		q{`1 - ocean:sli_errors:ratio_rate3d{job="$job"}`, ""})
	b.stat(6, "Error budget burn rate, 1 hour", "x", "How many times faster than the SLO allows the availability budget burns (14.4 pages).", false, []float64{1, 14.4},
		q{`ocean:sli_errors:ratio_rate1h{job="$job"} / 0.001`, ""})
	b.stat(6, "Requests within 250 ms, last 3 days", "percentunit", "Share of shoppers' requests answered within 250 ms (SLO 99%).", true, []float64{0.99, 0.995},
		q{`1 - ocean:sli_slow:ratio_rate3d{job="$job"}`, ""})
	b.stat(6, "Latency budget burn rate, 1 hour", "x", "How many times faster than the SLO allows the latency budget burns (14.4 pages).", false, []float64{1, 14.4},
		q{`ocean:sli_slow:ratio_rate1h{job="$job"} / 0.01`, ""})
	b.graph(12, "5xx ratio", "percentunit", "Share of shoppers' requests answered 5xx, over 5 minutes and 1 hour; the SLO allows 0.1%.",
		q{`ocean:sli_errors:ratio_rate5m{job="$job"}`, "5m"}, q{`ocean:sli_errors:ratio_rate1h{job="$job"}`, "1h"})
	b.graph(12, "Share slower than 250 ms", "percentunit", "Share of shoppers' requests slower than 250 ms; the SLO allows 1%.",
		q{`ocean:sli_slow:ratio_rate5m{job="$job"}`, "5m"}, q{`ocean:sli_slow:ratio_rate1h{job="$job"}`, "1h"})

	b.row("Rate, errors, duration")
	b.graph(12, "Requests by status class", "reqps", "",
		q{`sum by (code) (rate(ocean_http_requests_total{` + sel + `}` + rate + `))`, "{{code}}"})
	b.graph(12, "Requests by route", "reqps", "Top 10 routes by rate (route patterns, never raw paths).",
		q{`topk(10, sum by (route) (rate(ocean_http_requests_total{` + sel + `}` + rate + `)))`, "{{route}}"})
	b.graph(12, "5xx by route", "reqps", "",
		q{`sum by (route) (rate(ocean_http_requests_total{code="5xx", ` + sel + `}` + rate + `))`, "{{route}}"})
	b.graph(12, "Rate limited (429) by route", "reqps", "Answers refused by a rate limit or the sign-in throttle.",
		q{`sum by (route) (rate(ocean_http_rate_limited_total{` + sel + `}` + rate + `))`, "{{route}}"})
	b.graph(12, "Duration quantiles", "s", "",
		q{`histogram_quantile(0.5, sum by (le) (rate(ocean_http_request_duration_seconds_bucket{` + sel + `}` + rate + `)))`, "p50"},
		q{`histogram_quantile(0.95, sum by (le) (rate(ocean_http_request_duration_seconds_bucket{` + sel + `}` + rate + `)))`, "p95"},
		q{`histogram_quantile(0.99, sum by (le) (rate(ocean_http_request_duration_seconds_bucket{` + sel + `}` + rate + `)))`, "p99"})
	b.graph(12, "p99 duration by route", "s", "The ten slowest routes at the 99th percentile.",
		q{`topk(10, histogram_quantile(0.99, sum by (route, le) (rate(ocean_http_request_duration_seconds_bucket{` + sel + `}` + rate + `))))`, "{{route}}"})
	b.graph(12, "Requests in flight", "short", "",
		q{`sum by (instance) (ocean_http_requests_in_flight{` + sel + `})`, "{{instance}}"})
	b.graph(12, "CSP violation reports", "short", "Content-Security-Policy reports from browsers, by directive.",
		q{`sum by (directive) (rate(ocean_csp_reports_total{` + sel + `}` + rate + `))`, "{{directive}}"})
	b.graph(24, "Errors captured", "ops", "5xx answers, recovered panics and browser errors the error tracker captured (by kind), and events it dropped (/admin/errors).",
		q{`sum by (kind) (rate(ocean_errors_captured_total{` + sel + `}` + rate + `))`, "{{kind}}"},
		q{`sum(rate(ocean_errors_dropped_total{` + sel + `}` + rate + `))`, "dropped"})

	b.row("Database")
	b.graph(12, "Pool in use / max", "percentunit", "Connections in use over the pool's limit (write and read on SQLite, main on PostgreSQL).",
		q{`ocean:db_pool_in_use:ratio{` + sel + `}`, "{{instance}} {{pool}}"})
	b.graph(12, "Pool connections", "short", "",
		q{`sum by (pool) (ocean_db_pool_open_connections{` + sel + `})`, "{{pool}} open"},
		q{`sum by (pool) (ocean_db_pool_in_use_connections{` + sel + `})`, "{{pool}} in use"},
		q{`sum by (pool) (ocean_db_pool_idle_connections{` + sel + `})`, "{{pool}} idle"},
		q{`sum by (pool) (ocean_db_pool_max_open_connections{` + sel + `})`, "{{pool}} max"})
	b.graph(12, "Waits for a connection", "s", "Seconds spent waiting for a free connection per second, and waits per second.",
		q{`sum by (pool) (rate(ocean_db_pool_wait_duration_seconds_total{` + sel + `}` + rate + `))`, "{{pool}} seconds/s"},
		q{`sum by (pool) (rate(ocean_db_pool_wait_count_total{` + sel + `}` + rate + `))`, "{{pool}} waits/s"})
	b.graph(12, "Slowest named queries (p99)", "s", "",
		q{`topk(10, histogram_quantile(0.99, sum by (query, le) (rate(ocean_db_query_duration_seconds_bucket{` + sel + `}` + rate + `))))`, "{{query}}"})

	b.row("Processes")
	b.table(12, "Builds running", "Version and commit of every instance (ocean_build_info).",
		q{`ocean_build_info{` + sel + `}`, ""})
	b.graph(12, "Up", "short", "1 while Prometheus scrapes the instance.",
		q{`up{` + sel + `}`, "{{instance}}"})
	b.graph(8, "CPU", "percentunit", "", q{`rate(process_cpu_seconds_total{` + sel + `}` + rate + `)`, "{{instance}}"})
	b.graph(8, "Resident memory", "bytes", "", q{`process_resident_memory_bytes{` + sel + `}`, "{{instance}}"})
	b.graph(8, "Goroutines", "short", "", q{`go_goroutines{` + sel + `}`, "{{instance}}"})
	return b.d
}

func business() *Dashboard {
	b := newBoard("ocean-business", "Ocean — business KPIs",
		"Orders, revenue, the checkout funnel and payments, from Ocean's counters (per instance since start, summed here). Revenue is in minor units (cents) of each currency.")
	b.d.Time = timeRange{From: "now-7d", To: "now"}
	b.row("Today (last 24 hours)")
	b.stat(6, "Orders", "short", "Orders paid in the last 24 hours, all currencies.", true, nil,
		q{`sum(increase(ocean_orders_placed_total{` + sel + `}[24h]))`, ""})
	b.stat(6, "Revenue (minor units)", "short", "Order totals paid in the last 24 hours, in minor units (cents), by currency.", true, nil,
		q{`sum by (currency) (increase(ocean_revenue_minor_units_total{` + sel + `}[24h]))`, "{{currency}}"})
	b.stat(6, "Average order value (minor units)", "short", "Revenue over orders in the last 24 hours, by currency.", true, nil,
		q{`sum by (currency) (increase(ocean_revenue_minor_units_total{` + sel + `}[24h])) / sum by (currency) (increase(ocean_orders_placed_total{` + sel + `}[24h]))`, "{{currency}}"})
	b.stat(6, "Payment success rate", "percentunit", "Authorizations that succeeded in the last 24 hours.", true, []float64{0.8, 0.9},
		q{`sum(increase(ocean_payments_total{outcome="succeeded", ` + sel + `}[24h])) / sum(increase(ocean_payments_total{` + sel + `}[24h]))`, ""})

	b.row("Orders and revenue")
	b.graph(12, "Orders per hour", "short", "",
		q{`sum by (currency) (increase(ocean_orders_placed_total{` + sel + `}[1h]))`, "{{currency}}"})
	b.graph(12, "Revenue per hour (minor units)", "short", "",
		q{`sum by (currency) (increase(ocean_revenue_minor_units_total{` + sel + `}[1h]))`, "{{currency}}"})

	b.row("Checkout funnel")
	b.graph(12, "Carts, checkouts started and completed per hour", "short", "",
		q{`sum(increase(ocean_carts_created_total{` + sel + `}[1h]))`, "carts created"},
		q{`sum(increase(ocean_checkouts_started_total{` + sel + `}[1h]))`, "checkouts started"},
		q{`sum(increase(ocean_checkouts_completed_total{` + sel + `}[1h]))`, "checkouts completed"})
	b.graph(12, "Conversion", "percentunit", "Carts that reached checkout, and checkouts that ended paid, over the last 6 hours.",
		q{`sum(increase(ocean_checkouts_started_total{` + sel + `}[6h])) / sum(increase(ocean_carts_created_total{` + sel + `}[6h]))`, "cart → checkout"},
		q{`sum(increase(ocean_checkouts_completed_total{` + sel + `}[6h])) / sum(increase(ocean_checkouts_started_total{` + sel + `}[6h]))`, "checkout → paid"})

	b.row("Payments")
	b.graph(12, "Payment failure ratio by gateway", "percentunit", "Authorizations that did not succeed, over 15 minutes; the alert fires above 30%.",
		q{`ocean:payment_failures:ratio_rate15m{job="$job"}`, "{{gateway}}"})
	b.graph(12, "Payment outcomes", "short", "Authorizations per hour by gateway, outcome and reason.",
		q{`sum by (gateway, outcome, reason) (increase(ocean_payments_total{` + sel + `}[1h]))`, "{{gateway}} {{outcome}} {{reason}}"})
	b.graph(24, "Payment failures by reason", "short", "",
		q{`sum by (gateway, reason) (increase(ocean_payment_failures_total{` + sel + `}[1h]))`, "{{gateway}} {{reason}}"})
	return b.d
}

func locksAndCache() *Dashboard {
	b := newBoard("ocean-locks-cache", "Ocean — locks and cache",
		"The catalog cache (in process and Redis tiers) and the lock framework (docs/locks.md).")
	b.row("Catalog cache")
	b.stat(6, "Hit ratio, 15 minutes", "percentunit", "Lookups answered by a cache tier; the alert fires below 95%.", true, []float64{0.9, 0.95},
		q{`ocean:catalog_cache_hit:ratio_rate15m{job="$job"}`, ""})
	b.stat(6, "Lookups per second", "reqps", "", true, nil,
		q{`ocean:catalog_cache_lookups:rate15m{job="$job"}`, ""})
	b.graph(12, "Hit ratio by keyspace", "percentunit", "",
		q{`sum by (keyspace) (rate(ocean_catalog_cache_hits_total{` + sel + `}` + rate + `)) / sum by (keyspace) (rate(ocean_catalog_cache_hits_total{tier="local", ` + sel + `}` + rate + `) + rate(ocean_catalog_cache_misses_total{tier="local", ` + sel + `}` + rate + `))`, "{{keyspace}}"})
	b.graph(12, "Hits and misses by tier", "ops", "",
		q{`sum by (tier) (rate(ocean_catalog_cache_hits_total{` + sel + `}` + rate + `))`, "{{tier}} hits"},
		q{`sum by (tier) (rate(ocean_catalog_cache_misses_total{` + sel + `}` + rate + `))`, "{{tier}} misses"})
	b.graph(12, "Early refreshes", "ops", "Local misses that refreshed a hot entry before it expired.",
		q{`sum by (keyspace) (rate(ocean_catalog_cache_early_refreshes_total{` + sel + `}` + rate + `))`, "{{keyspace}}"})

	b.row("Locks")
	b.graph(12, "Acquisitions and contention", "ops", "",
		q{`sum(rate(ocean_lock_acquisitions_total{` + sel + `}` + rate + `))`, "granted"},
		q{`sum(rate(ocean_lock_contended_total{` + sel + `}` + rate + `))`, "had to wait"},
		q{`sum by (reason) (rate(ocean_lock_acquire_failures_total{` + sel + `}` + rate + `))`, "failed: {{reason}}"})
	b.graph(12, "Leases held", "short", "", q{`sum by (instance) (ocean_lock_held{` + sel + `})`, "{{instance}}"})
	b.graph(12, "Wait and hold time (p99)", "s", "",
		q{`histogram_quantile(0.99, sum by (le) (rate(ocean_lock_wait_seconds_bucket{` + sel + `}` + rate + `)))`, "wait p99"},
		q{`histogram_quantile(0.99, sum by (le) (rate(ocean_lock_hold_seconds_bucket{` + sel + `}` + rate + `)))`, "hold p99"})
	b.graph(12, "Lost leases, fenced writes, watchdog", "short", "Leases lost without Release (the alert fires on any), writes refused by a fencing token, failed extensions; per 10 minutes.",
		q{`sum by (reason) (increase(ocean_lock_lost_total{` + sel + `}[10m]))`, "lost: {{reason}}"},
		q{`sum(increase(ocean_lock_fenced_total{` + sel + `}[10m]))`, "fenced writes"},
		q{`sum(increase(ocean_lock_extension_failures_total{` + sel + `}[10m]))`, "extension failures"},
		q{`sum(increase(ocean_lock_extensions_total{` + sel + `}[10m]))`, "extensions"})
	return b.d
}

// vital is a Core Web Vital as Ocean labels it, with Google's "good" and
// "poor" thresholds at the 75th percentile.
type vital struct {
	name, title, unit string
	good, poor        float64
}

var vitals = []vital{
	{"lcp", "Largest Contentful Paint", "s", 2.5, 4},
	{"inp", "Interaction to Next Paint", "s", 0.2, 0.5},
	{"cls", "Cumulative Layout Shift", "none", 0.1, 0.25},
	{"ttfb", "Time to First Byte", "s", 0.8, 1.8},
}

func webVitals() *Dashboard {
	b := newBoard("ocean-web-vitals", "Ocean — Web Vitals",
		"Core Web Vitals reported by shoppers' browsers (ocean_web_vitals), at the 75th percentile per page template, against Google's good and poor thresholds.")
	b.d.Time = timeRange{From: "now-24h", To: "now"}
	b.row("All pages, 75th percentile")
	for _, v := range vitals {
		b.stat(6, v.title+" (p75)", v.unit, "Good at or below the first threshold, poor above the second.", false, []float64{v.good, v.poor},
			q{`histogram_quantile(0.75, sum by (le) (rate(ocean_web_vitals_bucket{metric="` + v.name + `", ` + sel + `}[1h])))`, ""})
	}
	b.row("By page template, 75th percentile")
	for _, v := range vitals {
		b.graph(12, v.title+" by template (p75)", v.unit, "",
			q{`histogram_quantile(0.75, sum by (template, le) (rate(ocean_web_vitals_bucket{metric="` + v.name + `", ` + sel + `}[1h])))`, "{{template}}"})
	}
	b.row("Reports")
	b.graph(24, "Reports per second by template", "reqps", "Page views that sent a vital, by metric and template.",
		q{`sum by (metric, template) (rate(ocean_web_vitals_count{` + sel + `}` + rate + `))`, "{{metric}} {{template}}"})
	return b.d
}
