package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
)

const adminPassword = "staff only, please"

// apiShop is the real handler of a wired App behind a TLS test server.
type apiShop struct {
	t   testing.TB
	app *cli.App
	srv *httptest.Server
	dir string
}

func newAPIShop(t testing.TB, env map[string]string) *apiShop {
	dir := t.TempDir()
	base := map[string]string{"OCEAN_DATA_DIR": dir, "OCEAN_ADMIN_EMAIL": "owner@example.com", "OCEAN_ADMIN_PASSWORD": adminPassword, "OCEAN_SEED_DEMO": "false", "OCEAN_RATE_LIMITS": "off"}
	for k, v := range env {
		base[k] = v
	}
	if base["OCEAN_SEED_DEMO"] == "true" && base["OCEAN_DATABASE_URL"] == "" {
		seedInto(t, dir)
	}
	cfg, _, err := config.Load(nil, func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := cli.NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(app.Handler)
	t.Cleanup(func() { srv.Close(); app.Close() })
	return &apiShop{t: t, app: app, srv: srv, dir: dir}
}

// call sends a JSON request and decodes the answer into out (if not nil),
// failing the test unless the status is want.
func (s *apiShop) call(method, path, bearer string, body any, want int, out any) http.Header {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			r = strings.NewReader(raw)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		s.t.Errorf("%s %s: error answered as %q, want problem+json", method, path, res.Header.Get("Content-Type"))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return res.Header
}

type tokens struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// signUp registers an account: 202, and no tokens (the answer is the same
// whether or not the address had an account).
func (s *apiShop) signUp(email string) {
	s.t.Helper()
	var out struct{ Status string }
	s.call("POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": "correct horse battery", "name": "Test Shopper"}, 202, &out)
	if out.Status == "" {
		s.t.Fatalf("register %s: no status", email)
	}
}

// register creates an account and signs in with it.
func (s *apiShop) register(email string) tokens {
	s.t.Helper()
	s.signUp(email)
	var tk tokens
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"}, 200, &tk)
	return tk
}

func TestAccountsAPIOnSQLite(t *testing.T) {
	t.Parallel()
	testAccountsAPI(t, newAPIShop(t, nil))
}

func TestAccountsAPIOnPostgres(t *testing.T) {
	t.Parallel()
	testAccountsAPI(t, newAPIShop(t, map[string]string{"OCEAN_DATABASE_URL": pgtest.URL(t)}))
}

// testAccountsAPI keeps the account journey through the whole program on
// each database. Forged tokens are refused in internal/token; throttles,
// refresh reuse, resets, other people's data and staff rules in
// internal/account; each API answer in internal/api.
func testAccountsAPI(t *testing.T, s *apiShop) {
	t.Run("journey", func(t *testing.T) { s.t = t; testJourney(t, s) })
}

func testJourney(t *testing.T, s *apiShop) {
	tk := s.register("journey@example.com")
	if tk.AccessToken == "" || !strings.HasPrefix(tk.RefreshToken, "ort_") || tk.ExpiresIn != 900 || tk.User.Role != "customer" {
		t.Fatalf("register answered %+v", tk)
	}
	var p problem
	// The address again: the same 202 as for a new one, no tokens, and
	// the account keeps its password.
	var again map[string]any
	s.call("POST", "/api/v1/auth/register", "", map[string]string{"email": "journey@example.com", "password": "another good passphrase", "name": "X"}, 202, &again)
	if _, ok := again["access_token"]; ok || len(again) != 1 {
		t.Errorf("register of a taken address answered %v", again)
	}
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "journey@example.com", "password": "another good passphrase"}, 401, &p)
	s.call("POST", "/api/v1/auth/register", "", map[string]string{"email": "weak@example.com", "password": "password1", "name": "X"}, 400, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "password" || !strings.Contains(p.Detail, "common") {
		t.Errorf("a common password is refused without saying why: %+v", p)
	}
	// Mass assignment: a client cannot make itself an admin.
	s.call("POST", "/api/v1/auth/register", "", `{"email":"sneaky@example.com","password":"correct horse battery","name":"S","role":"admin"}`, 400, &p)
	s.call("PATCH", "/api/v1/me", tk.AccessToken, `{"role":"admin"}`, 400, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "role" {
		t.Errorf("role in PATCH /me: %+v", p)
	}
	for _, bad := range []string{``, `{`, `[]`, `{"email":1}`, `{"name":"a"}{"name":"b"}`} {
		s.call("PATCH", "/api/v1/me", tk.AccessToken, bad, 400, nil)
	}
	var me struct{ Email, Name, Phone, Role string }
	s.call("PATCH", "/api/v1/me", tk.AccessToken, map[string]string{"phone": "+27 82 555 0147", "name": "Journey Person"}, 200, &me)
	if me.Phone != "+27 82 555 0147" || me.Name != "Journey Person" || me.Role != "customer" {
		t.Fatalf("after PATCH: %+v", me)
	}
	var addr struct {
		ID        string `json:"id"`
		IsDefault bool   `json:"is_default"`
	}
	s.call("POST", "/api/v1/me/addresses", tk.AccessToken, map[string]string{"name": "J P", "line1": "14 Jacaranda Crescent", "city": "Pretoria", "postal_code": "0181", "country": "ZA"}, 201, &addr)
	if !addr.IsDefault {
		t.Error("the first address is not the default")
	}
	s.call("POST", "/api/v1/me/addresses", tk.AccessToken, map[string]string{"name": "J P", "line1": "x", "city": "y", "country": "Narnia"}, 400, &p)

	// Sign in, refresh, sign out.
	var in tokens
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "JOURNEY@example.com", "password": "correct horse battery"}, 200, &in)
	var next tokens
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": in.RefreshToken}, 200, &next)
	if next.RefreshToken == in.RefreshToken || next.AccessToken == "" {
		t.Fatal("refresh did not rotate")
	}
	s.call("GET", "/api/v1/me", next.AccessToken, nil, 200, &me)
	s.call("POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": next.RefreshToken}, 204, nil)
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": next.RefreshToken}, 401, &p)

	// Export has it all; erasure removes it.
	var x struct {
		Account   struct{ Email, Phone string }
		Addresses []struct{ Line1 string }
	}
	h := s.call("GET", "/api/v1/me/export", tk.AccessToken, nil, 200, &x)
	if x.Account.Phone != "+27 82 555 0147" || len(x.Addresses) != 1 || x.Addresses[0].Line1 != "14 Jacaranda Crescent" {
		t.Fatalf("export: %+v", x)
	}
	if !strings.Contains(h.Get("Content-Disposition"), "attachment") || h.Get("Cache-Control") != "no-store" {
		t.Errorf("export headers: %v", h)
	}
	s.call("DELETE", "/api/v1/me", tk.AccessToken, nil, 204, nil)
	s.call("GET", "/api/v1/me", tk.AccessToken, nil, 401, &p)
	var wrong, erased problem
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "journey@example.com", "password": "correct horse battery"}, 401, &erased)
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "never@example.com", "password": "correct horse battery"}, 401, &wrong)
	if wrong.Detail != erased.Detail {
		t.Errorf("unknown and erased accounts answer differently: %q vs %q", wrong.Detail, erased.Detail)
	}
}
