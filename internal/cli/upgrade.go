package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"

	"github.com/oceanshop/ocean/internal/config"
)

// upgradeTimeout bounds how long a new process may take to become ready
// (open the database, migrate, pass its readiness check) before the upgrade
// counts as failed and the old process goes on serving.
const upgradeTimeout = 2 * time.Minute

// upgrader hands the listening sockets to a new binary (cloudflare/tableflip):
// on SIGHUP the binary at the same path starts with the sockets inherited;
// once it is ready, this process stops accepting, drains and exits. If the
// new one fails (it exits, or is not ready within upgradeTimeout), nothing
// changes: this process never stopped accepting.
type upgrader struct {
	*tableflip.Upgrader
	pidFile string
	log     *slog.Logger
}

// newUpgrader returns nil when in-place upgrades are off (no OCEAN_PID_FILE,
// or a platform without them).
func newUpgrader(cfg config.Config, log *slog.Logger) (*upgrader, error) {
	if cfg.PIDFile == "" {
		return nil, nil
	}
	u, err := tableflip.New(tableflip.Options{PIDFile: cfg.PIDFile, UpgradeTimeout: upgradeTimeout})
	if errors.Is(err, tableflip.ErrNotSupported) {
		log.Warn("in-place upgrades are not supported on this platform; OCEAN_PID_FILE is ignored")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("in-place upgrades: %w", err)
	}
	return &upgrader{Upgrader: u, pidFile: cfg.PIDFile, log: log}, nil
}

// ready checks this process the way a load balancer would (GET /readyz
// through the whole handler) and then tells the previous process to go.
// A process that is not ready exits with the error, and the previous one
// keeps serving.
func (u *upgrader) ready(ctx context.Context, app *App) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil))
		if rec.Code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not ready (GET /readyz answers %d: %s): not taking over from the running process", rec.Code, strings.TrimSpace(rec.Body.String()))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := u.Ready(); err != nil {
		return err
	}
	if u.HasParent() {
		u.log.Info("upgrade: ready; the previous process drains and exits", "pid", os.Getpid())
	}
	return nil
}

// onHUP upgrades on every SIGHUP until ctx ends.
func (u *upgrader) onHUP(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.Exit():
			return
		case <-hup:
			u.log.Info("upgrade: starting the new binary on the same sockets")
			if err := u.Upgrade(); err != nil {
				u.log.Error("upgrade failed: this process keeps serving", "err", err)
			}
		}
	}
}

// removePIDFile deletes the PID file if it still names this process.
func (u *upgrader) removePIDFile() {
	if b, err := os.ReadFile(u.pidFile); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(u.pidFile) // best effort on the way out: the next start rewrites it
	}
}

// connCount counts a server's open connections (http.Server.ConnState).
type connCount struct {
	mu sync.Mutex
	n  int
	c  *sync.Cond
}

func (c *connCount) track(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.n++
	case http.StateClosed, http.StateHijacked:
		c.n--
		if c.c != nil {
			c.c.Broadcast()
		}
	}
}

func (c *connCount) open() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// waitClosed waits until every connection closed, or d passed.
func (c *connCount) waitClosed(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		c.c = sync.NewCond(&c.mu)
	}
	expired := false
	t := time.AfterFunc(d, func() { c.mu.Lock(); expired = true; c.c.Broadcast(); c.mu.Unlock() })
	defer t.Stop()
	for c.n > 0 && !expired {
		c.c.Wait()
	}
}

// upgradeCmd is `ocean upgrade [WAIT]`: it signals the serve process
// named by OCEAN_PID_FILE and waits until the PID file names a new process
// (the upgrade succeeded) or the timeout passes (it failed: the old process
// still serves).
func upgradeCmd(cfg config.Config, args []string, out io.Writer) error {
	wait := upgradeTimeout + 10*time.Second
	if len(args) > 1 {
		return errors.New("usage: ocean upgrade [WAIT] (how long to wait for the new process, default 2m10s)")
	}
	if len(args) == 1 {
		d, err := time.ParseDuration(args[0])
		if err != nil || d <= 0 {
			return errors.New("usage: ocean upgrade [WAIT] (a duration like 90s)")
		}
		wait = d
	}
	timeout := &wait
	if cfg.PIDFile == "" {
		return errors.New("in-place upgrades need OCEAN_PID_FILE, set for both the running serve and this command")
	}
	readPID := func() (int, error) {
		b, err := os.ReadFile(cfg.PIDFile)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(strings.TrimSpace(string(b)))
	}
	old, err := readPID()
	if err != nil {
		return fmt.Errorf("no running serve: OCEAN_PID_FILE %s: %w", cfg.PIDFile, err)
	}
	p, err := os.FindProcess(old)
	if err == nil {
		err = p.Signal(syscall.SIGHUP)
	}
	if err != nil {
		return fmt.Errorf("signal the serve process %d: %w", old, err)
	}
	fmt.Fprintf(out, "asked process %d to upgrade to the binary at its path\n", old)
	deadline := time.Now().Add(*timeout)
	for time.Now().Before(deadline) {
		if pid, err := readPID(); err == nil && pid != old {
			fmt.Fprintf(out, "upgraded: process %d serves now; %d drains and exits\n", pid, old)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no new process became ready within %s: process %d keeps serving (its log says why)", *timeout, old)
}
