package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/cli"
	"github.com/oceanshop/ocean/internal/config"
	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/storetest"
	"github.com/oceanshop/ocean/internal/token"
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

func testAccountsAPI(t *testing.T, s *apiShop) {
	t.Run("journey", func(t *testing.T) { s.t = t; testJourney(t, s) })
	t.Run("bad tokens", func(t *testing.T) { s.t = t; testBadTokens(t, s) })
	t.Run("refresh reuse revokes the family", func(t *testing.T) { s.t = t; testRefreshReuse(t, s) })
	t.Run("other people's data", func(t *testing.T) { s.t = t; testIDOR(t, s) })
	t.Run("brute force", func(t *testing.T) { s.t = t; testBruteForce(t, s) })
	t.Run("password reset", func(t *testing.T) { s.t = t; testResetAPI(t, s) })
	t.Run("admin", func(t *testing.T) { s.t = t; testAdminAPI(t, s) })
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

func testBadTokens(t *testing.T, s *apiShop) {
	tk := s.register("tokens@example.com")
	signer, err := token.Load("https://localhost:8443", "ocean-api", filepath.Join(s.dir, "token.keys"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := token.Load("https://localhost:8443", "another-api", filepath.Join(s.dir, "token.keys"))
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := signer.Issue(token.Claims{Subject: tk.User.ID}, time.Now().Add(-time.Hour))
	wrongAud, _ := other.Issue(token.Claims{Subject: tk.User.ID}, time.Now())
	parts := strings.Split(tk.AccessToken, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	none := b64([]byte(`{"alg":"none","typ":"at+jwt","kid":"k1"}`)) + "." + parts[1] + "."
	hs := b64([]byte(`{"alg":"HS256","typ":"at+jwt","kid":"k1"}`)) + "." + parts[1] + "." + parts[2]
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	admin := b64(bytes.Replace(payload, []byte(`"role":"customer"`), []byte(`"role":"admin"`), 1))
	for name, bad := range map[string]string{
		"tampered payload": parts[0] + "." + admin + "." + parts[2],
		"alg none":         none,
		"HS256":            hs,
		"expired":          expired,
		"wrong audience":   wrongAud,
		"garbage":          "not.a.token",
		"huge":             strings.Repeat("a", 10000),
	} {
		var p problem
		h := s.call("GET", "/api/v1/me", bad, nil, 401, &p)
		if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no Bearer challenge", name)
		}
	}
	s.call("GET", "/api/v1/me", "", nil, 401, nil)
	// Cookies are no way into the API.
	req, _ := http.NewRequest("GET", s.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Cookie", "__Host-ocean_session="+tk.AccessToken)
	if res, err := s.srv.Client().Do(req); err != nil || res.StatusCode != 401 {
		t.Fatalf("cookie on the API: %v %v", res, err)
	}
}

func testRefreshReuse(t *testing.T, s *apiShop) {
	tk := s.register("reuse@example.com")
	var second tokens
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}, 200, &second)
	// The thief replays the first token: 401, and the owner's fresh one dies too.
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}, 401, nil)
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}, 401, nil)
	for _, junk := range []string{"", "ort_x", strings.Repeat("z", 5000)} {
		s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": junk}, 401, nil)
	}
}

func testIDOR(t *testing.T, s *apiShop) {
	a := s.register("alice@example.com")
	b := s.register("bob@example.com")
	var addr struct{ ID string }
	s.call("POST", "/api/v1/me/addresses", a.AccessToken, map[string]string{"name": "Alice", "line1": "1 Long St", "city": "Cape Town", "country": "ZA"}, 201, &addr)
	for _, id := range []string{addr.ID, "0", "-1", "abc", "999999999999"} {
		s.call("DELETE", "/api/v1/me/addresses/"+id, b.AccessToken, nil, 404, nil)
	}
	var list struct{ Items []struct{ ID string } }
	s.call("GET", "/api/v1/me/addresses", a.AccessToken, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != addr.ID {
		t.Fatalf("alice's addresses after bob's attempts: %+v", list)
	}
	s.call("GET", "/api/v1/me/addresses", b.AccessToken, nil, 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("bob sees %+v", list)
	}
	// A customer is no admin, whatever the token says.
	s.call("GET", "/api/v1/admin/users", a.AccessToken, nil, 403, nil)
	s.call("PATCH", "/api/v1/admin/users/"+a.User.ID, a.AccessToken, map[string]string{"role": "admin"}, 403, nil)
}

func testBruteForce(t *testing.T, s *apiShop) {
	s.register("victim@example.com")
	wrong := map[string]string{"email": "victim@example.com", "password": "guess guess guess"}
	for range 5 {
		s.call("POST", "/api/v1/auth/login", "", wrong, 401, nil)
	}
	var p problem
	s.call("POST", "/api/v1/auth/login", "", wrong, 401, nil) // the sixth failure starts the lockout
	h := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"}, 429, &p)
	if h.Get("Retry-After") == "" || !strings.Contains(p.Detail, "Try again") {
		t.Fatalf("locked account: Retry-After %q, %+v", h.Get("Retry-After"), p)
	}
	// Another account from the same client still signs in.
	by := s.register("bystander@example.com")
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "bystander@example.com", "password": "correct horse battery"}, 200, nil)
	// A stolen token is no way to guess the password either.
	guess := map[string]string{"current_password": "guess guess guess", "new_password": "attacker's choice 1"}
	for range 6 {
		s.call("POST", "/api/v1/me/password", by.AccessToken, guess, 400, nil)
	}
	s.call("POST", "/api/v1/me/password", by.AccessToken, map[string]string{"current_password": "correct horse battery", "new_password": "attacker's choice 1"}, 429, nil)
}

func testResetAPI(t *testing.T, s *apiShop) {
	s.register("forgetful@example.com")
	var known, unknown map[string]string
	s.call("POST", "/api/v1/auth/password-reset", "", map[string]string{"email": "nobody-here@example.com"}, 202, &unknown)
	s.call("POST", "/api/v1/auth/password-reset", "", map[string]string{"email": "forgetful@example.com"}, 202, &known)
	if known["status"] != unknown["status"] {
		t.Errorf("reset answers differ: %q vs %q", known, unknown)
	}
	var link string
	deadline := time.Now().Add(5 * time.Second)
	for link == "" && time.Now().Before(deadline) {
		msgs, err := s.app.Mailbox.List(context.Background(), 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.To == "forgetful@example.com" && m.Subject == "Reset your password" {
				link = m.Text
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if link == "" {
		t.Fatal("no reset mail in the dev mailbox")
	}
	tok := storetest.ResetToken(t, link)
	s.call("POST", "/api/v1/auth/password-reset/confirm", "", map[string]string{"token": tok, "password": "a fresh new password"}, 204, nil)
	s.call("POST", "/api/v1/auth/password-reset/confirm", "", map[string]string{"token": tok, "password": "another new password"}, 400, nil)
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "forgetful@example.com", "password": "a fresh new password"}, 200, nil)
}

func testAdminAPI(t *testing.T, s *apiShop) {
	var admin tokens
	s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "owner@example.com", "password": adminPassword}, 200, &admin)
	if admin.User.Role != "admin" {
		t.Fatalf("the first admin has role %q", admin.User.Role)
	}
	c := s.register("promoted@example.com")
	var u struct{ Role string }
	s.call("PATCH", "/api/v1/admin/users/"+c.User.ID, admin.AccessToken, map[string]string{"role": "admin"}, 200, &u)
	if u.Role != "admin" {
		t.Fatal("role not changed")
	}
	s.call("PATCH", "/api/v1/admin/users/"+c.User.ID, admin.AccessToken, map[string]string{"role": "root"}, 400, nil)
	// The promotion signed the account out: its old refresh token is dead.
	s.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": c.RefreshToken}, 401, nil)
	var users struct {
		Items      []struct{ Email string }
		NextCursor *string `json:"next_cursor"`
	}
	s.call("GET", "/api/v1/admin/users?limit=2", admin.AccessToken, nil, 200, &users)
	if len(users.Items) != 2 || users.NextCursor == nil {
		t.Fatalf("users page: %+v", users)
	}
	s.call("GET", "/api/v1/admin/users?limit=0", admin.AccessToken, nil, 400, nil)
	var audit struct {
		Items []struct{ Event, Detail string }
	}
	s.call("GET", "/api/v1/admin/audit?limit=200", admin.AccessToken, nil, 200, &audit)
	seen := map[string]bool{}
	for _, e := range audit.Items {
		seen[e.Event] = true
	}
	for _, want := range []string{"role.change", "signin.success", "signin.failure", "account.register", "password.reset", "data.erase", "data.export", "token.refresh_reuse"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s", want)
		}
	}
	if bytes.Contains([]byte(strings.Join(func() []string {
		var d []string
		for _, e := range audit.Items {
			d = append(d, e.Detail)
		}
		return d
	}(), " ")), []byte("correct horse")) {
		t.Error("a password reached the audit log")
	}
}
