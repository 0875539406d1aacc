package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// received is what the fake server saw on one connection.
type received struct {
	auth    string // decoded AUTH PLAIN response
	authTLS bool   // AUTH came over TLS
	from    string
	rcpt    []string
	data    string // raw DATA, CRLF line endings, dot-unstuffed
}

// fakeSMTP is just enough of an SMTP server to receive one message per
// connection and record it.
type fakeSMTP struct {
	addr     string
	cert     *tls.Config // server side; nil: no TLS at all
	startTLS bool        // offer STARTTLS
	implicit bool        // TLS from the first byte
	authFail bool        // answer AUTH with 535
	got      chan received
}

func startFake(t *testing.T, f *fakeSMTP) *fakeSMTP {
	t.Helper()
	var ln net.Listener
	var err error
	if f.implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", f.cert)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.got = make(chan received, 10)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	var rec received
	defer func() { f.got <- rec }()
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // never hang the test
	_, isTLS := conn.(*tls.Conn)
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"fake"}
			if f.startTLS && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			ext = append(ext, "AUTH PLAIN")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, f.cert)
			if tc.Handshake() != nil {
				return
			}
			conn, isTLS = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			rec.auth, rec.authTLS = string(b), isTLS
			if f.authFail {
				tp.PrintfLine("535 5.7.8 Authentication credentials invalid")
			} else {
				tp.PrintfLine("235 2.7.0 Authentication successful")
			}
		case "MAIL":
			rec.from = arg
			tp.PrintfLine("250 ok")
		case "RCPT":
			rec.rcpt = append(rec.rcpt, arg)
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			var b strings.Builder
			for {
				l, err := tp.R.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			rec.data = b.String()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 ok")
		}
	}
}

// testTLS returns a server config with a self-signed certificate for
// 127.0.0.1 and mail.example.com, and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"mail.example.com"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}

func newTestSMTP(t *testing.T, rawURL string, client *tls.Config) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL, "Ocean Shop <shop@example.com>")
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	if client != nil {
		client.ServerName = s.host
		s.tlsConfig = client
	}
	s.now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	return s
}

// dialTo makes s connect to addr whatever host its URL names, so a test can
// pretend the server is remote.
func dialTo(s *SMTP, addr string) {
	s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

var utf8Message = Message{
	To:      "Åsa Öberg <asa@example.com>",
	Subject: "Ihr Passwort für Ocean – bitte bestätigen Sie die Änderung innerhalb von 24 Stunden ✓",
	Text: "Hallo Åsa,\n\n" +
		"klicken Sie auf diesen Link, um Ihr Passwort zurückzusetzen, er gilt 24 Stunden: https://shop.example.com/reset?token=abc=def&x=1\n" +
		".a line that starts with a dot\n" +
		".\n" +
		"trailing space \n" +
		"Grüße, Ihr Ocean-Team",
}

// checkReceived asserts that the raw message decodes to m.
func checkReceived(t *testing.T, rec received, m Message) {
	t.Helper()
	if rec.from != "FROM:<shop@example.com>" {
		t.Errorf("MAIL %s, want FROM:<shop@example.com>", rec.from)
	}
	if len(rec.rcpt) != 1 || rec.rcpt[0] != "TO:<asa@example.com>" {
		t.Errorf("RCPT %q, want one TO:<asa@example.com>", rec.rcpt)
	}
	for i, line := range strings.SplitAfter(rec.data, "\r\n") {
		if strings.Contains(strings.TrimSuffix(line, "\r\n"), "\n") || strings.Contains(line, "\r") && !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, line)
		}
		if len(line) > 78+2 {
			t.Errorf("line %d is longer than 78 characters: %q", i, line)
		}
		for _, r := range line {
			if r > 127 {
				t.Fatalf("line %d is not 7-bit: %q", i, line)
			}
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(rec.data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, rec.data)
	}
	h := msg.Header
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subject, err, m.Subject)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Åsa Öberg" || to[0].Address != "asa@example.com" {
		t.Errorf("To = %v (%v)", to, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Ocean Shop" || from[0].Address != "shop@example.com" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") || len(id) < 20 {
		t.Errorf("Message-ID = %q", id)
	}
	for k, v := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	if want := strings.ReplaceAll(m.Text, "\n", "\r\n") + "\r\n"; string(body) != want {
		t.Errorf("body decodes to\n%q\nwant\n%q", body, want)
	}
}

func TestSMTPSendsUTF8OverLoopbackWithAuth(t *testing.T) {
	srv := startFake(t, &fakeSMTP{})
	s := newTestSMTP(t, "smtp://ocean:p%40ss%3Aword@"+srv.addr, nil)
	if err := s.Send(context.Background(), utf8Message); err != nil {
		t.Fatalf("Send: %v", err)
	}
	rec := <-srv.got
	if rec.auth != "\x00ocean\x00p@ss:word" {
		t.Errorf("AUTH PLAIN sent %q", rec.auth)
	}
	checkReceived(t, rec, utf8Message)
}

func TestSMTPUpgradesWithSTARTTLSBeforeAuth(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := startFake(t, &fakeSMTP{cert: serverTLS, startTLS: true})
	s := newTestSMTP(t, "smtp://ocean:secret@mail.example.com:587", clientTLS)
	dialTo(s, srv.addr)
	if err := s.Send(context.Background(), utf8Message); err != nil {
		t.Fatalf("Send: %v", err)
	}
	rec := <-srv.got
	if rec.auth != "\x00ocean\x00secret" || !rec.authTLS {
		t.Errorf("AUTH %q over TLS %v; want the credentials, over TLS", rec.auth, rec.authTLS)
	}
	checkReceived(t, rec, utf8Message)
}

func TestSMTPSImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := startFake(t, &fakeSMTP{cert: serverTLS, implicit: true})
	s := newTestSMTP(t, "smtps://ocean:secret@"+srv.addr, clientTLS)
	if err := s.Send(context.Background(), utf8Message); err != nil {
		t.Fatalf("Send: %v", err)
	}
	rec := <-srv.got
	if !rec.authTLS {
		t.Error("AUTH was not over TLS")
	}
	checkReceived(t, rec, utf8Message)
}

func TestSMTPVerifiesServerCertificate(t *testing.T) {
	serverTLS, _ := testTLS(t)
	srv := startFake(t, &fakeSMTP{cert: serverTLS, startTLS: true})
	s := newTestSMTP(t, "smtp://ocean:secret@mail.example.com", nil) // system roots: not trusted
	dialTo(s, srv.addr)
	if err := s.Send(context.Background(), utf8Message); err == nil {
		t.Fatal("Send trusted a self-signed certificate")
	}
	if rec := <-srv.got; rec.auth != "" || rec.from != "" {
		t.Fatalf("server got AUTH %q, MAIL %q over an unverified connection", rec.auth, rec.from)
	}
}

func TestSMTPRefusesCredentialsWithoutTLSToRemoteHost(t *testing.T) {
	srv := startFake(t, &fakeSMTP{}) // no STARTTLS
	s := newTestSMTP(t, "smtp://ocean:secret@mail.example.com:587", nil)
	dialTo(s, srv.addr)
	err := s.Send(context.Background(), utf8Message)
	if ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !strings.Contains(err.Error(), "refusing to send the OCEAN_SMTP_URL credentials") {
		t.Fatalf("Send = %v, want an unavailable error about refusing to send unencrypted", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error contains the password: %v", err)
	}
	if rec := <-srv.got; rec.auth != "" || rec.from != "" {
		t.Fatalf("server got AUTH %q, MAIL %q", rec.auth, rec.from)
	}
}

func TestSMTPWithoutCredentialsSendsWithoutTLS(t *testing.T) {
	srv := startFake(t, &fakeSMTP{})
	s := newTestSMTP(t, "smtp://relay.example.com:25", nil)
	dialTo(s, srv.addr)
	if err := s.Send(context.Background(), utf8Message); err != nil {
		t.Fatalf("Send: %v", err)
	}
	checkReceived(t, <-srv.got, utf8Message)
}

func TestCredentialsAllowed(t *testing.T) {
	for _, c := range []struct {
		host string
		tls  bool
		want bool
	}{
		{"mail.example.com", true, true},
		{"203.0.113.5", true, true},
		{"mail.example.com", false, false},
		{"203.0.113.5", false, false},
		{"10.0.0.1", false, false},
		{"::ffff:203.0.113.5", false, false},
		{"localhost.example.com", false, false},
		{"127.0.0.1.nip.io", false, false},
		{"localhost", false, true},
		{"LOCALHOST", false, true},
		{"127.0.0.1", false, true},
		{"127.0.0.53", false, true},
		{"::1", false, true},
	} {
		if got := credentialsAllowed(c.host, c.tls); got != c.want {
			t.Errorf("credentialsAllowed(%q, tls=%v) = %v, want %v", c.host, c.tls, got, c.want)
		}
	}
}

func TestSMTPRejectsHeaderInjection(t *testing.T) {
	// Nothing listens here: a rejected message must fail before dialing.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s := newTestSMTP(t, "smtp://"+addr, nil)
	for _, m := range []Message{
		{To: "ann@example.com\r\nBcc: eve@example.com", Subject: "Hi", Text: "x"},
		{To: "ann@example.com\nBcc: eve@example.com", Subject: "Hi", Text: "x"},
		{To: "ann@example.com", Subject: "Hi\r\nBcc: eve@example.com", Text: "x"},
		{To: "ann@example.com", Subject: "Hi\rX-Evil: 1", Text: "x"},
		{To: "not an address", Subject: "Hi", Text: "x"},
		{To: "ann@exämple.com", Subject: "Hi", Text: "x"},
		{To: "ann@example.com", Subject: strings.Repeat("x", MaxSubject+1), Text: "x"},
	} {
		if err := s.Send(context.Background(), m); ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("Send(To %q, Subject %.20q) = %v, want %s", m.To, m.Subject, err, ocean.EINVALID)
		}
	}
}

func TestSMTPClosedPortFailsWithoutWaiting(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s := newTestSMTP(t, "smtp://"+addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.Send(ctx, utf8Message)
	if ocean.ErrorCode(err) != ocean.EUNAVAILABLE || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Send = %v, want unavailable: connection refused", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Send waited for the context deadline instead of failing at once")
	}
}

func TestSMTPSendStopsWhenContextIsCancelled(t *testing.T) {
	// A server that accepts and then never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
			cancel()
		}
	}()
	s := newTestSMTP(t, "smtp://"+ln.Addr().String(), nil)
	err = s.Send(ctx, utf8Message)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	(<-accepted).Close()
}

func TestSMTPAuthFailureDoesNotLeakPassword(t *testing.T) {
	srv := startFake(t, &fakeSMTP{authFail: true})
	s := newTestSMTP(t, "smtp://ocean:hunter2-secret@"+srv.addr, nil)
	err := s.Send(context.Background(), utf8Message)
	if err == nil {
		t.Fatal("Send succeeded although AUTH failed")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error contains the password: %v", err)
	}
	if !strings.Contains(err.Error(), "OCEAN_SMTP_URL") {
		t.Errorf("error does not name OCEAN_SMTP_URL: %v", err)
	}
}

func TestNewSMTP(t *testing.T) {
	good := []struct {
		url, addr string
		implicit  bool
	}{
		{"smtp://mail.example.com", "mail.example.com:587", false},
		{"smtp://u:p@mail.example.com:2525/", "mail.example.com:2525", false},
		{"smtps://u:p@mail.example.com", "mail.example.com:465", true},
		{"smtp://[::1]:1025", "[::1]:1025", false},
	}
	for _, g := range good {
		s, err := NewSMTP(g.url, "shop@example.com")
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", g.url, err)
			continue
		}
		if s.addr != g.addr || s.implicitTLS != g.implicit {
			t.Errorf("NewSMTP(%q): addr %s implicit TLS %v, want %s %v", g.url, s.addr, s.implicitTLS, g.addr, g.implicit)
		}
	}
	const pw = "Sup3rS3cret"
	bad := []string{
		"smtp://u:" + pw + "@mail.example.com:99999",
		"smtp://u:" + pw + "@mail.example.com:smtp",
		"smtp://u:" + pw + "@mail example.com",
		"http://u:" + pw + "@mail.example.com",
		"smtp://u:" + pw + "@:25",
		"smtp://u:" + pw + "@mail.example.com/inbox",
		"smtp://u:" + pw + "@mail.example.com?tls=off",
		"smtp://:" + pw + "@mail.example.com",
		"smtp://u@mail.example.com",
		"mail.example.com:25",
		"",
	}
	for _, u := range bad {
		_, err := NewSMTP(u, "shop@example.com")
		if err == nil {
			t.Errorf("NewSMTP(%q) accepted it", u)
			continue
		}
		if !strings.Contains(err.Error(), "OCEAN_SMTP_URL") {
			t.Errorf("NewSMTP(%q) error does not name OCEAN_SMTP_URL: %v", u, err)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("NewSMTP(%q) error contains the password: %v", u, err)
		}
	}
	for _, from := range []string{"", "shop", "shop@example.com\r\nBcc: eve@example.com", "shöp@example.com"} {
		if _, err := NewSMTP("smtp://mail.example.com", from); err == nil {
			t.Errorf("NewSMTP accepted sender %q", from)
		}
	}
}
