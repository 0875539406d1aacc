package cli_test

import (
	"encoding/json"
	"testing"
)

// TestDrainOnShutdown: on SIGTERM the instance first tells the load
// balancer it is going (/readyz 503) while it keeps serving shoppers for
// OCEAN_SHUTDOWN_DELAY, then stops cleanly.
func TestDrainOnShutdown(t *testing.T) {
	t.Parallel()
	s := start(t, map[string]string{"OCEAN_SHUTDOWN_DELAY": "10s", "OCEAN_HTTPS_ADDR": "off"})
	if res, b := s.get(t, "/readyz"); res.StatusCode != 200 {
		t.Fatalf("/readyz before shutdown: %d %s", res.StatusCode, b)
	}
	s.cancel()
	for {
		res, err := s.client.Get(s.http + "/readyz")
		if err != nil {
			t.Fatalf("/readyz during the shutdown delay: %v (the listener closed without draining); log:\n%s", err, s.log)
		}
		var p problem
		_ = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if res.StatusCode == 503 {
			if res.Header.Get("Content-Type") != "application/problem+json" || p.Detail != "shutting down" {
				t.Errorf("/readyz while draining: %s %+v", res.Header.Get("Content-Type"), p)
			}
			break
		}
		if res.StatusCode != 200 {
			t.Fatalf("/readyz while draining: %d", res.StatusCode)
		}
	}
	// Shoppers still get answers while the load balancer catches up.
	for _, path := range []string{"/healthz", "/api/v1/categories", "/"} {
		if res, b := s.get(t, path); res.StatusCode != 200 {
			t.Errorf("%s while draining: %d %.200s", path, res.StatusCode, b)
		}
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("serve exited %d; log:\n%s", code, s.log)
	}
	if _, err := s.client.Get(s.http + "/healthz"); err == nil {
		t.Error("the listener still answers after serve returned")
	}
}
