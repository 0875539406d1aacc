// Package bootstrap holds what gets an operator into a new shop: the first
// admin account, admin accounts made from the command line, and the keys
// (encryption and API token signing) that live in the data directory or
// come from the environment. A generated secret is shown once: on a
// terminal, or else written to a file only its owner can read, never to a
// stream that may be a log.
package bootstrap

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/keyfile"
)

// AdminPasswordFile holds a generated first-admin password when there is
// no terminal to show it on.
const AdminPasswordFile = "first-admin-password.txt"

// FirstAdmin creates the first admin on first start (account.Service's
// EnsureAdmin with email and password, which may be empty). A generated
// password never reaches a log: it is shown on out only when out is a
// terminal; otherwise (a service manager, a container, a pipe) it is
// written to a 0600 file in dataDir and only that file's path is logged.
// On the start that created the admin it returns the Welcome to print
// once the shop listens (nil on later starts); its Password is set only
// when out is a terminal.
func FirstAdmin(ctx context.Context, svc *account.Service, dataDir, email, password string, log *slog.Logger, out io.Writer) (*Welcome, error) {
	u, generated, err := svc.EnsureAdmin(ctx, email, password)
	if err != nil {
		return nil, fmt.Errorf("create the first admin (OCEAN_ADMIN_EMAIL, OCEAN_ADMIN_PASSWORD): %w", err)
	}
	if u == nil {
		return nil, nil
	}
	log.Info("created the first admin account", "email", u.Email)
	w := &Welcome{AdminEmail: u.Email}
	if generated == "" {
		return w, nil
	}
	if terminal(out) {
		fmt.Fprintf(out, "\n  First admin account: %s\n  Password (shown once, change it at /account): %s\n\n", u.Email, generated)
		w.Password = generated
		return w, nil
	}
	path, err := writeSecretFile(dataDir, AdminPasswordFile, fmt.Sprintf("First admin account: %s\nPassword (change it at /account, then delete this file): %s\n", u.Email, generated))
	if err != nil {
		return nil, fmt.Errorf("save the first admin's generated password: %w", err)
	}
	log.Warn("the first admin's generated password is in a file readable only by this user; sign in, change it, then delete the file", "file", path)
	w.PasswordFile = path
	return w, nil
}

// AdminPassword is the password for `ocean users create-admin`: the first
// line of stdin when fromStdin, else fallback (OCEAN_ADMIN_PASSWORD); when
// that is empty a new one is generated and also returned as generated.
func AdminPassword(stdin io.Reader, fromStdin bool, fallback string) (pw, generated string, err error) {
	pw = fallback
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", "", err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		if pw, err = account.GeneratePassword(); err != nil {
			return "", "", err
		}
		generated = pw
	}
	return pw, generated, nil
}

// ShowAdmin reports an admin account made from the command line on out,
// with its generated password (if any) shown once: on out when it is a
// terminal, else in a 0600 file in dataDir whose path is printed.
func ShowAdmin(out io.Writer, dataDir, email, generated string) error {
	fmt.Fprintf(out, "admin account %s is ready\n", email)
	if generated == "" {
		return nil
	}
	if terminal(out) {
		fmt.Fprintf(out, "password (shown once): %s\n", generated)
		return nil
	}
	// Not a terminal: the output may be a log. The password goes to a
	// file only this user can read.
	path, err := writeSecretFile(dataDir, "admin-password-"+strings.NewReplacer("@", "-at-", "/", "-").Replace(email)+".txt",
		fmt.Sprintf("Admin account: %s\nPassword (change it at /account, then delete this file): %s\n", email, generated))
	if err != nil {
		return fmt.Errorf("save the generated password: %w", err)
	}
	fmt.Fprintf(out, "the generated password is in %s (readable only by you; delete it once you have changed the password)\n", path)
	return nil
}

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && isTerminal(f.Fd())
}

// writeSecretFile writes text to dir/name readable by the owner only
// (0600, replacing any older file) and returns the file's absolute path.
func writeSecretFile(dir, name, text string) (string, error) {
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err == nil {
		err = keyfile.Replace(path, []byte(text))
	}
	return path, err
}

// Admin is what `ocean users create-admin` is asked to make.
type Admin struct {
	Email, Name, Password string
	// Generated is the password when it was generated (shown once), "" when
	// it was given.
	Generated string
}

// CreateAdminArgs parses `ocean users create-admin --email ADDRESS [--name
// NAME] [--password-stdin]` (args after create-admin); the password comes
// from AdminPassword with fallback (OCEAN_ADMIN_PASSWORD).
func CreateAdminArgs(args []string, stdin io.Reader, fallback string) (Admin, error) {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a Admin
	fs.StringVar(&a.Email, "email", "", "the admin's email address")
	fs.StringVar(&a.Name, "name", "", "the admin's name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args); err != nil {
		return Admin{}, fmt.Errorf("users create-admin: %w", err)
	}
	if a.Email == "" {
		return Admin{}, errors.New("users create-admin: --email is required")
	}
	var err error
	a.Password, a.Generated, err = AdminPassword(stdin, *fromStdin, fallback)
	return a, err
}
