package tlsxtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// LogBuffer collects output written from several goroutines (a process's,
// or a slog logger's) for a test to read.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func envPort(t testing.TB, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			t.Fatalf("%s=%q is not a port", name, v)
		}
		return n
	}
	return def
}

func goTool(t testing.TB) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // a test binary runs where it was built: its GOROOT is the one that built it
}

// Pebble is Let's Encrypt's test CA (the module's tool dependency
// github.com/letsencrypt/pebble/v2), run on loopback. Its ports come from
// OCEAN_PEBBLE_PORT (the ACME directory, default 14000) and
// OCEAN_PEBBLE_MGMT_PORT (default 14001), plus twice the slot NewPebble is
// given, so the packages whose tests run at once do not collide.
type Pebble struct {
	bin, mod   string
	port, mgmt int
	Dir        string // the ACME directory URL
	Root       string // PEM of the root it issues under (after Start)
	CAPEM      string // file of the CA that signs pebble's own HTTPS certificate (OCEAN_ACME_CA_ROOT)
	Validity   int    // certificate lifetime in seconds (default 30)
	cmd        *exec.Cmd
	exited     chan struct{}
	log        *LogBuffer
}

// NewPebble prepares pebble (the module's tool dependency, built here):
// its directory URL is known before it runs.
func NewPebble(t *testing.T, slot int) *Pebble {
	t.Helper()
	goBin := goTool(t)
	bin := filepath.Join(t.TempDir(), "pebble")
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/letsencrypt/pebble/v2/cmd/pebble").CombinedOutput(); err != nil {
		t.Fatalf("build pebble: %v\n%s", err, out)
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2").Output()
	if err != nil {
		t.Fatalf("find pebble's module: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	port, mgmt := envPort(t, "OCEAN_PEBBLE_PORT", 14000)+2*slot, envPort(t, "OCEAN_PEBBLE_MGMT_PORT", 14001)+2*slot
	return &Pebble{bin: bin, mod: mod, port: port, mgmt: mgmt, Dir: fmt.Sprintf("https://127.0.0.1:%d/dir", port), Validity: 30,
		CAPEM: filepath.Join(mod, "test/certs/pebble.minica.pem"), exited: make(chan struct{}), log: &LogBuffer{}}
}

// Start runs pebble, validating HTTP-01 on httpPort and TLS-ALPN-01 on
// tlsPort of the addresses the DNS server at dns gives.
func (p *Pebble) Start(t *testing.T, httpPort, tlsPort int, dns string) {
	t.Helper()
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":           fmt.Sprintf("127.0.0.1:%d", p.port),
		"managementListenAddress": fmt.Sprintf("127.0.0.1:%d", p.mgmt),
		"certificate":             filepath.Join(p.mod, "test/certs/localhost/cert.pem"),
		"privateKey":              filepath.Join(p.mod, "test/certs/localhost/key.pem"),
		"httpPort":                httpPort, "tlsPort": tlsPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
		"retryAfter":   map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm": "ecdsa",
		"profiles":     map[string]any{"default": map[string]any{"description": "short-lived for the test", "validityPeriod": p.Validity}},
	}}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(t.TempDir(), "pebble.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(p.bin, "-config", cfgPath, "-dnsserver", dns)
	p.cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Stop)
	port, mgmt := p.port, p.mgmt

	pem, err := os.ReadFile(p.CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/roots/0", mgmt))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				p.Root = string(body)
				break
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("pebble exited:\n%s", p.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not answer within a minute (ports %d, %d busy? set OCEAN_PEBBLE_PORT/OCEAN_PEBBLE_MGMT_PORT): %v\n%s", port, mgmt, err, p.log)
		}
	}
}

// Stop kills pebble by its PID and waits for it.
func (p *Pebble) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// DNSStub answers every A query with 127.0.0.1 and every other query with
// no records, on UDP and TCP, for pebble's validation.
func DNSStub(t *testing.T) string {
	t.Helper()
	answer := func(q []byte) []byte {
		var p dnsmessage.Parser
		h, err := p.Start(q)
		if err != nil {
			return nil
		}
		qs, err := p.AllQuestions()
		if err != nil || len(qs) != 1 {
			return nil
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
		b.EnableCompression()
		_ = b.StartQuestions()
		_ = b.Question(qs[0])
		_ = b.StartAnswers()
		if qs[0].Type == dnsmessage.TypeA {
			_ = b.AResource(dnsmessage.ResourceHeader{Name: qs[0].Name, Class: dnsmessage.ClassINET, TTL: 1},
				dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}})
		}
		out, _ := b.Finish()
		return out
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := answer(buf[:n]); out != nil {
				_, _ = pc.WriteTo(out, addr)
			}
		}
	}()
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err == nil {
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					var n [2]byte
					if _, err := io.ReadFull(c, n[:]); err != nil {
						return
					}
					q := make([]byte, int(n[0])<<8|int(n[1]))
					if _, err := io.ReadFull(c, q); err != nil {
						return
					}
					out := answer(q)
					_, _ = c.Write(append([]byte{byte(len(out) >> 8), byte(len(out))}, out...))
				}()
			}
		}()
	}
	return pc.LocalAddr().String()
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// server that must be named to pebble before it starts.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
