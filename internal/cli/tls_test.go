package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/tlsx"
	"github.com/oceanshop/ocean/internal/tlsx/tlsxtest"
)

// send makes one request to base+path with a Host header and returns the
// status, Location, HSTS and body.
func send(t *testing.T, client *http.Client, method, base, path, host string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestLocalModeTakesNoCredentialsOverPlainHTTP (defect 1): in the default
// mode the plain-HTTP listener still serves development, but the API
// (register, login, admin) and /metrics reached under a real host name do
// not accept credentials in clear text.
func TestLocalModeTakesNoCredentialsOverPlainHTTP(t *testing.T) {
	t.Parallel()
	s := start(t, map[string]string{"OCEAN_PUBLIC_URL": "https://shop.example.com", "OCEAN_METRICS_TOKEN": "0123456789abcdef0123"})
	login := `{"email":"admin@localhost","password":"whatever-it-is"}`
	for _, tc := range []struct {
		method, path, body string
		hdr                map[string]string
		status             int
		location           string
	}{
		{"POST", "/api/v1/auth/login", login, nil, 403, ""},
		{"POST", "/api/v1/auth/register", `{"email":"a@example.com","password":"correct horse battery"}`, nil, 403, ""},
		{"GET", "/api/v1/admin/orders", "", map[string]string{"Authorization": "Bearer x"}, 403, ""},
		{"GET", "/metrics", "", map[string]string{"Authorization": "Bearer 0123456789abcdef0123"}, 403, ""},
		{"GET", "/api/v1/categories", "", nil, 308, "https://shop.example.com/api/v1/categories"},
	} {
		code, h, body := send(t, s.client, tc.method, s.http, tc.path, "shop.example.com", tc.hdr, tc.body)
		if code != tc.status || h.Get("Location") != tc.location {
			t.Errorf("%s %s over plain HTTP: %d %q, want %d %q", tc.method, tc.path, code, h.Get("Location"), tc.status, tc.location)
		}
		if code == 403 && (!strings.Contains(body, tlsx.ProblemHTTPSRequired) || strings.Contains(body, "token")) {
			t.Errorf("%s %s: %s", tc.method, tc.path, body)
		}
	}
	// On this machine development goes on as before.
	if code, _, _ := send(t, s.client, "GET", s.http, "/api/v1/categories", "localhost:8080", nil, ""); code != 200 {
		t.Errorf("API over plain HTTP on localhost: %d", code)
	}
	if code, _, _ := send(t, s.client, "GET", s.http, "/metrics", "127.0.0.1", map[string]string{"Authorization": "Bearer 0123456789abcdef0123"}, ""); code != 200 {
		t.Errorf("/metrics over plain HTTP on loopback: %d", code)
	}
}

// TestFilesMode: Ocean serves HTTPS with a certificate from files, plain
// HTTP only redirects (probes and trusted proxies aside), HTTPS responses
// carry HSTS, a new pair is picked up without a restart and a bad one is
// refused while the previous keeps serving. testssl then judges the
// listener from outside.
func TestFilesMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := tlsxtest.NewCA(t)
	certFile, keyFile, caFile := filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	chain, key, first := ca.Leaf(t, "shop.ocean.test")
	tlsxtest.WriteFile(t, certFile, chain)
	tlsxtest.WriteFile(t, keyFile, key)
	tlsxtest.WriteFile(t, caFile, ca.PEM)
	s := start(t, map[string]string{"OCEAN_TLS": "files", "OCEAN_TLS_CERT_FILE": certFile, "OCEAN_TLS_KEY_FILE": keyFile,
		"OCEAN_PUBLIC_URL": "https://shop.ocean.test", "OCEAN_TRUSTED_PROXIES": "loopback", "OCEAN_HSTS_PRELOAD": "true"})
	hosts, _ := url.Parse(s.https)
	tlsClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "shop.ocean.test"}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("plain HTTP redirects", func(t *testing.T) {
		for _, tc := range []struct{ method, path, body string }{
			{"GET", "/", ""}, {"GET", "/search?q=shirt", ""}, {"POST", "/api/v1/auth/login", `{"email":"a@b.c","password":"x"}`},
			{"GET", "/api/v1/categories", ""}, {"GET", "/metrics", ""}, {"GET", "/account", ""},
		} {
			code, h, _ := send(t, s.client, tc.method, s.http, tc.path, "shop.ocean.test", nil, tc.body)
			if code != 308 || h.Get("Location") != "https://shop.ocean.test"+tc.path {
				t.Errorf("%s %s: %d %q, want 308 to https://shop.ocean.test%s", tc.method, tc.path, code, h.Get("Location"), tc.path)
			}
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, _, _ := send(t, s.client, "GET", s.http, p, "10.1.2.3:8080", nil, ""); code != 200 {
				t.Errorf("%s over plain HTTP: %d", p, code)
			}
		}
	})
	t.Run("HSTS on HTTPS", func(t *testing.T) {
		code, h, _ := send(t, tlsClient, "GET", s.https, "/", "shop.ocean.test", nil, "")
		if code != 200 || h.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains; preload" {
			t.Fatalf("%d HSTS %q", code, h.Get("Strict-Transport-Security"))
		}
	})
	t.Run("X-Forwarded-Proto from a trusted proxy", func(t *testing.T) {
		// The test's own address is loopback, a trusted proxy here: its
		// https means the client used HTTPS, so no redirect (no loop) and
		// HSTS is sent.
		code, h, _ := send(t, s.client, "GET", s.http, "/", "shop.ocean.test", map[string]string{"X-Forwarded-Proto": "https"}, "")
		if code != 200 || !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=63072000") {
			t.Fatalf("%d HSTS %q, want the page with HSTS", code, h.Get("Strict-Transport-Security"))
		}
		code, h, _ = send(t, s.client, "GET", s.http, "/account", "shop.ocean.test", map[string]string{"X-Forwarded-Proto": "https"}, "")
		if code == 308 || strings.HasPrefix(h.Get("Location"), "https://shop.ocean.test/account") {
			t.Fatalf("account page behind the proxy: %d %q: a redirect loop", code, h.Get("Location"))
		}
	})
	t.Run("reload", func(t *testing.T) {
		serial := func() string {
			c, err := tls.Dial("tcp", hosts.Host, &tls.Config{RootCAs: ca.Pool, ServerName: "shop.ocean.test"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
		}
		if serial() != first.SerialNumber.String() {
			t.Fatal("not serving the files' certificate")
		}
		open, err := tls.Dial("tcp", hosts.Host, &tls.Config{RootCAs: ca.Pool, ServerName: "shop.ocean.test", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer open.Close()
		// One request now makes it a kept-alive connection (an idle one
		// that never sent a request is cut off after 5 s, slowloris rules),
		// the second after the reload shows it survived.
		br := bufio.NewReader(open)
		healthz := func() error {
			if _, err := io.WriteString(open, "GET /healthz HTTP/1.1\r\nHost: shop.ocean.test\r\n\r\n"); err != nil {
				return err
			}
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				return fmt.Errorf("status %d", res.StatusCode)
			}
			return nil
		}
		if err := healthz(); err != nil {
			t.Fatalf("first request on the open connection: %v", err)
		}
		chain2, key2, second := ca.Leaf(t, "shop.ocean.test")
		tlsxtest.WriteFile(t, keyFile, key2)
		tlsxtest.WriteFile(t, certFile, chain2)
		waitUntil(t, "the new certificate is served", func() bool { return serial() == second.SerialNumber.String() })
		// The connection opened before still works.
		if err := healthz(); err != nil {
			t.Fatalf("connection opened before the reload: %v", err)
		}
		// A certificate with someone else's key: refused, logged, and the
		// previous pair keeps serving.
		chain3, _, _ := ca.Leaf(t, "shop.ocean.test")
		tlsxtest.WriteFile(t, certFile, chain3)
		waitUntil(t, "the bad pair is refused in the log", func() bool {
			return strings.Contains(s.log.String(), "TLS files refused; still serving the previous certificate")
		})
		if serial() != second.SerialNumber.String() {
			t.Fatal("the bad pair replaced the good one")
		}
		tlsxtest.WriteFile(t, certFile, chain2)
	})
	t.Run("testssl", func(t *testing.T) {
		if testing.Short() {
			t.Skip("testssl takes a minute or two")
		}
		fs, _ := tlsxtest.Testssl(t, "shop.ocean.test", hosts.Port(), caFile)
		tlsxtest.Judge(t, fs)
	})
}

// TestTLSSettingsStopTheStart: a bad pair or a missing file stops serve
// with a message naming the variable.
func TestTLSSettingsStopTheStart(t *testing.T) {
	dir := t.TempDir()
	ca := tlsxtest.NewCA(t)
	chain, _, _ := ca.Leaf(t, "shop.ocean.test")
	_, otherKey, _ := ca.Leaf(t, "shop.ocean.test")
	certFile, keyFile := filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	tlsxtest.WriteFile(t, certFile, chain)
	tlsxtest.WriteFile(t, keyFile, otherKey)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OCEAN_TLS": "files", "OCEAN_TLS_CERT_FILE": certFile, "OCEAN_TLS_KEY_FILE": keyFile}, "OCEAN_TLS_CERT_FILE"},
		{map[string]string{"OCEAN_TLS": "files", "OCEAN_TLS_CERT_FILE": filepath.Join(dir, "none.pem"), "OCEAN_TLS_KEY_FILE": keyFile}, "OCEAN_TLS_CERT_FILE"},
		{map[string]string{"OCEAN_TLS": "acme"}, "OCEAN_DOMAINS"},
	} {
		env := map[string]string{"OCEAN_DATA_DIR": t.TempDir(), "OCEAN_HTTP_ADDR": "127.0.0.1:0", "OCEAN_HTTPS_ADDR": "127.0.0.1:0",
			"OCEAN_PUBLIC_URL": "https://shop.ocean.test"}
		for k, v := range tc.env {
			env[k] = v
		}
		var stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		code := cli.Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, &stderr)
		cancel()
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want a failure naming %s", tc.env, code, stderr.String(), tc.want)
		}
	}
}

// TestACMEMode: `ocean serve` with OCEAN_TLS=acme obtains its certificate
// from pebble, which validates the challenge against the shop's own
// listeners; a second instance on the same database serves that
// certificate without obtaining one; plain HTTP redirects.
func TestACMEMode(t *testing.T) {
	t.Parallel()
	p := tlsxtest.NewPebble(t, 1)
	p.Validity = 3600
	httpPort, tlsPort := tlsxtest.FreePort(t), tlsxtest.FreePort(t)
	p.Start(t, httpPort, tlsPort, tlsxtest.DNSStub(t))
	data := t.TempDir()
	env := func(httpAddr, httpsAddr string) map[string]string {
		return map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.ocean.test", "OCEAN_PUBLIC_URL": "https://shop.ocean.test",
			"OCEAN_ACME_DIRECTORY": p.Dir, "OCEAN_ACME_CA_ROOT": p.CAPEM, "OCEAN_ACME_EMAIL": "owner@ocean.test", "OCEAN_DATA_DIR": data,
			"OCEAN_HTTP_ADDR": httpAddr, "OCEAN_HTTPS_ADDR": httpsAddr}
	}
	a := start(t, env(fmt.Sprintf("127.0.0.1:%d", httpPort), fmt.Sprintf("127.0.0.1:%d", tlsPort)))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(p.Root))
	serial := func(base string) string {
		u, _ := url.Parse(base)
		c, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: pool, ServerName: "shop.ocean.test"})
		if err != nil {
			return ""
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for serial(a.https) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no certificate from pebble within 2 minutes; log:\n%s", a.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	first := serial(a.https)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "shop.ocean.test"}}}
	code, h, _ := send(t, client, "GET", a.https, "/", "shop.ocean.test", nil, "")
	if code != 200 || h.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" {
		t.Fatalf("HTTPS: %d HSTS %q", code, h.Get("Strict-Transport-Security"))
	}
	if code, h, _ := send(t, a.client, "GET", a.http, "/cart", "shop.ocean.test", nil, ""); code != 308 || h.Get("Location") != "https://shop.ocean.test/cart" {
		t.Fatalf("plain HTTP: %d %q", code, h.Get("Location"))
	}
	b := start(t, env("127.0.0.1:0", "127.0.0.1:0"))
	waitUntil(t, "the second instance serves the certificate", func() bool { return serial(b.https) != "" })
	if got := serial(b.https); got != first {
		t.Fatalf("second instance serves %s, want the first's %s", got, first)
	}
	if strings.Contains(b.log.String(), "obtaining certificate") || !strings.Contains(a.log.String(), "certificate obtained successfully") {
		t.Errorf("the second instance obtained a certificate, or the first did not:\nA:\n%s\nB:\n%s", a.log, b.log)
	}
}
