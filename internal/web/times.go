package web

import "time"

// The shop's one way of showing a moment on admin pages: "7 Dec 2026 08:05
// UTC". The shop keeps no time zone of its own (its days are UTC days, as the
// dashboard counts them), so every time is shown in UTC and says so. The
// template partial "at" wraps it in a <time> whose datetime is RFC 3339.
const shopTimeLayout = "2 Jan 2006 15:04 MST"

// shopTime formats t the shop's way.
func shopTime(t time.Time) string { return t.UTC().Format(shopTimeLayout) }

// isoTime is t for a datetime attribute: RFC 3339 in UTC.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
