package mcp

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// HTTPOptions configure the streamable HTTP endpoint.
type HTTPOptions struct {
	// PublicURL is the shop's public origin (https://shop.example): the
	// one web origin whose pages may call /mcp from a browser.
	PublicURL string
	// ClientIP returns the client's address as the rate limiter sees it
	// (behind trusted proxies, the forwarded one), for the audit log.
	ClientIP func(*http.Request) string
	// SessionTimeout closes sessions idle this long (default 30 minutes).
	SessionTimeout time.Duration
}

// Handler serves MCP over streamable HTTP (mount it at /mcp). Each
// request's Authorization header authenticates the tool calls it carries,
// so a token that expires mid-session stops working at once.
//
// DNS rebinding: a browser page from another origin may not call it. A
// request with an Origin header must come from the shop's own public
// origin, or from a localhost page to a shop on localhost; requests
// without one (assistants, the inspector CLI, curl) are not browsers'.
// A shop whose public URL is local also keeps the SDK's own check, which
// refuses a loopback connection naming a non-local Host; a public shop
// turns it off, since its reverse proxy connects over loopback with the
// public Host.
func (s *Server) Handler(o HTTPOptions) http.Handler {
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 30 * time.Minute
	}
	pu, _ := url.Parse(o.PublicURL)
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.srv }, &sdk.StreamableHTTPOptions{
		Logger:                     s.c.Log,
		SessionTimeout:             o.SessionTimeout,
		DisableLocalhostProtection: pu != nil && pu.Host != "" && !loopbackHost(pu.Host),
		// A tool call is small; the SDK's default is 4 MiB.
		MaxRequestBodyBytes: 256 << 10,
	})
	public := origin(o.PublicURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if org := r.Header.Get("Origin"); org != "" && !(org == public || (loopbackOrigin(org) && loopbackHost(r.Host))) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "/problems/forbidden", "title": "Forbidden", "status": http.StatusForbidden,
				"detail": "Pages from " + org + " may not call this shop's MCP endpoint."})
			return
		}
		r.Header.Del(clientIPHeader)
		ip := ""
		if o.ClientIP != nil {
			ip = o.ClientIP(r)
		} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ip = host
		}
		r.Header.Set(clientIPHeader, ip)
		h.ServeHTTP(w, r)
	})
}

// origin is scheme://host[:port] of a URL, "" if it has none.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return strings.ToLower(p.Scheme + "://" + p.Host)
}

func loopbackOrigin(o string) bool {
	p, err := url.Parse(o)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && loopbackHost(p.Host)
}

func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
