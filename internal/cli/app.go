package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/api"
	"github.com/oceanshop/ocean/internal/bootstrap"
	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/checkout"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/demo"
	"github.com/oceanshop/ocean/internal/errtrack"
	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/inventory"
	"github.com/oceanshop/ocean/internal/kpi"
	"github.com/oceanshop/ocean/internal/local"
	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/mcp"
	"github.com/oceanshop/ocean/internal/media"
	"github.com/oceanshop/ocean/internal/metrics"
	"github.com/oceanshop/ocean/internal/migrate"
	"github.com/oceanshop/ocean/internal/observe"
	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/payment/stripe"
	"github.com/oceanshop/ocean/internal/postgres"
	"github.com/oceanshop/ocean/internal/ratelimit"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/rum"
	"github.com/oceanshop/ocean/internal/server"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite"
	"github.com/oceanshop/ocean/internal/tlsx"
	"github.com/oceanshop/ocean/internal/web"
)

// App is the wired shop: database, services and the HTTP handler that the
// listeners serve. Tests build one to drive the real handler in process.
type App struct {
	DB *sqldb.DB
	// Redis is the shared Redis (OCEAN_REDIS_URL), nil when the instance
	// keeps everything in process.
	Redis    goredis.UniversalClient
	Catalog  *catalog.Service
	Accounts *account.Service
	// Mailbox is the dev mailbox when no SMTP server is configured.
	Mailbox   *mail.Mailbox
	Carts     *cart.Service
	Inventory *inventory.Service
	Checkout  *checkout.Service
	// Sandbox is the built-in test payment gateway, nil when Stripe is used.
	Sandbox *sandbox.Gateway
	// Welcome is the first start's "next steps" (serve prints it once the
	// listeners are up); nil on later starts.
	Welcome *bootstrap.Welcome
	// Locker is the lock framework: Redis locks shared by the fleet, or
	// in-process locks for one instance.
	Locker      lock.Locker
	LockMetrics *lock.Metrics
	// Metrics is the Prometheus registry /metrics serves.
	Metrics *prometheus.Registry
	// Tracing is OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
	Tracing *observe.Tracing
	// MCP is the MCP server /mcp serves.
	MCP *mcp.Server
	// Errors is the built-in error tracker, Vitals the Web Vitals
	// collector; mux is the route table, so tests can add routes.
	Errors      *errtrack.Tracker
	Vitals      *rum.Collector
	mux         *http.ServeMux
	closeLocker func() error
	Handler     http.Handler
	stripe      *stripe.Gateway
	cache       *redis.Cache
	readiness   server.Readiness
}

// cacheEntries bounds the in-process catalog cache, with or without Redis.
const cacheEntries = 10000

// invalidationChannel is the Redis pub/sub channel on which the instances
// of a shop tell each other that the catalog changed.
const invalidationChannel = "ocean:catalog:invalidate"

// openDB opens the configured database and its migrations.
func openDB(ctx context.Context, cfg config.Config) (*sqldb.DB, []migrate.Migration, error) {
	if cfg.Postgres() {
		db, err := postgres.OpenWith(ctx, cfg.DatabaseURL, postgres.Pool{MaxConns: cfg.DB.MaxConns, MaxIdle: cfg.DB.MaxIdle,
			ConnMaxLifetime: cfg.DB.ConnMaxLifetime, ConnectTimeout: cfg.DB.ConnectTimeout, StatementTimeout: cfg.DB.StatementTimeout})
		if err != nil {
			return nil, nil, err
		}
		ms, err := postgres.Migrations()
		return db, ms, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("OCEAN_DATA_DIR: %w", err)
	}
	db, err := sqlite.Open(filepath.Join(cfg.DataDir, "ocean.db"))
	if err != nil {
		return nil, nil, err
	}
	ms, err := sqlite.Migrations()
	return db, ms, err
}

// withSchemaLock runs fn while no other instance touches the schema: on
// PostgreSQL under the migration advisory lock, so a fleet that starts at
// once reads the status (which creates schema_migrations) and migrates one
// instance at a time. SQLite has one process per file and its writer
// connection serialises the rest.
func withSchemaLock(ctx context.Context, cfg config.Config, db *sqldb.DB, fn func() error) error {
	if cfg.Postgres() {
		return postgres.Locked(ctx, db, fn)
	}
	return fn()
}

// NewApp opens the database (and Redis when configured), brings the schema
// up to date (or refuses an outdated one when it may not migrate), seeds the
// demo catalog if asked and the catalog is empty, and wires the handler.
func NewApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	db, ms, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{DB: db}
	if a.Tracing, err = observe.New(ctx, Version); err != nil {
		_ = db.Close()
		return nil, err
	}
	if cfg.RedisURL != "" {
		redis.UseLog(log)
		if a.Redis, err = redis.Open(ctx, cfg.RedisURL); err != nil {
			_ = db.Close() // the Redis error is the one to report
			return nil, err
		}
		if a.Tracing.Enabled() {
			a.Redis.AddHook(redis.TraceHook(a.Tracing.Span))
		}
	}
	if err := a.init(ctx, cfg, log, ms); err != nil {
		_ = a.Close() // the init error is the one to report
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context, cfg config.Config, log *slog.Logger, ms []migrate.Migration) error {
	db := a.DB
	a.initLocks(redis.ShopID(cfg.DatabaseURL, cfg.DataDir))
	a.readiness.Checks = []server.Check{{Name: "database", Ping: db.Ping}, {Name: "redis", Ping: func(ctx context.Context) error {
		if a.Redis == nil {
			return nil
		}
		return a.Redis.Ping(ctx).Err()
	}}}
	err := withSchemaLock(ctx, cfg, db, func() error { return migrate.OnStart(ctx, db, ms, cfg.AutoMigrate, log) })
	if err != nil {
		return err
	}
	// With Redis, the cache has two tiers (in process, then Redis) and
	// every instance hears the others' writes through pub/sub; without, the
	// cache is in process only.
	var cache catalog.Cache = local.NewCache(cacheEntries)
	if a.Redis != nil {
		a.cache = redis.NewCache(a.Redis, redis.CacheConfig{Channel: invalidationChannel, Prefix: redis.CachePrefix(cfg.DatabaseURL, cfg.DataDir), Entries: cacheEntries}, log)
		cache = a.cache
	}
	a.Catalog = catalog.NewService(db.Catalog(), cache)
	pictures := media.NewService(db.Media(), db.Media(), 0)
	if cfg.SeedDemo {
		n, err := demo.SeedShop(ctx, a.Catalog, db.Commerce())
		if err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
		if n > 0 {
			log.Info("seeded demo catalog", "products", n)
		}
	}
	if a.Accounts, a.Mailbox, err = newAccounts(cfg, db, a.Redis, log); err != nil {
		return err
	}
	if a.Welcome, err = bootstrap.FirstAdmin(ctx, a.Accounts, cfg.DataDir, cfg.AdminEmail, cfg.AdminPassword, log, os.Stderr); err != nil {
		return err
	}
	if err := a.initCommerce(ctx, cfg, log, a.Catalog.StockChanged); err != nil {
		return err
	}
	pay := web.Payment{} // Stripe takes cards through the API (payment tokens)
	if a.Sandbox != nil {
		pay = web.Payment{Gateway: sandbox.Name, CardPage: sandbox.PayPath}
	}
	var box web.MailLister
	if a.Mailbox != nil {
		box = a.Mailbox
	}
	w, err := web.New(web.Config{Catalog: a.Catalog, Media: pictures, Log: log, PublicURL: cfg.PublicURL, Accounts: a.Accounts, Mailbox: box,
		Carts: a.Carts, Checkout: a.Checkout, Payment: pay, Inventory: a.Inventory,
		Locks: a.Locker, LockStats: a.LockMetrics.Stats, Instance: instanceName(), Errors: db.Errors(), Vitals: db.Vitals(),
		KPI: kpi.New(a.DB.KPI(), demo.Currency, nil), Release: Version, LocalCA: cfg.TLS == "local"})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	a.mux = mux
	w.Register(mux)
	sinks, err := errtrack.Sinks(cfg.SentryDSN, Version)
	if err != nil {
		return err
	}
	a.Errors = errtrack.New(errtrack.Config{Store: db.Errors(), Release: Version, TraceID: observe.TraceID, Log: log, Metrics: a.Metrics, Sinks: sinks})
	a.Vitals = rum.NewCollector(rum.Config{Store: db.Vitals(), Template: errtrack.PageTemplate(mux), Metrics: a.Metrics, Log: log})
	// Browser reports share the API's budget, like CSP reports.
	mux.Handle("POST "+errtrack.BrowserPath, ratelimit.Limited(a.Errors.BrowserHandler(errtrack.PageTemplate(mux)), ratelimit.API))
	mux.Handle("POST "+rum.Path, ratelimit.Limited(a.Vitals.Handler(), ratelimit.API))
	(&api.API{Catalog: a.Catalog, Accounts: a.Accounts, Carts: a.Carts, Checkout: a.Checkout, Inventory: a.Inventory, Media: pictures, Ready: a.readiness.Ready}).Register(mux)
	if a.Sandbox != nil {
		// The sandbox's own routes (tokens, the hosted card page) stand in
		// for a processor's servers.
		mux.Handle("/sandbox-gateway/", sandbox.Handler(a.Sandbox))
	}
	if a.stripe != nil {
		mux.Handle("POST "+stripe.WebhookPath, a.stripe.Webhook(a.Checkout.HandleEvent))
	}
	// CSP reports share the API's budget: a browser sends a few, a flood of
	// them is refused before it is parsed or logged.
	mux.Handle("POST "+httpx.CSPReportPath, ratelimit.Limited(httpx.CSPReports(a.Metrics, log, 10), ratelimit.API))
	if a.MCP, err = a.newMCP(ctx, cfg, log, "", 0); err != nil {
		return err
	}
	// MCP over streamable HTTP spends the client's API budget.
	mux.Handle("/mcp", ratelimit.Limited(a.MCP.Handler(mcp.HTTPOptions{PublicURL: cfg.PublicURL, ClientIP: httpx.ClientAddr}), ratelimit.API))
	limiter, err := a.newLimiter(cfg)
	if err != nil {
		return err
	}
	// Without a token /metrics is not routed at all: the catch-all answers
	// it with the ordinary 404 page, so an instance nobody scrapes says
	// nothing about itself.
	a.Metrics.MustRegister(&metrics.CacheCollector{Stats: a.Catalog.CacheStats, Shared: a.Redis != nil})
	if cfg.MetricsToken != "" {
		mux.Handle("GET /metrics", metrics.Handler(a.Metrics, cfg.MetricsToken))
	}
	a.Handler = a.releaseHandler(httpx.Chain(mux,
		a.Tracing.Middleware(mux),                  // the trace id (and span) of every request
		tlsx.Forwarded(cfg.TrustedProxies),         // X-Forwarded-Proto: https from a trusted proxy counts as TLS
		tlsx.StrictTransport(cfg.HSTSPreload),      // HSTS on secure requests for real hosts
		metrics.NewHTTP(a.Metrics).Middleware(mux), // counts every request, refused ones too
		httpx.WithRequestID,
		httpx.WithClientAddr(cfg.TrustedProxies),
		httpx.SecurityHeaders,
		httpx.CaptureFailures(a.Errors, errtrack.Route(mux)),
		httpx.Recover(log, w.ErrorPage),
		httpx.CheckRequest(w.ErrorPage),
		httpx.LimitBodies(w.ErrorPage),
		httpx.CORS(cfg.CORSOrigins),
		httpx.RateLimit(mux, limiter, w.ErrorPage, log),
		httpx.Shed(httpx.NewAdmission(cfg.MaxInFlight, cfg.AdmissionWait, log), w.ErrorPage), // past the cores' pace, a fast 503
	))
	return nil
}

// Drain marks the instance as going away: /readyz answers 503 from now on,
// so load balancers stop sending it new requests.
func (a *App) Drain() { a.readiness.Drain() }

// Close stops the cache subscriber and releases Redis and the database.
func (a *App) Close() error {
	var errs []error
	if a.MCP != nil {
		errs = append(errs, a.MCP.Close())
	}
	if a.Errors != nil {
		errs = append(errs, a.Errors.Close(), a.Vitals.Close())
	}
	if a.closeLocker != nil {
		errs = append(errs, a.closeLocker())
	}
	if a.cache != nil {
		errs = append(errs, a.cache.Close())
	}
	if a.Redis != nil {
		errs = append(errs, a.Redis.Close())
	}
	errs = append(errs, a.Tracing.Shutdown(context.Background())) // flushes the last spans
	return errors.Join(append(errs, a.DB.Close())...)
}
