package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Default ports: message submission with STARTTLS (RFC 6409) for smtp://,
// submission over implicit TLS (RFC 8314) for smtps://.
const (
	DefaultPort    = 587
	DefaultTLSPort = 465
)

const (
	dialTimeout = 10 * time.Second // connecting, when ctx allows longer
	sendTimeout = time.Minute      // the whole conversation, when ctx has no deadline
)

// SMTP is a Mailer that hands messages to a mail server. Each Send opens a
// fresh connection: shop email is rare enough that pooling would only add
// failure modes. It is safe for concurrent use.
type SMTP struct {
	host        string // as in the URL, for TLS verification and AUTH
	addr        string // host:port
	implicitTLS bool
	user, pass  string
	auth        bool
	from        *mail.Address

	// Replaced by tests.
	tlsConfig *tls.Config
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	now       func() time.Time
}

// NewSMTP returns a mailer for the server at rawURL, sending as from
// ("shop@example.com" or "Ocean Shop <shop@example.com>").
//
// rawURL is smtp://[user:password@]host[:port] (port 587 by default;
// STARTTLS whenever the server offers it) or smtps://… (TLS from the first
// byte, port 465 by default). User and password are percent-encoded. Sending
// credentials requires TLS unless host is localhost or a loopback address.
//
// Errors name OCEAN_SMTP_URL and never contain the password.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		return nil, errors.New("OCEAN_SMTP_URL is not a valid URL; want smtp://user:password@host:port or smtps://…")
	}
	s := &SMTP{}
	port := 0
	switch u.Scheme {
	case "smtp":
		port = DefaultPort
	case "smtps":
		port = DefaultTLSPort
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("OCEAN_SMTP_URL has scheme %q; want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("OCEAN_SMTP_URL %s: want only scheme, user, password, host and port", u.Redacted())
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, fmt.Errorf("OCEAN_SMTP_URL %s has no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("OCEAN_SMTP_URL %s: port %q is not a number from 1 to 65535", u.Redacted(), p)
		}
		port = n
	}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(port))
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, s.auth = u.User.Password()
		if s.user == "" || !s.auth {
			return nil, fmt.Errorf("OCEAN_SMTP_URL %s: give both a user name and a password, or neither", u.Redacted())
		}
	}
	s.from, err = parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address %q: %w", from, err)
	}
	s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	s.dial = (&net.Dialer{}).DialContext
	s.now = time.Now
	return s, nil
}

// Send implements [Mailer]. It honours ctx: cancelling it aborts the
// conversation with the server.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := m.validate()
	if err != nil {
		return err
	}
	msg, err := s.compose(m, to, s.now())
	if err != nil {
		return err
	}
	if err := s.send(ctx, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return &ocean.Error{
			Code:    ocean.EUNAVAILABLE,
			Message: "The email could not be sent. Please try again later.",
			Err:     fmt.Errorf("sending mail via OCEAN_SMTP_URL host %s: %w", s.addr, err),
		}
	}
	return nil
}

func (s *SMTP) send(ctx context.Context, rcpt string, msg []byte) error {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := s.dial(dctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // after QUIT, or on an error already being returned

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(sendTimeout)
	}
	// SetDeadline fails only on a closed connection, whose next read or
	// write reports that error anyway.
	_ = conn.SetDeadline(deadline)
	// Cancelling ctx unblocks any read or write in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // after QUIT, or on an error already being returned

	secure := s.implicitTLS
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			secure = true
		}
	}
	if s.auth {
		if !credentialsAllowed(s.host, secure) {
			return fmt.Errorf("the server does not offer STARTTLS; refusing to send the OCEAN_SMTP_URL credentials to %s unencrypted (use smtps:// or a server with STARTTLS)", s.host)
		}
		if ok, mechs := c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			return errors.New("the server does not offer AUTH PLAIN, but OCEAN_SMTP_URL has credentials")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The server has accepted the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// credentialsAllowed reports whether a password may be sent to host over a
// connection that is (or is not) encrypted. Without TLS, only the local
// machine qualifies: "localhost" or a loopback IP literal. Names other than
// "localhost" are not resolved, since DNS could be made to say anything.
func credentialsAllowed(host string, tlsActive bool) bool {
	if tlsActive {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

// compose renders the message in RFC 5322 form with CRLF line endings.
func (s *SMTP) compose(m Message, to *mail.Address, now time.Time) ([]byte, error) {
	id, err := messageID(s.from.Address)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(fold(name + ": " + value))
		b.WriteString("\r\n")
	}
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")

	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	qp := quotedprintable.NewWriter(&b) // writes "\n" as CRLF, lines <= 76
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fold breaks a header line before spaces so that lines stay within 78
// characters where possible (RFC 5322 section 2.2.3). Unfolding restores
// the original, so any space is a valid place to fold.
func fold(line string) string {
	const limit = 78
	if len(line) <= limit {
		return line
	}
	var b strings.Builder
	n := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if n+1+len(word) > limit && n > 0 {
				b.WriteString("\r\n")
				n = 0
			}
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// messageID returns a new, globally unique Message-ID in the sender's domain.
func messageID(from string) (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">", nil
}
