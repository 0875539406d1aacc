// Package upgrade replaces a running serve with a new binary on the same
// sockets (cloudflare/tableflip), without a failed request: the new process
// inherits the listeners, and once it is ready the old one stops accepting,
// drains and exits. It also holds the client side (`ocean upgrade`), the
// connection count a draining process waits on, and the handler wrapper
// releases need.
package upgrade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

// Timeout bounds how long a new process may take to become ready (open the
// database, migrate, pass its readiness check) before the upgrade counts as
// failed and the old process goes on serving.
const Timeout = 2 * time.Minute

// Upgrader hands the listening sockets to a new binary: on SIGHUP the
// binary at the same path starts with the sockets inherited; once it is
// ready, this process stops accepting, drains and exits. If the new one
// fails (it exits, or is not ready within Timeout), nothing changes: this
// process never stopped accepting.
type Upgrader struct {
	*tableflip.Upgrader
	pidFile string
	log     *slog.Logger
}

// New returns nil when in-place upgrades are off (no pidFile, or a
// platform without them).
func New(pidFile string, log *slog.Logger) (*Upgrader, error) {
	if pidFile == "" {
		return nil, nil
	}
	u, err := tableflip.New(tableflip.Options{PIDFile: pidFile, UpgradeTimeout: Timeout})
	if errors.Is(err, tableflip.ErrNotSupported) {
		log.Warn("in-place upgrades are not supported on this platform; OCEAN_PID_FILE is ignored")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("in-place upgrades: %w", err)
	}
	return &Upgrader{Upgrader: u, pidFile: pidFile, log: log}, nil
}

// Ready checks this process the way a load balancer would (GET /readyz
// through the whole handler h) and then tells the previous process to go.
// A process that is not ready exits with the error, and the previous one
// keeps serving.
func (u *Upgrader) Ready(ctx context.Context, h http.Handler) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil))
		if rec.Code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not ready (GET /readyz answers %d: %s): not taking over from the running process", rec.Code, strings.TrimSpace(rec.Body.String()))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := u.Upgrader.Ready(); err != nil {
		return err
	}
	if u.HasParent() {
		u.log.Info("upgrade: ready; the previous process drains and exits", "pid", os.Getpid())
	}
	return nil
}

// OnHUP upgrades on every SIGHUP until ctx ends.
func (u *Upgrader) OnHUP(ctx context.Context) {
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

// RemovePIDFile deletes the PID file if it still names this process.
func (u *Upgrader) RemovePIDFile() {
	if b, err := os.ReadFile(u.pidFile); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(u.pidFile) // best effort on the way out: the next start rewrites it
	}
}

// Request is the client side (`ocean upgrade`): it signals the serve
// process named by pidFile and waits until the PID file names a new
// process (the upgrade succeeded) or wait passes (it failed: the old
// process still serves).
func Request(pidFile string, wait time.Duration, out io.Writer) error {
	if pidFile == "" {
		return errors.New("in-place upgrades need OCEAN_PID_FILE, set for both the running serve and this command")
	}
	readPID := func() (int, error) {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(strings.TrimSpace(string(b)))
	}
	old, err := readPID()
	if err != nil {
		return fmt.Errorf("no running serve: OCEAN_PID_FILE %s: %w", pidFile, err)
	}
	p, err := os.FindProcess(old)
	if err == nil {
		err = p.Signal(syscall.SIGHUP)
	}
	if err != nil {
		return fmt.Errorf("signal the serve process %d: %w", old, err)
	}
	fmt.Fprintf(out, "asked process %d to upgrade to the binary at its path\n", old)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if pid, err := readPID(); err == nil && pid != old {
			fmt.Fprintf(out, "upgraded: process %d serves now; %d drains and exits\n", pid, old)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no new process became ready within %s: process %d keeps serving (its log says why)", wait, old)
}
