package redis

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// CachePrefix returns the Redis key prefix of the catalog cache of the shop
// whose database is databaseURL (PostgreSQL), or the SQLite file in dataDir:
// "ocean:catalog:<hash of the database's address>:". Two shops that share
// one Redis (staging and production, or the tests' throwaway databases)
// then never read each other's catalog. Instances of one shop must reach
// the database at the same host, port and name to share the Redis tier;
// each SQLite instance is a shop of its own.
func CachePrefix(databaseURL, dataDir string) string {
	return "ocean:catalog:" + ShopID(databaseURL, dataDir) + ":"
}

// ShopID names the shop in Redis keys: a short hash of its database's
// address (see CachePrefix). Locks and rate limits use it too, so shops that
// share a Redis never share a lock or a client's budget, while the
// instances of one shop always do.
func ShopID(databaseURL, dataDir string) string {
	var id string
	if u, err := url.Parse(databaseURL); err == nil && databaseURL != "" {
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = "5432"
		}
		id = "postgres|" + strings.ToLower(net.JoinHostPort(host, port)) + "|" + strings.TrimPrefix(u.Path, "/")
	} else {
		hn, _ := os.Hostname()
		abs, _ := filepath.Abs(dataDir)
		id = "sqlite|" + hn + "|" + abs
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}
