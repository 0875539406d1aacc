package tlsxtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
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

// pebblePort is the port named by the environment variable plus twice the
// slot when it is set, else a free port of this instance's own.
func pebblePort(t testing.TB, name string, slot int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n+2*slot > 65535 {
			t.Fatalf("%s=%q is not a port", name, v)
		}
		return n + 2*slot
	}
	return FreePort(t)
}

func goTool(t testing.TB) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // a test binary runs where it was built: its GOROOT is the one that built it
}

// Pebble is Let's Encrypt's test CA (the module's tool dependency
// github.com/letsencrypt/pebble/v2), run on loopback. Each instance takes
// two free ports of its own (see freeFixedPort), so test binaries that run
// at once never share one; OCEAN_PEBBLE_PORT (the ACME directory) and
// OCEAN_PEBBLE_MGMT_PORT, when set, fix them instead, plus twice the slot
// NewPebble is given.
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
	port, mgmt := pebblePort(t, "OCEAN_PEBBLE_PORT", slot), pebblePort(t, "OCEAN_PEBBLE_MGMT_PORT", slot)
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
// no records, on TCP and UDP of one port, for pebble's validation. Pebble
// asks over TCP only, so the TCP listener comes first and the port is the
// one it got: when the UDP port was taken first and the same TCP port was
// then in use (by a connection of another test binary running at once),
// pebble met "connection refused" and every challenge failed.
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		return ln.Addr().String() // UDP is a courtesy: pebble does not use it
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
	return ln.Addr().String()
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// server that must be named (to pebble, or in a URL) before it starts. It
// comes from below the kernel's ephemeral range when there is room there:
// ports in that range are what every ":0" listener and every outgoing
// connection of the test binaries running at once are given, so one of
// them could take it before the server does; below it only a server with
// a fixed port could.
func FreePort(t testing.TB) int {
	t.Helper()
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				lo = n
			}
		}
	}
	const first = 20000 // above the well-known servers' ports (stripe-mock's 12111, …)
	if lo-first >= 1000 {
		for range 50 {
			port := first + rand.IntN(lo-first)
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				ln.Close()
				return port
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
