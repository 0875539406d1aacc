package httpx

import (
	"errors"
	"log"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/observe"
)

// ServerErrorLog is the http.Server's ErrorLog: what net/http reports
// about connections goes to the shop's log at warn level, except TLS
// handshake errors. A browser that does not trust the certificate (the
// local CA before it is installed) fails a handshake on every request it
// tries, a hundred lines for one look at the shop; those are counted in
// ocean_tls_handshake_errors_total on reg (nil: not counted) and logged at
// most once a minute, with how many there were since the last line.
func ServerErrorLog(l *slog.Logger, reg prometheus.Registerer) *log.Logger {
	w := &serverErrors{log: l, handshakeLines: observe.NewLogLimiter(time.Minute, 1), now: time.Now}
	w.handshakes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ocean_tls_handshake_errors_total",
		Help: "TLS handshakes that failed (most often a client that does not trust the certificate).",
	})
	if reg != nil {
		if err := reg.Register(w.handshakes); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if c, ok := are.ExistingCollector.(prometheus.Counter); ok {
					w.handshakes = c
				}
			}
		}
	}
	return log.New(w, "", 0)
}

type serverErrors struct {
	log            *slog.Logger
	handshakes     prometheus.Counter
	handshakeLines *observe.LogLimiter
	now            func() time.Time
}

func (w *serverErrors) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if w.log == nil {
		w.log = slog.Default()
	}
	if !strings.Contains(msg, "TLS handshake error") {
		w.log.Warn(msg)
		return len(p), nil
	}
	w.handshakes.Inc()
	log, since := w.handshakeLines.Note(w.now())
	if !log {
		return len(p), nil
	}
	w.log.Warn(msg, "more_since_last_line", since,
		"hint", "a client that does not trust the certificate; counted in ocean_tls_handshake_errors_total, logged at most once a minute")
	return len(p), nil
}
