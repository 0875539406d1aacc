package probe

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes one line per step (ok, FAIL or skip, the time, what it
// saw or why it failed) and a last line with the verdict.
func (r Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range r.Steps {
		switch {
		case !s.Ran:
			fmt.Fprintf(tw, "skip\t%s\t\t\n", s.Name)
		case s.Err != nil:
			fmt.Fprintf(tw, "FAIL\t%s\t%s\t%v\n", s.Name, ms(s.Duration), s.Err)
		default:
			fmt.Fprintf(tw, "ok\t%s\t%s\t%s\n", s.Name, ms(s.Duration), s.Detail)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f := r.Failed(); f != nil {
		_, err := fmt.Fprintf(w, "probe %s: FAILED at step %s after %s\n", r.URL, f.Name, ms(r.Duration))
		return err
	}
	_, err := fmt.Fprintf(w, "probe %s: ok in %s\n", r.URL, ms(r.Duration))
	return err
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// WritePrometheus writes the result in the Prometheus text format, for
// the node exporter's textfile collector (write to a temporary file and
// rename it into the collector's directory). Every step is present, with
// success 0 and duration 0 when it did not run, so series do not come and
// go with failures.
func (r Result) WritePrometheus(w io.Writer) error {
	target := `target="` + escape(r.URL) + `"`
	var b strings.Builder
	ok := 0
	if r.OK() {
		ok = 1
	}
	fmt.Fprintf(&b, "# HELP ocean_probe_success Whether the last synthetic journey (ocean probe) succeeded.\n# TYPE ocean_probe_success gauge\n")
	fmt.Fprintf(&b, "ocean_probe_success{%s} %d\n", target, ok)
	fmt.Fprintf(&b, "# HELP ocean_probe_duration_seconds How long the last synthetic journey took.\n# TYPE ocean_probe_duration_seconds gauge\n")
	fmt.Fprintf(&b, "ocean_probe_duration_seconds{%s} %s\n", target, seconds(r.Duration))
	fmt.Fprintf(&b, "# HELP ocean_probe_step_success Whether a step of the last journey succeeded (0 when it failed or did not run).\n# TYPE ocean_probe_step_success gauge\n")
	for _, s := range r.Steps {
		v := 0
		if s.Ran && s.Err == nil {
			v = 1
		}
		fmt.Fprintf(&b, "ocean_probe_step_success{%s,step=%q} %d\n", target, s.Name, v)
	}
	fmt.Fprintf(&b, "# HELP ocean_probe_step_duration_seconds How long a step of the last journey took (0 when it did not run).\n# TYPE ocean_probe_step_duration_seconds gauge\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "ocean_probe_step_duration_seconds{%s,step=%q} %s\n", target, s.Name, seconds(s.Duration))
	}
	fmt.Fprintf(&b, "# HELP ocean_probe_timestamp_seconds When the last journey started (Unix time).\n# TYPE ocean_probe_timestamp_seconds gauge\n")
	fmt.Fprintf(&b, "ocean_probe_timestamp_seconds{%s} %s\n", target, strconv.FormatFloat(float64(r.Started.UnixMilli())/1000, 'f', 3, 64))
	_, err := io.WriteString(w, b.String())
	return err
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// escape quotes a label value in the text format.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}
