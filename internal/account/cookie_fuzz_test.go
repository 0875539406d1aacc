package account_test

import (
	"context"
	"testing"

	"github.com/oceanshop/ocean/internal/account"
	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
	"github.com/oceanshop/ocean/internal/storetest"
	"github.com/oceanshop/ocean/internal/token"
)

// FuzzSessionCookie: whatever a browser sends as the session cookie, only
// the real value signs in, and nothing panics or errors other than "sign in".
func FuzzSessionCookie(f *testing.F) {
	ctx := context.Background()
	keys, _ := secret.NewKeyring()
	k, _ := token.GenerateKey("t1")
	signer, _ := token.NewSigner("https://shop.test", "ocean-api", []token.Key{k}, "t1")
	svc := account.NewService(account.Config{Store: sqlitetest.Open(f).Accounts(), Keys: keys, Tokens: signer, Mail: storetest.NewOutbox().Send})
	u, err := svc.Register(ctx, "fuzz@example.com", "correct horse battery", "Fuzz", account.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	real, _, err := svc.StartSession(ctx, u)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{real, "", "x", real[:42], real + "A", real[:42] + "=", "../../etc", "\x00\xff", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		_, got, err := svc.SessionUser(ctx, cookie)
		if cookie == real {
			if err != nil || got.ID != u.ID {
				t.Fatalf("the real cookie does not sign in: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("cookie %q signed in", cookie)
		}
	})
}
