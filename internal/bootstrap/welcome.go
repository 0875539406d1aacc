package bootstrap

import (
	"fmt"
	"io"
	"strings"
)

// Welcome is the "next steps" block a first start prints once the
// listeners are up: where the shop is, how the owner signs in (beside the
// generated password when it went to a terminal, else the file holding
// it), the sandbox's test cards and the dev mailbox.
type Welcome struct {
	AdminEmail string
	// Password is the generated first-admin password when out was a
	// terminal; PasswordFile the 0600 file holding it otherwise; both ""
	// when the password came from OCEAN_ADMIN_PASSWORD.
	Password, PasswordFile string
	// Filled in by the caller before Write: the listeners' addresses
	// ("" when off), the local CA's file ("" without the local CA), and
	// whether the shop has the sandbox gateway and the dev mailbox.
	Plain, Secure string
	CAFile        string
	Sandbox       bool
	Mailbox       bool
}

// Write prints the block on out.
func (w Welcome) Write(out io.Writer) {
	var b strings.Builder
	b.WriteString("\n  Ocean is ready. Next steps:\n\n")
	base := w.Secure
	if base == "" {
		base = w.Plain
	}
	if w.Plain != "" {
		fmt.Fprintf(&b, "  Shop         %s/  (plain HTTP: browse without trusting the certificate)\n", w.Plain)
	}
	if w.Secure != "" {
		fmt.Fprintf(&b, "               %s/", w.Secure)
		if w.CAFile != "" {
			fmt.Fprintf(&b, "  (trust %s first, or `go run ./cmd/ocean trust`)", w.CAFile)
		}
		b.WriteString("\n")
	}
	if w.AdminEmail != "" {
		fmt.Fprintf(&b, "  Admin        %s/account/signin?next=/admin  as %s\n", base, w.AdminEmail)
		switch {
		case w.Password != "":
			fmt.Fprintf(&b, "               password %s  (shown once: change it at /account)\n", w.Password)
		case w.PasswordFile != "":
			fmt.Fprintf(&b, "               password in %s\n", w.PasswordFile)
		}
	}
	if w.Sandbox {
		b.WriteString("  Test cards   4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined (any future date, any CVC)\n")
	}
	if w.Mailbox {
		fmt.Fprintf(&b, "  Mail         no SMTP server: messages land in %s/admin/mailbox\n", base)
	}
	b.WriteString("\n")
	_, _ = io.WriteString(out, b.String())
}
