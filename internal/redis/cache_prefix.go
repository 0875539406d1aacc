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
	return "ocean:catalog:" + hex.EncodeToString(sum[:6]) + ":"
}
