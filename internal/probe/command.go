package probe

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Command is `ocean probe URL`: one journey against the shop at URL, its
// result on stdout (text, or the Prometheus format with --prometheus).
// It returns the exit status: 0 when every step succeeded, 1 when one
// failed, 2 on a usage error. userAgent names the prober in the shop's logs.
func Command(ctx context.Context, args []string, userAgent string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{UserAgent: userAgent}
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "bound on the whole journey")
	prom := fs.Bool("prometheus", false, "print the result in the Prometheus text format (textfile collector)")
	fs.StringVar(&o.Query, "query", "", "search words (default: any product in stock)")
	fs.StringVar(&o.Country, "country", "ZA", "shipping country of the guest checkout")
	fs.StringVar(&o.CardToken, "card-token", "tok_visa", "sandbox payment token")
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		rest, args = append(rest, fs.Arg(0)), fs.Args()[1:]
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "usage: ocean probe [--timeout 30s] [--prometheus] [--query WORDS] [--country ZA] [--card-token tok_visa] URL")
		return 2
	}
	if u, err := url.Parse(rest[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "ocean probe: %q is not an http(s) URL\n", rest[0])
		return 2
	}
	o.URL = rest[0]
	res := Run(ctx, o)
	write := res.WriteText
	if *prom {
		write = res.WritePrometheus
	}
	if err := write(stdout); err != nil {
		fmt.Fprintln(stderr, "ocean probe:", err)
		return 1
	}
	if !res.OK() {
		return 1
	}
	return 0
}
