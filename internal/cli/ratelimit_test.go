package cli_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/oceanshop/ocean/internal/postgres/pgtest"
	"github.com/oceanshop/ocean/internal/redis/redistest"
)

// TestRateLimits: the API's quota per client address with its headers, the
// stricter sign-in class, X-Forwarded-For honoured only from a trusted
// proxy, and a budget shared by three instances through Redis.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	s := newAPIShop(t, map[string]string{"OCEAN_RATE_LIMITS": "on", "OCEAN_RATE_LIMIT_API": "5/min", "OCEAN_RATE_LIMIT_SIGNIN": "2/min"})
	get := func(xff string) *http.Response {
		req, _ := http.NewRequest("GET", s.srv.URL+"/api/v1/categories", nil)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := 1; i <= 5; i++ {
		res := get("")
		if res.StatusCode != 200 || res.Header.Get("RateLimit-Policy") != `"api";q=5;w=60` || !strings.HasPrefix(res.Header.Get("RateLimit"), `"api";r=`) {
			t.Fatalf("request %d: %d %v", i, res.StatusCode, res.Header)
		}
	}
	// A forged X-Forwarded-For from an untrusted peer does not buy a new budget.
	for _, xff := range []string{"", "203.0.113.9"} {
		res := get(xff)
		if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("over the quota (XFF %q): %d %v", xff, res.StatusCode, res.Header)
		}
	}
	// Pages for people are not limited by the API quota.
	if res, err := s.srv.Client().Get(s.srv.URL + "/"); err != nil || res.StatusCode != 200 {
		t.Fatalf("home page after the API quota: %v %v", res.StatusCode, err)
	}
	// Sign-in has its own, stricter class (on the form too).
	sign := newAPIShop(t, map[string]string{"OCEAN_RATE_LIMITS": "on", "OCEAN_RATE_LIMIT_SIGNIN": "2/min"})
	codes := []int{}
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("POST", sign.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"x@example.com","password":"wrong password"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := sign.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
	}
	if codes[0] != 401 || codes[1] != 401 || codes[2] != 429 {
		t.Fatalf("three sign-ins with a 2/min quota: %v", codes)
	}
	// Registration counts as sign-in: it says whether an email is taken.
	reg := newAPIShop(t, map[string]string{"OCEAN_RATE_LIMITS": "on", "OCEAN_RATE_LIMIT_SIGNIN": "1/min"})
	reg.signUp("first@example.com")
	req, _ := http.NewRequest("POST", reg.srv.URL+"/api/v1/auth/register", strings.NewReader(`{"email":"first@example.com","password":"correct horse battery","name":"Probe"}`))
	req.Header.Set("Content-Type", "application/json")
	if res, err := reg.srv.Client().Do(req); err != nil || res.StatusCode != 429 {
		t.Fatalf("a second registration within the sign-in quota: %v %v", res.StatusCode, err)
	}
	// Behind a trusted proxy, each client has its own budget.
	proxied := newAPIShop(t, map[string]string{"OCEAN_RATE_LIMITS": "on", "OCEAN_RATE_LIMIT_API": "2/min", "OCEAN_TRUSTED_PROXIES": "loopback"})
	for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
		for i := 0; i < 3; i++ {
			req, _ := http.NewRequest("GET", proxied.srv.URL+"/api/v1/categories", nil)
			req.Header.Set("X-Forwarded-For", client)
			res, err := proxied.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if want := map[bool]int{true: 200, false: 429}[i < 2]; res.StatusCode != want {
				t.Fatalf("client %s request %d: %d, want %d", client, i+1, res.StatusCode, want)
			}
		}
	}
}

// TestRateLimitSharedByFleet: three instances of one shop (one database,
// one Redis) share each client's budget: 100 requests spread over them
// exhaust it. Another shop on the same Redis has a budget of its own.
func TestRateLimitSharedByFleet(t *testing.T) {
	t.Parallel()
	keys := fleetKeys(t)
	redisURL := redistest.URL(t)
	env := map[string]string{"OCEAN_REDIS_URL": redisURL, "OCEAN_DATABASE_URL": pgtest.URL(t), "OCEAN_ENCRYPTION_KEY": keys["OCEAN_ENCRYPTION_KEY"], "OCEAN_TOKEN_KEYS": keys["OCEAN_TOKEN_KEYS"],
		"OCEAN_RATE_LIMITS": "on", "OCEAN_RATE_LIMIT_API": "100/min"}
	shops := []*apiShop{newAPIShop(t, env), newAPIShop(t, env), newAPIShop(t, env)}
	var mu sync.Mutex
	ok, refused := 0, 0
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 12; w++ { // 12 clients in flight, requests spread round robin
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := shops[i%3]
				res, err := s.srv.Client().Get(s.srv.URL + "/api/v1/categories")
				if err != nil {
					t.Error(err)
					continue
				}
				res.Body.Close()
				mu.Lock()
				switch res.StatusCode {
				case 200:
					ok++
				case 429:
					refused++
				default:
					t.Errorf("status %d", res.StatusCode)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 120; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if ok != 100 || refused != 20 {
		t.Fatalf("%d accepted and %d refused across three instances; want 100 and 20", ok, refused)
	}
	other := map[string]string{}
	for k, v := range env {
		other[k] = v
	}
	other["OCEAN_DATABASE_URL"] = pgtest.URL(t)
	o := newAPIShop(t, other)
	if res, err := o.srv.Client().Get(o.srv.URL + "/api/v1/categories"); err != nil || res.StatusCode != 200 {
		t.Fatalf("another shop on the same Redis shares the budget: %v %v", res.StatusCode, err)
	}
}
