package cli

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
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/keyfile"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/throttle"
	throttleredis "github.com/oceanshop/ocean/internal/throttle/redis"
	"github.com/oceanshop/ocean/internal/token"
)

// tokenKeysFile holds the API token signing keys in the data dir.
const tokenKeysFile = "token.keys"

// apiAudience is the "aud" of every access token Ocean issues.
const apiAudience = "ocean-api"

// keyring loads the encryption keys: OCEAN_ENCRYPTION_KEY when set (what a
// fleet must use: every instance needs the same keys), else the key file in
// the data dir, created on first start with mode 0600. reload re-reads the
// same source.
func keyring(cfg config.Config) (k *secret.Keyring, reload func() (*secret.Keyring, error), err error) {
	if cfg.EncryptionKey != "" {
		k, err := secret.ParseKeyring(cfg.EncryptionKey)
		if err != nil {
			return nil, nil, fmt.Errorf("OCEAN_ENCRYPTION_KEY: %w", err)
		}
		return k, nil, nil
	}
	k, path, err := secret.LoadOrCreate(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	return k, func() (*secret.Keyring, error) { return secret.Load(path) }, nil
}

// tokenSigner loads the API token signing keys: OCEAN_TOKEN_KEYS when set
// (what a fleet must use), else the key file in the data dir.
func tokenSigner(cfg config.Config) (*token.Signer, error) {
	if cfg.TokenKeys != "" {
		s, err := token.ParseSigner(cfg.PublicURL, apiAudience, cfg.TokenKeys)
		if err != nil {
			return nil, fmt.Errorf("OCEAN_TOKEN_KEYS: %w", err)
		}
		return s, nil
	}
	return token.LoadOrCreate(cfg.PublicURL, apiAudience, filepath.Join(cfg.DataDir, tokenKeysFile))
}

// mailer returns how the shop sends mail: SMTP when configured, else the
// dev mailbox in the database (shown at /admin/mailbox).
func mailer(cfg config.Config, db *sqldb.DB) (mail.Mailer, *mail.Mailbox, error) {
	if cfg.SMTPURL != "" {
		m, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		return m, nil, err
	}
	box := mail.NewMailbox(db.Mailbox(), time.Now)
	return box, box, nil
}

// newAccounts wires the accounts service. rdb is the shop's Redis, nil
// without one.
func newAccounts(cfg config.Config, db *sqldb.DB, rdb goredis.UniversalClient, log *slog.Logger) (*account.Service, *mail.Mailbox, error) {
	keys, reload, err := keyring(cfg)
	if err != nil {
		return nil, nil, err
	}
	signer, err := tokenSigner(cfg)
	if err != nil {
		return nil, nil, err
	}
	m, box, err := mailer(cfg, db)
	if err != nil {
		return nil, nil, err
	}
	send := func(ctx context.Context, to, subject, text string) error {
		return m.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
	}
	// With Redis the lockouts are shared by the fleet (an attacker gains
	// nothing by spreading guesses over instances); without, in process.
	signIn := throttle.Split(throttle.NewLocal(throttle.SignIn(), nil), throttle.NewLocal(throttle.SignInClient, nil))
	reset := throttle.Split(throttle.NewLocal(throttle.ResetAccount, nil), throttle.NewLocal(throttle.ResetClient, nil))
	if rdb != nil {
		rt := throttleredis.New(rdb, throttleredis.Options{Prefix: "ocean:throttle:" + redis.ShopID(cfg.DatabaseURL, cfg.DataDir) + ":", Log: log})
		signIn = throttle.Split(rt.Limiter(throttle.SignIn()), rt.Limiter(throttle.SignInClient))
		reset = throttle.Split(rt.Limiter(throttle.ResetAccount), rt.Limiter(throttle.ResetClient))
	}
	svc := account.NewService(account.Config{
		Store:       db.Accounts(),
		Keys:        keys,
		ReloadKeys:  reload,
		Tokens:      signer,
		SignInLimit: signIn,
		ResetLimit:  reset,
		Mail:        send,
		BaseURL:     cfg.PublicURL,
		Log:         log,
	})
	return svc, box, nil
}

// ensureAdmin creates the first admin on first start. A generated password
// never reaches a log: it is shown on out only when out is a terminal;
// otherwise (a service manager, a container, a pipe) it is written to a
// 0600 file in the data dir and only that file's path is logged.
func ensureAdmin(ctx context.Context, cfg config.Config, svc *account.Service, log *slog.Logger, out io.Writer) error {
	u, generated, err := svc.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create the first admin (OCEAN_ADMIN_EMAIL, OCEAN_ADMIN_PASSWORD): %w", err)
	}
	if u == nil {
		return nil
	}
	log.Info("created the first admin account", "email", u.Email)
	if generated == "" {
		return nil
	}
	if f, ok := out.(interface{ Fd() uintptr }); ok && isTerminal(f.Fd()) {
		fmt.Fprintf(out, "\n  First admin account: %s\n  Password (shown once, change it at /account): %s\n\n", u.Email, generated)
		return nil
	}
	path, err := writeSecretFile(cfg.DataDir, adminPasswordFile, fmt.Sprintf("First admin account: %s\nPassword (change it at /account, then delete this file): %s\n", u.Email, generated))
	if err != nil {
		return fmt.Errorf("save the first admin's generated password: %w", err)
	}
	log.Warn("the first admin's generated password is in a file readable only by this user; sign in, change it, then delete the file", "file", path)
	return nil
}

// adminPasswordFile holds a generated first-admin password when there is
// no terminal to show it on.
const adminPasswordFile = "first-admin-password.txt"

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

// usersCmd is `ocean users create-admin`.
func usersCmd(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) (err error) {
	if len(args) == 0 || args[0] != "create-admin" {
		return errors.New("usage: ocean users create-admin --email ADDRESS [--name NAME] [--password-stdin]")
	}
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the admin's email address")
	name := fs.String("name", "", "the admin's name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("users create-admin: %w", err)
	}
	if *email == "" {
		return errors.New("users create-admin: --email is required")
	}
	pw := cfg.AdminPassword
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	generated := ""
	if pw == "" {
		var err error
		if pw, err = account.GeneratePassword(); err != nil {
			return err
		}
		generated = pw
	}
	a, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	u, err := a.Accounts.CreateAdmin(ctx, *email, pw, *name, account.Meta{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "admin account %s is ready\n", u.Email)
	if generated != "" {
		if f, ok := stdout.(interface{ Fd() uintptr }); ok && isTerminal(f.Fd()) {
			fmt.Fprintf(stdout, "password (shown once): %s\n", generated)
			return nil
		}
		// Not a terminal: the output may be a log. The password goes to a
		// file only this user can read.
		path, err := writeSecretFile(cfg.DataDir, "admin-password-"+strings.NewReplacer("@", "-at-", "/", "-").Replace(u.Email)+".txt",
			fmt.Sprintf("Admin account: %s\nPassword (change it at /account, then delete this file): %s\n", u.Email, generated))
		if err != nil {
			return fmt.Errorf("save the generated password: %w", err)
		}
		fmt.Fprintf(stdout, "the generated password is in %s (readable only by you; delete it once you have changed the password)\n", path)
	}
	return nil
}

// keysCmd is `ocean keys rotate`: a new primary encryption key, then every
// encrypted value re-encrypted under it, while the shop keeps serving (a
// running server reloads the key file when it meets the new key id).
func keysCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 1 && args[0] == "generate" {
		return generateKeys(stdout)
	}
	if len(args) != 1 || args[0] != "rotate" {
		return errors.New("usage: ocean keys rotate | ocean keys generate")
	}
	if cfg.EncryptionKey != "" {
		// This command cannot change the variable: the operator puts a new
		// id:key entry first in OCEAN_ENCRYPTION_KEY on every instance and
		// restarts them; this re-encrypts what is still under older keys.
		fmt.Fprintln(stdout, "keys come from OCEAN_ENCRYPTION_KEY: re-encrypting under its first key")
		return reencrypt(ctx, cfg, stdout, log)
	}
	keys, path, err := secret.LoadOrCreate(cfg.DataDir)
	if err != nil {
		return err
	}
	id, err := keys.Rotate()
	if err != nil {
		return err
	}
	if err := keys.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new primary encryption key %s saved in %s\n", id, path)
	return reencrypt(ctx, cfg, stdout, log)
}

func reencrypt(ctx context.Context, cfg config.Config, stdout io.Writer, log *slog.Logger) (err error) {
	a, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	n, err := a.Accounts.ReencryptAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d values under the new key\n", n)
	return nil
}

// generateKeys prints fresh values for the settings a fleet must share.
// They are secrets: put them in the instances' secret store, not in a log.
func generateKeys(stdout io.Writer) error {
	enc, err := secret.NewKeyring()
	if err != nil {
		return err
	}
	k, err := token.GenerateKey("k1")
	if err != nil {
		return err
	}
	s, err := token.NewSigner("x", "x", []token.Key{k}, k.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OCEAN_ENCRYPTION_KEY=%s\nOCEAN_TOKEN_KEYS=%s\n", strings.TrimSpace(enc.Marshal()), strings.ReplaceAll(strings.TrimSpace(s.Marshal()), "\n", ","))
	return nil
}
