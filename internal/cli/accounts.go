package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/bootstrap"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/mail"
	"github.com/oceanshop/ocean/internal/redis"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/throttle"
	throttleredis "github.com/oceanshop/ocean/internal/throttle/redis"
)

// newAccounts wires the accounts service. rdb is the shop's Redis, nil
// without one.
func newAccounts(cfg config.Config, db *sqldb.DB, rdb goredis.UniversalClient, log *slog.Logger) (*account.Service, *mail.Mailbox, error) {
	keys, reload, err := bootstrap.Keyring(cfg.EncryptionKey, cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	signer, err := bootstrap.TokenSigner(cfg.PublicURL, cfg.TokenKeys, cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	m, box, err := mail.New(cfg.SMTPURL, cfg.MailFrom, db.Mailbox())
	if err != nil {
		return nil, nil, err
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
		Mail:        mail.SendFunc(m),
		BaseURL:     cfg.PublicURL,
		Log:         log,
	})
	return svc, box, nil
}

// usersCmd is `ocean users create-admin` and `ocean users set-role`.
func usersCmd(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) (err error) {
	if len(args) == 3 && args[0] == "set-role" {
		a, err := NewApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, a.Close()) }()
		return a.Accounts.SetRoleByEmail(ctx, args[1], args[2], stdout)
	}
	if len(args) == 0 || args[0] != "create-admin" {
		return errors.New("usage: ocean users create-admin --email ADDRESS [--name NAME] [--password-stdin] | ocean users set-role EMAIL customer|staff|admin")
	}
	admin, err := bootstrap.CreateAdminArgs(args[1:], stdin, cfg.AdminPassword)
	if err != nil {
		return err
	}
	a, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	u, err := a.Accounts.CreateAdmin(ctx, admin.Email, admin.Password, admin.Name, account.Meta{})
	if err != nil {
		return err
	}
	return bootstrap.ShowAdmin(stdout, cfg.DataDir, u.Email, admin.Generated)
}

// keysCmd is `ocean keys rotate`: a new primary encryption key, then every
// encrypted value re-encrypted under it, while the shop keeps serving (a
// running server reloads the key file when it meets the new key id).
func keysCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 1 && args[0] == "generate" {
		return bootstrap.GenerateKeys(stdout)
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
	if err := bootstrap.RotateKeyFile(cfg.DataDir, stdout); err != nil {
		return err
	}
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
