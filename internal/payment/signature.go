package payment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/ocean"
)

// ErrSignature is in the chain of every error VerifySignature returns.
var ErrSignature = errors.New("webhook signature")

// DefaultTolerance is how far a webhook's timestamp may be from now: the
// window in which a captured webhook could be replayed.
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the header we parse; real ones are ~100 bytes.
const maxSignatureHeader = 8 << 10

// Sign returns the signature header for payload at time t, in Stripe's
// scheme: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">".
// Gateways that send webhooks and tests use it.
func Sign(payload []byte, secret string, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(payload, secret, ts))
}

func mac(payload []byte, secret, ts string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(payload)
	return h.Sum(nil)
}

// VerifySignature checks a webhook signature header (Stripe-Signature) of
// the form "t=<unix>,v1=<hex>[,v1=<hex>…]" against payload and secret: one
// of the v1 signatures must be the HMAC-SHA256 of "<t>.<payload>" (compared
// in constant time), and t must be within tolerance of now, either way, so
// an old webhook cannot be replayed. Other schemes (v0) are ignored. A
// tolerance of zero or less means DefaultTolerance.
//
// A failure is an *ocean.Error EINVALID (a 400 for the sender) wrapping
// ErrSignature.
func VerifySignature(payload []byte, header string, secret string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return sigError("no webhook secret is configured")
	}
	if len(header) > maxSignatureHeader {
		return sigError("header too long")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if ts != "" {
				return sigError("more than one timestamp")
			}
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" {
		return sigError("no timestamp")
	}
	if len(sigs) == 0 {
		return sigError("no v1 signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || ts[0] == '+' {
		return sigError("bad timestamp")
	}
	// Compare in seconds so no conversion can overflow.
	age := now.Unix() - sec
	limit := int64(tolerance / time.Second)
	if age > limit || -age > limit {
		return sigError("timestamp outside the tolerance")
	}
	want := mac(payload, secret, ts)
	ok := false
	for _, s := range sigs {
		// Check every signature, so the time taken says nothing about
		// which one matched.
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return sigError("no signature matches")
	}
	return nil
}

func sigError(why string) error {
	return &ocean.Error{Code: ocean.EINVALID, Message: "The webhook signature is not valid.", Err: fmt.Errorf("%w: %s", ErrSignature, why)}
}
