// Package mail sends the shop's outgoing email: sign-up confirmations,
// password resets, order notices.
//
// Everything is sent through a [Mailer]. Two implementations exist:
//
//   - [SMTP] delivers through a mail server configured by OCEAN_SMTP_URL.
//     It upgrades to TLS whenever the server offers it and refuses to send
//     credentials in the clear to anything but the local machine.
//   - [Mailbox] delivers nowhere: it saves each message in a [Store] so that
//     a shop running on a laptop, with no mail server, can still read its
//     sign-in links in the admin. [MemStore] is an in-memory Store.
//
// Messages are plain text in UTF-8. Recipient and subject come from users
// and templates, so both are checked for line breaks before anything is
// written: a line break in a header would let its author add headers or
// recipients of their choosing (header injection).
package mail

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Message is one outgoing plain-text email. The sender is configured on the
// Mailer.
type Message struct {
	To      string // one address, "ann@example.com" or "Ann <ann@example.com>"
	Subject string // one line, any UTF-8
	Text    string // body, any UTF-8; "\n" or "\r\n" line breaks
}

// Mailer sends messages.
type Mailer interface {
	// Send delivers m, or returns an error: ocean.EINVALID if m is malformed
	// (see Message), ocean.EUNAVAILABLE if it could not be handed on.
	Send(ctx context.Context, m Message) error
}

// MaxSubject is the longest subject accepted, in characters. It keeps the
// header well within the line length limits of RFC 5322.
const MaxSubject = 250

// validate checks m and returns the parsed recipient.
func (m Message) validate() (*mail.Address, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, ocean.Errorf(ocean.EINVALID, "The recipient address must not contain line breaks.")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, ocean.Errorf(ocean.EINVALID, "The subject must not contain line breaks.")
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) {
		return nil, ocean.Errorf(ocean.EINVALID, "The email is not valid UTF-8.")
	}
	if utf8.RuneCountInString(m.Subject) > MaxSubject {
		return nil, ocean.Errorf(ocean.EINVALID, "The subject is longer than %d characters.", MaxSubject)
	}
	to, err := parseAddress(m.To)
	if err != nil {
		return nil, &ocean.Error{Code: ocean.EINVALID, Message: "The recipient is not a valid email address.", Err: err}
	}
	return to, nil
}

// parseAddress parses one address. The address itself (not the display
// name) must be ASCII, because the SMTP mailer does not use SMTPUTF8.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errLineBreak
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	for _, r := range a.Address {
		if r >= utf8.RuneSelf || r < ' ' {
			return nil, errNotASCII
		}
	}
	return a, nil
}

type addrError string

func (e addrError) Error() string { return string(e) }

const (
	errLineBreak = addrError("mail: address contains a line break")
	errNotASCII  = addrError("mail: address is not ASCII")
)

// New returns how the shop sends mail: through the SMTP server at smtpURL
// (OCEAN_SMTP_URL) from the address from, or, without one, into the dev
// mailbox kept in store (shown at /admin/mailbox), also returned.
func New(smtpURL, from string, store Store) (Mailer, *Mailbox, error) {
	if smtpURL != "" {
		m, err := NewSMTP(smtpURL, from)
		return m, nil, err
	}
	box := NewMailbox(store, time.Now)
	return box, box, nil
}

// SendFunc is m as the function the services send their mail with.
func SendFunc(m Mailer) func(ctx context.Context, to, subject, text string) error {
	return func(ctx context.Context, to, subject, text string) error {
		return m.Send(ctx, Message{To: to, Subject: subject, Text: text})
	}
}
