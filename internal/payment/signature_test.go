package payment_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/payment"
)

const secret = "whsec_test_secret"

var now = time.Unix(1_750_000_000, 0)

func TestVerifySignature(t *testing.T) {
	payload := []byte(`{"id":"evt_1","type":"payment_intent.succeeded"}`)
	good := payment.Sign(payload, secret, now)
	if !strings.HasPrefix(good, "t=1750000000,v1=") || len(good) != len("t=1750000000,v1=")+64 {
		t.Fatalf("Sign = %q", good)
	}
	v1 := strings.TrimPrefix(good, "t=1750000000,")
	other := payment.Sign(payload, "whsec_other", now)
	otherV1 := other[strings.Index(other, "v1="):]

	for _, c := range []struct {
		name, header string
		payload      []byte
		secret       string
		at           time.Time
		ok           bool
	}{
		{"signed", good, payload, secret, now, true},
		{"a little later", good, payload, secret, now.Add(4 * time.Minute), true},
		{"clock a little behind", good, payload, secret, now.Add(-4 * time.Minute), true},
		{"one of several v1 (secret rotation)", "t=1750000000," + otherV1 + "," + v1, payload, secret, now, true},
		{"spaces and a v0", "t=1750000000, v0=abc, " + v1, payload, secret, now, true},
		{"too old (replay)", good, payload, secret, now.Add(6 * time.Minute), false},
		{"from the future", good, payload, secret, now.Add(-6 * time.Minute), false},
		{"payload changed", good, []byte(`{"id":"evt_1","type":"payment_intent.payment_failed"}`), secret, now, false},
		{"wrong secret", good, payload, "whsec_wrong", now, false},
		{"no secret configured", good, payload, "", now, false},
		{"timestamp changed", strings.Replace(good, "t=1750000000", "t=1750000001", 1), payload, secret, now, false},
		{"no timestamp", v1, payload, secret, now, false},
		{"no signature", "t=1750000000", payload, secret, now, false},
		{"only v0", "t=1750000000,v0=" + v1[3:], payload, secret, now, false},
		{"two timestamps", "t=1,t=1750000000," + v1, payload, secret, now, false},
		{"empty", "", payload, secret, now, false},
		{"short signature", "t=1750000000,v1=abcd", payload, secret, now, false},
		{"plus timestamp", "t=+1750000000," + v1, payload, secret, now, false},
		{"huge timestamp", "t=99999999999999999999," + v1, payload, secret, now, false},
		{"negative timestamp", "t=-5," + v1, payload, secret, now, false},
	} {
		err := payment.VerifySignature(c.payload, c.header, c.secret, c.at, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && (!errors.Is(err, payment.ErrSignature) || ocean.ErrorCode(err) != ocean.EINVALID) {
			t.Errorf("%s: err = %v, want EINVALID wrapping ErrSignature", c.name, err)
		}
	}
	// A zero tolerance means the default, not "never".
	if err := payment.VerifySignature(payload, good, secret, now.Add(time.Minute), 0); err != nil {
		t.Errorf("default tolerance: %v", err)
	}
}

func FuzzVerifySignature(f *testing.F) {
	payload := []byte(`{"id":"evt_1"}`)
	f.Add(payload, payment.Sign(payload, secret, now), int64(0))
	f.Add(payload, "t=1750000000,v1=00,v1=zz,,=,t", int64(10))
	f.Add([]byte{}, "t=-1,v1=", int64(-1))
	f.Fuzz(func(t *testing.T, payload []byte, header string, skew int64) {
		at := now.Add(time.Duration(skew%1_000_000) * time.Second)
		err := payment.VerifySignature(payload, header, secret, at, 5*time.Minute)
		if err != nil {
			if !errors.Is(err, payment.ErrSignature) {
				t.Fatalf("error outside the contract: %v", err)
			}
			return
		}
		// Accepted: then the header carries a valid v1 for this payload
		// and a timestamp within the tolerance.
		var ts int64 = -1
		for _, part := range strings.Split(header, ",") {
			if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "t" {
				ts, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if d := at.Unix() - ts; d > 300 || d < -300 {
			t.Fatalf("accepted a timestamp %d away", d)
		}
		want := payment.Sign(payload, secret, time.Unix(ts, 0))
		if !strings.Contains(strings.ToLower(header), want[strings.Index(want, "v1="):]) { // hex may be either case
			t.Fatalf("accepted %q without the right signature", header)
		}
		// And any change to the payload is refused.
		if payment.VerifySignature(append(append([]byte{}, payload...), 'x'), header, secret, at, 5*time.Minute) == nil {
			t.Fatalf("accepted a changed payload for %q", header)
		}
	})
}
