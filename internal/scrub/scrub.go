// Package scrub removes personal data and secrets from text before it is
// stored, logged or sent anywhere: email addresses, card-like numbers,
// bearer and JSON Web tokens, long hex or base64 secrets, and the values of
// name=value pairs whose name says secret (password, token, key, …). It is
// deliberately greedy: a scrubbed error message that lost a harmless
// number is cheaper than a card number in an error tracker.
package scrub

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces what a rule removed.
const Mask = "[redacted]"

var (
	email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	// A card number: 13 to 19 digits, possibly grouped by spaces or dashes.
	card = regexp.MustCompile(`\b\d(?:[ \-]?\d){12,18}\b`)
	// "Bearer xyz", "Basic xyz".
	bearer = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+`)
	// A JSON Web Token: three base64url parts, the first starting eyJ.
	jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?`)
	// name=value, name: value, "name":"value" where the name says secret.
	pair = regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|key|auth|authorization|cookie|session|credential|cvc|cvv|card(?:[_\-]?number)?|phone|address|line1|line2|postal[_\-]?code|email)"?\s*[:=]\s*"?)([^"&;,\s}]+)`)
	// Long runs of hex or base64 (keys, session ids, opaque tokens).
	opaque = regexp.MustCompile(`\b[A-Za-z0-9_\-]{32,}\b`)
	// Phone numbers: a + and 9 or more digits, maybe grouped.
	phone = regexp.MustCompile(`\+\d(?:[ \-]?\d){8,14}\b`)
)

// quoted is a double-quoted string as Go's %q and JavaScript write them.
var quoted = regexp.MustCompile(`"(?:[^"\\\n]|\\.){1,500}"`)

// Message is String for error messages, which quote what a client sent
// more often than not ("no product %q"): quoted strings go as well.
func Message(s string) string {
	return quoted.ReplaceAllString(String(s), `"`+Mask+`"`)
}

// String returns s with personal data and secrets replaced by Mask.
func String(s string) string {
	if s == "" {
		return s
	}
	s = bearer.ReplaceAllString(s, "$1 "+Mask)
	s = jwt.ReplaceAllString(s, Mask)
	s = pair.ReplaceAllString(s, "${1}"+Mask)
	s = email.ReplaceAllString(s, Mask)
	s = card.ReplaceAllStringFunc(s, func(m string) string {
		if luhn(m) {
			return Mask
		}
		return m
	})
	s = phone.ReplaceAllString(s, Mask)
	s = opaque.ReplaceAllStringFunc(s, func(m string) string {
		// Go identifiers in stacks (long package paths are split by / and
		// dots, so they rarely qualify) and words survive; something with
		// digits and letters mixed is a secret.
		if hasDigit(m) && hasLetter(m) {
			return Mask
		}
		return m
	})
	return s
}

// luhn reports whether the digits of s pass the Luhn check, as every card
// number does (and about one in ten other numbers: order numbers mostly
// survive).
func luhn(s string) bool {
	sum, n, double := 0, 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
		double = !double
	}
	return n >= 13 && sum%10 == 0
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

func hasLetter(s string) bool {
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return true
		}
	}
	return false
}

// URL returns the address u without its query string's values (names are
// kept: "?q=[redacted]"), without user information and fragment, and with
// its path scrubbed. It accepts what url.Parse does not by scrubbing it as
// text.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return String(u)
	}
	p.User = nil
	p.Fragment, p.RawFragment = "", ""
	if p.RawQuery != "" {
		q := p.Query()
		var b strings.Builder
		first := true
		for name := range q {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(url.QueryEscape(String(name)))
			b.WriteString("=" + Mask)
		}
		p.RawQuery = b.String()
	}
	p.Path = String(p.Path)
	p.RawPath = ""
	return p.String()
}

// sensitiveHeaders are never kept, whatever their value looks like.
var sensitiveHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "x-auth-token": true, "idempotency-key": true, "x-csrf-token": true,
	"x-forwarded-for": true, "x-real-ip": true, "forwarded": true,
}

// keptHeaders are the request headers worth keeping with an error: they
// say what kind of client asked, not who.
var keptHeaders = []string{"Accept", "Content-Type", "User-Agent", "Sec-Fetch-Site", "Sec-Fetch-Mode"}

// Headers returns the harmless headers of h (see keptHeaders), scrubbed.
// Authorization, Cookie and the like never appear.
func Headers(get func(string) string) map[string]string {
	out := map[string]string{}
	for _, name := range keptHeaders {
		if sensitiveHeaders[strings.ToLower(name)] {
			continue
		}
		if v := get(name); v != "" {
			if len(v) > 256 {
				v = v[:256]
			}
			out[name] = String(v)
		}
	}
	return out
}
