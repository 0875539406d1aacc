package cli_test

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkSignIn measures API sign-ins per second by one legitimate user
// (the correct password every time, so throttling never engages) through
// the real handler on SQLite. argon2id dominates: this is the ceiling the
// hash cost puts on sign-in throughput per instance.
func BenchmarkSignIn(b *testing.B) {
	s := newAPIShop(b, nil)
	s.register("bench@example.com")
	body := `{"email":"bench@example.com","password":"correct horse battery"}`
	client := s.srv.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Post(s.srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}
