package kpi_test

import (
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/kpi"
)

// TestTally: a batch is due at once when nothing was taken yet, unless the
// clock was held; then every so often; a batch that could not be written
// comes back with the next.
func TestTally(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var fresh kpi.Tally[string]
	if !fresh.Add("carts", 1, t0, time.Second) {
		t.Error("nothing taken yet: the first count should be due")
	}
	var held kpi.Tally[string]
	held.Hold(t0)
	if held.Add("carts", 1, t0.Add(500*time.Millisecond), time.Second) {
		t.Error("held: due before a second passed")
	}
	if !held.Add("paid", 2, t0.Add(time.Second), time.Second) {
		t.Error("held: not due a second later")
	}
	batch := held.Take(t0.Add(time.Second))
	if batch["carts"] != 1 || batch["paid"] != 2 {
		t.Fatalf("batch %v", batch)
	}
	held.Return(batch) // its write failed
	if held.Add("carts", 1, t0.Add(1500*time.Millisecond), time.Second) {
		t.Error("due half a second after the last take")
	}
	if again := held.Take(t0.Add(2 * time.Second)); again["carts"] != 2 || again["paid"] != 2 {
		t.Errorf("after a failed write, the next batch is %v: want carts 2, paid 2", again)
	}
}
