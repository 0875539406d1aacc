package httpx

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oceanshop/ocean/internal/observe"
)

// CSPReportPath receives the browser's reports of Content-Security-Policy
// violations (report-uri and the Reporting API's report-to).
const CSPReportPath = "/csp-report"

// maxCSPReport bounds one report body; real ones are well under 4 KB.
const maxCSPReport = 16 << 10

// cspDirectives are the directive names counted by name; anything else a
// report claims is counted as "other", so reports cannot mint label values.
var cspDirectives = map[string]bool{
	"default-src": true, "script-src": true, "script-src-elem": true, "script-src-attr": true, "style-src": true,
	"style-src-elem": true, "style-src-attr": true, "img-src": true, "font-src": true, "connect-src": true,
	"manifest-src": true, "object-src": true, "base-uri": true, "form-action": true, "frame-ancestors": true,
	"frame-src": true, "child-src": true, "worker-src": true, "media-src": true,
}

// CSPReports serves CSPReportPath: it counts each violation in
// ocean_csp_reports_total{directive} on reg and logs it, at most
// logPerMinute lines a minute (a page that violates the policy reports on
// every view; the counter keeps the full tally). It answers 204 to
// anything it can read, 400 to what it cannot; nothing a report says is
// trusted beyond a counter label from a fixed list and a log line.
func CSPReports(reg prometheus.Registerer, log *slog.Logger, logPerMinute int) http.Handler {
	reports := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ocean_csp_reports_total",
		Help: "Content-Security-Policy violation reports received, by violated directive.",
	}, []string{"directive"})
	if reg != nil {
		reg.MustRegister(reports)
	}
	lim := observe.NewLogLimiter(time.Minute, logPerMinute)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCSPReport))
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		vs, ok := parseCSPReports(b)
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, v := range vs {
			d := strings.Fields(v.Directive + " ")[0]
			if !cspDirectives[d] {
				d = "other"
			}
			reports.WithLabelValues(d).Inc()
			if lim.Allow(time.Now()) && log != nil {
				log.Warn("content security policy violation", "directive", d, "blocked", clip(v.Blocked),
					"document", clip(v.Document), "source", clip(v.Source), "client", ClientAddr(r))
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

type cspViolation struct {
	Directive, Blocked, Document, Source string
}

// parseCSPReports reads the two formats: report-uri's {"csp-report":
// {...}} and the Reporting API's [{"type": "csp-violation", "body":
// {...}}, ...].
func parseCSPReports(b []byte) ([]cspViolation, bool) {
	var old struct {
		Report *struct {
			Effective string `json:"effective-directive"`
			Violated  string `json:"violated-directive"`
			Blocked   string `json:"blocked-uri"`
			Document  string `json:"document-uri"`
			Source    string `json:"source-file"`
		} `json:"csp-report"`
	}
	if json.Unmarshal(b, &old) == nil && old.Report != nil {
		d := old.Report.Effective
		if d == "" {
			d = old.Report.Violated
		}
		return []cspViolation{{Directive: d, Blocked: old.Report.Blocked, Document: old.Report.Document, Source: old.Report.Source}}, true
	}
	var batch []struct {
		Type string `json:"type"`
		Body struct {
			Effective string `json:"effectiveDirective"`
			Blocked   string `json:"blockedURL"`
			Document  string `json:"documentURL"`
			Source    string `json:"sourceFile"`
		} `json:"body"`
	}
	if json.Unmarshal(b, &batch) != nil || len(batch) == 0 || len(batch) > 100 {
		return nil, false
	}
	var out []cspViolation
	for _, e := range batch {
		if e.Type == "csp-violation" {
			out = append(out, cspViolation{Directive: e.Body.Effective, Blocked: e.Body.Blocked, Document: e.Body.Document, Source: e.Body.Source})
		}
	}
	return out, true
}

func clip(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "?")
}
