package cli_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
)

// TestReadyzHidesCauses: when a dependency is down /readyz answers 503 with
// a fixed message that names it, and the cause goes to the log, not to
// whoever asks.
func TestReadyzHidesCauses(t *testing.T) {
	logs := &syncBuffer{}
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_SEED_DEMO": "false"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	readyz := func() (int, string, problem) {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		var p problem
		body := rec.Body.String()
		_ = json.Unmarshal([]byte(body), &p)
		return rec.Code, body, p
	}
	if code, body, _ := readyz(); code != 200 {
		t.Fatalf("/readyz = %d %s", code, body)
	}

	// Redis unreachable (a client for a port nobody listens on).
	app.Redis = goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	code, body, p := readyz()
	if code != 503 || p.Detail != "redis unreachable" || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "refused") {
		t.Errorf("/readyz with Redis down = %d %s", code, body)
	}
	app.Redis.Close()
	app.Redis = nil

	// Database unreachable.
	app.DB.Close()
	code, body, p = readyz()
	if code != 503 || p.Detail != "database unreachable" || p.Type != "/problems/unavailable" || strings.Contains(body, "sql") || strings.Contains(body, "closed") {
		t.Errorf("/readyz with the database down = %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "database is closed") || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("the causes are not in the log:\n%s", logs)
	}
}
