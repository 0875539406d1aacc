package token

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oceanshop/ocean/internal/ocean"
)

const (
	testIssuer   = "https://shop.example"
	testAudience = "ocean-api"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func mustKey(t testing.TB, id string) Key {
	t.Helper()
	k, err := GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestSigner(t testing.TB, keys ...Key) *Signer {
	t.Helper()
	if len(keys) == 0 {
		keys = []Key{mustKey(t, "k1")}
	}
	s, err := NewSigner(testIssuer, testAudience, keys, keys[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustIssue(t testing.TB, s *Signer, c Claims, now time.Time) string {
	t.Helper()
	tok, err := s.Issue(c, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantUnauthorized fails unless err is the generic EUNAUTHORIZED error of
// Verify wrapping, when cause is not nil, cause.
func wantUnauthorized(t testing.TB, err error, message string, cause error) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted; want rejection")
	}
	var oe *ocean.Error
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *ocean.Error", err, err)
	}
	if oe.Code != ocean.EUNAUTHORIZED {
		t.Errorf("code = %q, want %q (error %v)", oe.Code, ocean.EUNAUTHORIZED, err)
	}
	if oe.Message != message {
		t.Errorf("message = %q, want %q", oe.Message, message)
	}
	if oe.Err == nil {
		t.Error("no cause wrapped for the logs")
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("cause = %v, want %v in the chain", oe.Err, cause)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forge builds a compact JWS by hand from header and claims and signs
// "header.claims" with sign (nil: empty signature).
func forge(t testing.TB, header, claims any, sign func(input []byte) []byte) string {
	t.Helper()
	input := b64(mustJSON(t, header)) + "." + b64(mustJSON(t, claims))
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64(sig)
}

func edSign(k Key) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(k.Private, in) }
}

func goodHeader(kid string) map[string]any {
	return map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
}

func goodClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss":  testIssuer,
		"aud":  []string{testAudience},
		"sub":  "acct_1",
		"iat":  now.Unix(),
		"nbf":  now.Unix(),
		"exp":  now.Add(10 * time.Minute).Unix(),
		"jti":  "0123456789abcdefghijkl",
		"role": "customer",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func without(m map[string]any, keys ...string) map[string]any {
	out := with(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func decodePart(t testing.TB, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	now := t0.Add(123456789 * time.Nanosecond) // not on a second
	tok := mustIssue(t, s, Claims{Subject: "acct_42", Role: "admin", TTL: 5 * time.Minute}, now)

	h := decodePart(t, tok, 0)
	if h["alg"] != "EdDSA" || h["typ"] != "at+jwt" || h["kid"] != "k1" || len(h) != 3 {
		t.Errorf("header = %v, want exactly alg EdDSA, typ at+jwt, kid k1", h)
	}
	c := decodePart(t, tok, 1)
	for _, name := range []string{"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "role"} {
		if _, ok := c[name]; !ok {
			t.Errorf("claim %q missing from %v", name, c)
		}
	}
	if c["iss"] != testIssuer || c["sub"] != "acct_42" || c["role"] != "admin" {
		t.Errorf("claims = %v", c)
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != testAudience {
		t.Errorf("aud = %v, want [%s]", c["aud"], testAudience)
	}
	if c["iat"] != float64(t0.Unix()) || c["nbf"] != float64(t0.Unix()) || c["exp"] != float64(t0.Add(5*time.Minute).Unix()) {
		t.Errorf("iat/nbf/exp = %v/%v/%v", c["iat"], c["nbf"], c["exp"])
	}
	jti, _ := c["jti"].(string)
	if raw, err := base64.RawURLEncoding.Strict().DecodeString(jti); err != nil || len(raw) != 16 {
		t.Errorf("jti %q is not 128 bits of base64url (%v)", jti, err)
	}

	v, err := s.Verify(tok, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := Verified{
		Subject:   "acct_42",
		Role:      "admin",
		TokenID:   jti,
		KeyID:     "k1",
		IssuedAt:  t0,
		ExpiresAt: t0.Add(5 * time.Minute),
	}
	if *v != want {
		t.Errorf("Verify = %+v\nwant        %+v", *v, want)
	}
	if v.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt is in %v, want UTC", v.ExpiresAt.Location())
	}

	// No role: the claim is absent and Verified.Role empty.
	tok = mustIssue(t, s, Claims{Subject: "acct_43"}, now)
	if _, ok := decodePart(t, tok, 1)["role"]; ok {
		t.Error("empty role was written into the token")
	}
	if v, err := s.Verify(tok, now); err != nil || v.Role != "" || v.Subject != "acct_43" {
		t.Errorf("Verify = %+v, %v", v, err)
	}

	// RFC 9068 also allows the full media type in typ.
	k := mustKey(t, "k1")
	s = newTestSigner(t, k)
	tok = forge(t, with(goodHeader("k1"), "typ", "application/at+jwt"), goodClaims(t0), edSign(k))
	if _, err := s.Verify(tok, t0); err != nil {
		t.Errorf("typ application/at+jwt: %v", err)
	}
}

func TestIssueUniqueTokenIDs(t *testing.T) {
	s := newTestSigner(t)
	seen := map[string]bool{}
	for range 200 {
		v, err := s.Verify(mustIssue(t, s, Claims{Subject: "a"}, t0), t0)
		if err != nil {
			t.Fatal(err)
		}
		if seen[v.TokenID] {
			t.Fatalf("jti %q issued twice", v.TokenID)
		}
		seen[v.TokenID] = true
	}
}

func TestIssueTTL(t *testing.T) {
	s := newTestSigner(t)
	for _, tc := range []struct {
		ttl, want time.Duration
	}{
		{0, MaxTTL},
		{-time.Minute, MaxTTL},
		{time.Second, time.Second},
		{5 * time.Minute, 5 * time.Minute},
		{MaxTTL, MaxTTL},
		{MaxTTL + time.Second, MaxTTL},
		{30 * 24 * time.Hour, MaxTTL},
		{math.MaxInt64, MaxTTL},
	} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			tok := mustIssue(t, s, Claims{Subject: "acct_1", TTL: tc.ttl}, t0)
			v, err := s.Verify(tok, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.ExpiresAt.Sub(v.IssuedAt); got != tc.want {
				t.Errorf("lifetime = %v, want %v", got, tc.want)
			}
			// Still valid within the leeway, rejected after it.
			if _, err := s.Verify(tok, t0.Add(tc.want+Leeway-time.Second)); err != nil {
				t.Errorf("within leeway: %v", err)
			}
			_, err = s.Verify(tok, t0.Add(tc.want+Leeway))
			wantUnauthorized(t, err, invalidAccessMessage, jwt.ErrTokenExpired)
		})
	}
	if MaxTTL != 15*time.Minute || Leeway > 30*time.Second {
		t.Errorf("MaxTTL = %v, Leeway = %v", MaxTTL, Leeway)
	}
}

func TestIssueErrors(t *testing.T) {
	s := newTestSigner(t)
	if _, err := s.Issue(Claims{}, t0); err == nil {
		t.Error("issued a token without a subject")
	}
	if _, err := s.Issue(Claims{Subject: "a"}, time.Time{}); err == nil {
		t.Error("issued a token at the zero time")
	}
	if _, err := new(Signer).Issue(Claims{Subject: "a"}, t0); err == nil {
		t.Error("zero Signer issued a token")
	}
	var nilSigner *Signer
	if _, err := nilSigner.Issue(Claims{Subject: "a"}, t0); err == nil {
		t.Error("nil Signer issued a token")
	}

	// Issue refuses what Verify would refuse for size, and the largest
	// token it does make verifies.
	var largest string
	for n := 2800; n < 3200; n++ {
		tok, err := s.Issue(Claims{Subject: "acct_1", Role: strings.Repeat("r", n)}, t0)
		if err != nil {
			if !strings.Contains(err.Error(), "limit") {
				t.Fatalf("role of %d bytes: %v", n, err)
			}
			break
		}
		largest = tok
	}
	if len(largest) > MaxTokenSize || len(largest) < MaxTokenSize-4 {
		t.Fatalf("largest issued token is %d bytes; the search did not reach the limit", len(largest))
	}
	if _, err := s.Verify(largest, t0); err != nil {
		t.Errorf("largest token (%d bytes) does not verify: %v", len(largest), err)
	}
	if _, err := s.Issue(Claims{Subject: "acct_1", Role: strings.Repeat("r", 5000)}, t0); err == nil {
		t.Error("issued a token over the size limit")
	}
}

func TestVerifyRejects(t *testing.T) {
	k1 := mustKey(t, "k1")
	s := newTestSigner(t, k1)
	now := t0
	valid := mustIssue(t, s, Claims{Subject: "acct_1", Role: "customer"}, now)
	if _, err := s.Verify(valid, now); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	pub := k1.Private.Public().(ed25519.PublicKey)

	// An impostor with its own key under the same kid, issuer and audience.
	impostor := newTestSigner(t, mustKey(t, "k1"))
	otherIssuer, err := NewSigner("https://evil.example", testAudience, []Key{k1}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	otherAudience, err := NewSigner(testIssuer, "another-api", []Key{k1}, "k1")
	if err != nil {
		t.Fatal(err)
	}

	hmacWith := func(method jwt.SigningMethod, secret []byte) string {
		tok := jwt.NewWithClaims(method, jwt.MapClaims(goodClaims(now)))
		tok.Header["typ"] = "at+jwt"
		tok.Header["kid"] = "k1"
		signed, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})

	tamperedPayload := func() string {
		c := decodePart(t, valid, 1)
		c["sub"] = "acct_admin"
		return parts[0] + "." + b64(mustJSON(t, c)) + "." + parts[2]
	}()
	tamperedRole := func() string {
		c := decodePart(t, valid, 1)
		c["role"] = "admin"
		return parts[0] + "." + b64(mustJSON(t, c)) + "." + parts[2]
	}()
	tamperedHeader := parts[0][:len(parts[0])-2] + "fQ" + "." + parts[1] + "." + parts[2] // still base64, different bytes
	tamperedSig := func() string {
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		sig[10] ^= 0x01
		return parts[0] + "." + parts[1] + "." + b64(sig)
	}()
	swappedSig := func() string {
		other := strings.Split(mustIssue(t, s, Claims{Subject: "acct_2"}, now), ".")
		return parts[0] + "." + parts[1] + "." + other[2]
	}()

	signed := func(header, claims map[string]any) string { return forge(t, header, claims, edSign(k1)) }
	h := goodHeader("k1")
	c := goodClaims(now)

	for _, tc := range []struct {
		name  string
		tok   string
		now   time.Time
		cause error
	}{
		// Algorithm attacks.
		{"alg none", forge(t, with(h, "alg", "none"), c, nil), now, jwt.ErrTokenSignatureInvalid},
		{"alg None", forge(t, with(h, "alg", "None"), c, nil), now, jwt.ErrTokenUnverifiable},
		{"alg NONE", forge(t, with(h, "alg", "NONE"), c, nil), now, jwt.ErrTokenUnverifiable},
		{"alg none with a real signature", forge(t, with(h, "alg", "none"), c, edSign(k1)), now, jwt.ErrTokenSignatureInvalid},
		{"alg missing", signed(without(h, "alg"), c), now, jwt.ErrTokenUnverifiable},
		{"alg not a string", signed(with(h, "alg", 1), c), now, jwt.ErrTokenUnverifiable},
		{"alg EdDSA, empty signature", forge(t, h, c, nil), now, jwt.ErrTokenSignatureInvalid},
		{"HS256 with public key bytes", hmacWith(jwt.SigningMethodHS256, pub), now, jwt.ErrTokenSignatureInvalid},
		{"HS256 with public key PEM", hmacWith(jwt.SigningMethodHS256, pubPEM), now, jwt.ErrTokenSignatureInvalid},
		{"HS384 with public key bytes", hmacWith(jwt.SigningMethodHS384, pub), now, jwt.ErrTokenSignatureInvalid},
		{"HS512 with public key bytes", hmacWith(jwt.SigningMethodHS512, pub), now, jwt.ErrTokenSignatureInvalid},
		{"HS256 with base64 public key", hmacWith(jwt.SigningMethodHS256, []byte(base64.StdEncoding.EncodeToString(pub))), now, jwt.ErrTokenSignatureInvalid},

		// Integrity.
		{"tampered payload (sub)", tamperedPayload, now, jwt.ErrTokenSignatureInvalid},
		{"tampered payload (role)", tamperedRole, now, jwt.ErrTokenSignatureInvalid},
		{"tampered header", tamperedHeader, now, nil},
		{"tampered signature", tamperedSig, now, jwt.ErrTokenSignatureInvalid},
		{"signature of another token", swappedSig, now, jwt.ErrTokenSignatureInvalid},
		{"signature stripped", parts[0] + "." + parts[1] + ".", now, jwt.ErrTokenSignatureInvalid},
		{"signature truncated", valid[:len(valid)-4], now, nil},
		{"other key, same kid", mustIssue(t, impostor, Claims{Subject: "acct_1"}, now), now, jwt.ErrTokenSignatureInvalid},

		// Time.
		{"expired", valid, now.Add(MaxTTL + Leeway), jwt.ErrTokenExpired},
		{"expired long ago", valid, now.Add(24 * time.Hour), jwt.ErrTokenExpired},
		{"nbf in the future", signed(h, with(c, "nbf", now.Add(5*time.Minute).Unix())), now, jwt.ErrTokenNotValidYet},
		{"issued in the future", mustIssue(t, s, Claims{Subject: "acct_1"}, now.Add(time.Minute)), now, jwt.ErrTokenNotValidYet},
		{"iat in the future", signed(h, with(c, "iat", now.Add(5*time.Minute).Unix())), now, jwt.ErrTokenUsedBeforeIssued},
		{"lifetime over MaxTTL", signed(h, with(c, "exp", now.Add(MaxTTL+time.Second).Unix())), now, errLifetime},
		{"lifetime of a year", signed(h, with(c, "exp", now.AddDate(1, 0, 0).Unix())), now, errLifetime},
		{"exp not a number", signed(h, with(c, "exp", "soon")), now, jwt.ErrTokenMalformed},

		// Issuer and audience.
		{"wrong iss", mustIssue(t, otherIssuer, Claims{Subject: "acct_1"}, now), now, jwt.ErrTokenInvalidIssuer},
		{"wrong aud", mustIssue(t, otherAudience, Claims{Subject: "acct_1"}, now), now, jwt.ErrTokenInvalidAudience},
		{"aud as other string", signed(h, with(c, "aud", "another-api")), now, jwt.ErrTokenInvalidAudience},
		{"iss prefix", signed(h, with(c, "iss", testIssuer+".evil")), now, jwt.ErrTokenInvalidIssuer},

		// Header.
		{"typ JWT", signed(with(h, "typ", "JWT"), c), now, errWrongType},
		{"typ missing", signed(without(h, "typ"), c), now, errWrongType},
		{"typ empty", signed(with(h, "typ", ""), c), now, errWrongType},
		{"typ number", signed(with(h, "typ", 7), c), now, errWrongType},
		{"typ refresh", signed(with(h, "typ", "rt+jwt"), c), now, errWrongType},
		{"unknown kid", signed(goodHeader("k9"), c), now, errUnknownKey},
		{"kid missing", signed(without(h, "kid"), c), now, errNoKeyID},
		{"kid not a string", signed(with(h, "kid", 1), c), now, errNoKeyID},
		{"kid path traversal", signed(goodHeader("../../k1"), c), now, errUnknownKey},
		{"crit header", signed(with(h, "crit", []string{"exp"}), c), now, errCritical},

		// Required claims.
		{"sub missing", signed(h, without(c, "sub")), now, errMissingClaim},
		{"sub empty", signed(h, with(c, "sub", "")), now, errMissingClaim},
		{"sub not a string", signed(h, with(c, "sub", 42)), now, jwt.ErrTokenMalformed},
		{"exp missing", signed(h, without(c, "exp")), now, jwt.ErrTokenRequiredClaimMissing},
		{"jti missing", signed(h, without(c, "jti")), now, errMissingClaim},
		{"iat missing", signed(h, without(c, "iat")), now, errMissingClaim},
		{"nbf missing", signed(h, without(c, "nbf")), now, jwt.ErrTokenRequiredClaimMissing},
		{"iss missing", signed(h, without(c, "iss")), now, jwt.ErrTokenRequiredClaimMissing},
		{"aud missing", signed(h, without(c, "aud")), now, jwt.ErrTokenRequiredClaimMissing},
		{"role not a string", signed(h, with(c, "role", []string{"admin"})), now, jwt.ErrTokenMalformed},

		// Size and shape.
		{"oversize", valid + strings.Repeat("A", MaxTokenSize+1-len(valid)), now, errTooLarge},
		{"oversize valid JWS", signed(h, with(c, "pad", strings.Repeat("x", MaxTokenSize))), now, errTooLarge},
		{"huge", strings.Repeat("a.", 1<<20), now, errTooLarge},
		{"empty", "", now, errEmpty},
		{"garbage", "garbage", now, jwt.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], now, jwt.ErrTokenMalformed},
		{"four parts", valid + "." + parts[2], now, jwt.ErrTokenMalformed},
		{"five parts (JWE shape)", "a.b.c.d.e", now, jwt.ErrTokenMalformed},
		{"dots", "..", now, jwt.ErrTokenMalformed},
		{"bearer prefix", "Bearer " + valid, now, errBadChars},
		{"trailing newline", valid + "\n", now, errBadChars},
		{"leading space", " " + valid, now, errBadChars},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], now, errBadChars},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid + "-_"), now, errBadChars},
		{"newline inside", valid[:20] + "\n" + valid[20:], now, errBadChars},
		{"CRLF inside", valid[:20] + "\r\n" + valid[20:], now, errBadChars},
		{"tab", valid + "\t", now, errBadChars},
		{"header not JSON", b64([]byte("not json")) + "." + parts[1] + "." + parts[2], now, jwt.ErrTokenMalformed},
		{"header JSON array", b64([]byte(`["EdDSA"]`)) + "." + parts[1] + "." + parts[2], now, jwt.ErrTokenMalformed},
		{"header null", b64([]byte(`null`)) + "." + parts[1] + "." + parts[2], now, nil},
		{"claims not JSON", parts[0] + "." + b64([]byte("{")) + "." + parts[2], now, jwt.ErrTokenMalformed},
		{"refresh token", "ort_" + strings.Repeat("A", 43), now, jwt.ErrTokenMalformed},
		{"binary", "\x00\xff.\x01.\x02", now, errBadChars},
		{"unicode", "ü.ö.ä", now, errBadChars},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Verify(tc.tok, tc.now)
			if v != nil {
				t.Errorf("returned %+v alongside the error", v)
			}
			wantUnauthorized(t, err, invalidAccessMessage, tc.cause)
		})
	}

	// The message is the same whatever the cause; only Err differs.
	_, e1 := s.Verify("garbage", now)
	_, e2 := s.Verify(valid, now.Add(time.Hour))
	if ocean.ErrorMessage(e1) != ocean.ErrorMessage(e2) {
		t.Errorf("messages differ: %q vs %q", ocean.ErrorMessage(e1), ocean.ErrorMessage(e2))
	}

	// A zero or nil Signer verifies nothing.
	_, err = new(Signer).Verify(valid, now)
	wantUnauthorized(t, err, invalidAccessMessage, errNoSigner)
	var nilSigner *Signer
	_, err = nilSigner.Verify(valid, now)
	wantUnauthorized(t, err, invalidAccessMessage, errNoSigner)
}

// The allowlist is the first line of defence against key confusion; the
// key function is the second. Even if WithValidMethods were lost, an HMAC
// verification with the Ed25519 public key Verify hands out must fail.
func TestHMACCannotUseEd25519PublicKey(t *testing.T) {
	k := mustKey(t, "k1")
	pub := k.Private.Public().(ed25519.PublicKey)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x"})
	signed, err := tok.SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwt.Parse(signed, func(*jwt.Token) (any, error) { return pub, nil })
	if !errors.Is(err, jwt.ErrInvalidKeyType) {
		t.Errorf("HS256 verification with an ed25519.PublicKey: err = %v, want ErrInvalidKeyType", err)
	}
}

func TestRotation(t *testing.T) {
	k1 := mustKey(t, "k1")
	s := newTestSigner(t, k1)
	old := mustIssue(t, s, Claims{Subject: "acct_1"}, t0)

	k2 := mustKey(t, "k2")
	if err := s.Rotate(k2); err != nil {
		t.Fatal(err)
	}
	if got := s.Current(); got != "k2" {
		t.Errorf("Current = %q, want k2", got)
	}
	if got := s.KeyIDs(); !slices.Equal(got, []string{"k2", "k1"}) {
		t.Errorf("KeyIDs = %v, want [k2 k1]", got)
	}
	fresh := mustIssue(t, s, Claims{Subject: "acct_1"}, t0)
	if kid := decodePart(t, fresh, 0)["kid"]; kid != "k2" {
		t.Errorf("new token kid = %v, want k2", kid)
	}
	for name, tok := range map[string]string{"old": old, "fresh": fresh} {
		if _, err := s.Verify(tok, t0); err != nil {
			t.Errorf("%s token after Rotate: %v", name, err)
		}
	}
	if v, _ := s.Verify(old, t0); v == nil || v.KeyID != "k1" {
		t.Errorf("old token KeyID = %+v, want k1", v)
	}

	// The current key cannot go, nor can unknown ids or a reused id.
	if err := s.Retire("k2"); err == nil {
		t.Error("retired the current key")
	}
	if err := s.Retire("k7"); err == nil {
		t.Error("retired an unknown key")
	}
	if err := s.Rotate(mustKey(t, "k1")); err == nil {
		t.Error("rotated to a key with an id already in use")
	}
	if err := s.Rotate(Key{ID: "k3", Private: ed25519.PrivateKey{1, 2, 3}}); err == nil {
		t.Error("rotated to a malformed key")
	}
	if got := s.KeyIDs(); !slices.Equal(got, []string{"k2", "k1"}) {
		t.Errorf("failed operations changed the keys: %v", got)
	}

	if err := s.Retire("k1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Verify(old, t0)
	wantUnauthorized(t, err, invalidAccessMessage, errUnknownKey)
	if _, err := s.Verify(fresh, t0); err != nil {
		t.Errorf("fresh token after Retire(k1): %v", err)
	}
	if err := s.Retire("k1"); err == nil {
		t.Error("retired k1 twice")
	}

	// Copies of a Signer share its keys.
	cp := *s
	if err := cp.Rotate(mustKey(t, "k3")); err != nil {
		t.Fatal(err)
	}
	if s.Current() != "k3" {
		t.Errorf("rotation through a copy not seen: current %q", s.Current())
	}

	if err := new(Signer).Rotate(mustKey(t, "k1")); err == nil {
		t.Error("zero Signer rotated")
	}
	if err := new(Signer).Retire("k1"); err == nil {
		t.Error("zero Signer retired")
	}
}

func TestNextKeyID(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"k1"}, "k2"},
		{[]string{"k2", "k10", "k3"}, "k11"},
		{[]string{"main"}, "k1"},
		{[]string{"k", "kx", "k-1", "k7a"}, "k1"},
		{[]string{"k9999999999999999999999"}, "k1"}, // overflow: ignored
	} {
		var keys []Key
		for _, id := range tc.ids {
			keys = append(keys, mustKey(t, id))
		}
		s := newTestSigner(t, keys...)
		got := s.NextKeyID()
		if got != tc.want {
			t.Errorf("NextKeyID(%v) = %q, want %q", tc.ids, got, tc.want)
		}
		if err := s.Rotate(mustKey(t, got)); err != nil {
			t.Errorf("Rotate(%q): %v", got, err)
		}
	}
	if got := new(Signer).NextKeyID(); got != "k1" {
		t.Errorf("zero Signer NextKeyID = %q", got)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	k1, k2, k3 := mustKey(t, "k1"), mustKey(t, "k2"), mustKey(t, "old.key_3-x")
	s, err := NewSigner(testIssuer, testAudience, []Key{k1, k2, k3}, "k2")
	if err != nil {
		t.Fatal(err)
	}
	text := s.Marshal()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	wantLines := []string{
		"k2:" + base64.StdEncoding.EncodeToString(k2.Private.Seed()),
		"k1:" + base64.StdEncoding.EncodeToString(k1.Private.Seed()),
		"old.key_3-x:" + base64.StdEncoding.EncodeToString(k3.Private.Seed()),
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("Marshal =\n%s\nwant current first, then the others in order", text)
	}

	forms := map[string]string{
		"marshal": text,
		"commas":  strings.Join(wantLines, ","),
		"messy":   "\ufeff  " + strings.Join(wantLines, " ,\r\n\n ") + " \r\n",
		"url-safe unpadded": strings.Join([]string{
			"k2:" + base64.RawURLEncoding.EncodeToString(k2.Private.Seed()),
			"k1:" + base64.URLEncoding.EncodeToString(k1.Private.Seed()),
			"old.key_3-x:" + base64.RawStdEncoding.EncodeToString(k3.Private.Seed()),
		}, "\n"),
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			p, err := ParseSigner(testIssuer, testAudience, form)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.KeyIDs(); !slices.Equal(got, []string{"k2", "k1", "old.key_3-x"}) {
				t.Errorf("KeyIDs = %v", got)
			}
			if p.Marshal() != text {
				t.Error("Marshal of the parsed Signer differs")
			}
			// Each verifies what the other issues, with any of the keys.
			if _, err := p.Verify(mustIssue(t, s, Claims{Subject: "a"}, t0), t0); err != nil {
				t.Error(err)
			}
			if _, err := s.Verify(mustIssue(t, p, Claims{Subject: "a"}, t0), t0); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseSignerErrors(t *testing.T) {
	k := mustKey(t, "k1")
	seed := base64.StdEncoding.EncodeToString(k.Private.Seed())
	short := base64.StdEncoding.EncodeToString(k.Private.Seed()[:16])
	long := base64.StdEncoding.EncodeToString(k.Private) // 64 bytes
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"blank", " \n , \r\n"},
		{"no colon", seed},
		{"no id", ":" + seed},
		{"no key", "k1:"},
		{"seed first", seed + ":k1"},
		{"bad id", "k 1:" + seed},
		{"bad id slash", "k/1:" + seed},
		{"long id", strings.Repeat("k", 33) + ":" + seed},
		{"not base64", "k1:" + seed[:20] + "!!" + seed[22:]},
		{"16 bytes", "k1:" + short},
		{"64 bytes", "k1:" + long},
		{"all zero", "k1:" + zero},
		{"duplicate id", "k1:" + seed + ",k1:" + seed},
		{"second entry bad", "k1:" + seed + "\nk2:" + seed[:40]},
		{"hex seed", "k1:" + hex.EncodeToString(k.Private.Seed())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSigner(testIssuer, testAudience, tc.in)
			if err == nil {
				t.Fatalf("parsed into %v", s)
			}
			msg := err.Error()
			for _, secret := range []string{seed, seed[:12], seed[20:32], short[:12], long[:12], hex.EncodeToString(k.Private.Seed())[:12]} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q echoes key material", msg)
				}
			}
		})
	}
	if _, err := ParseSigner("", testAudience, "k1:"+seed); err == nil {
		t.Error("parsed with an empty issuer")
	}
	if _, err := ParseSigner(testIssuer, "", "k1:"+seed); err == nil {
		t.Error("parsed with an empty audience")
	}
}

func TestNewSignerErrors(t *testing.T) {
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	mismatched := append(ed25519.PrivateKey{}, k1.Private...)
	copy(mismatched[32:], k2.Private[32:]) // k1's seed, k2's public half
	for _, tc := range []struct {
		name             string
		issuer, audience string
		keys             []Key
		current          string
	}{
		{"no issuer", "", testAudience, []Key{k1}, "k1"},
		{"no audience", testIssuer, "", []Key{k1}, "k1"},
		{"no keys", testIssuer, testAudience, nil, ""},
		{"current unknown", testIssuer, testAudience, []Key{k1, k2}, "k3"},
		{"current empty", testIssuer, testAudience, []Key{k1}, ""},
		{"duplicate ids", testIssuer, testAudience, []Key{k1, {ID: "k1", Private: k2.Private}}, "k1"},
		{"bad id", testIssuer, testAudience, []Key{{ID: "k:1", Private: k1.Private}}, "k:1"},
		{"empty id", testIssuer, testAudience, []Key{{Private: k1.Private}}, ""},
		{"nil key", testIssuer, testAudience, []Key{{ID: "k1"}}, "k1"},
		{"short key", testIssuer, testAudience, []Key{{ID: "k1", Private: k1.Private[:32]}}, "k1"},
		{"mismatched public half", testIssuer, testAudience, []Key{{ID: "k1", Private: mismatched}}, "k1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := NewSigner(tc.issuer, tc.audience, tc.keys, tc.current); err == nil {
				t.Errorf("built %v", s)
			}
		})
	}
	if _, err := GenerateKey("bad id"); err == nil {
		t.Error("GenerateKey accepted an invalid id")
	}
	if _, err := GenerateKey(""); err == nil {
		t.Error("GenerateKey accepted an empty id")
	}

	// NewSigner copies the keys: changing the caller's slice later
	// changes nothing.
	k := mustKey(t, "k1")
	s := newTestSigner(t, k)
	before := s.Marshal()
	tok := mustIssue(t, s, Claims{Subject: "a"}, t0)
	clear(k.Private)
	if s.Marshal() != before {
		t.Error("Signer changed with the caller's key bytes")
	}
	if _, err := s.Verify(tok, t0); err != nil {
		t.Error(err)
	}
}

func TestFormattingHidesKeyMaterial(t *testing.T) {
	k1, k2 := mustKey(t, "k1"), mustKey(t, "k2")
	s, err := NewSigner(testIssuer, testAudience, []Key{k1, k2}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, k := range []Key{k1, k2} {
		seed := k.Private.Seed()
		secrets = append(secrets,
			base64.StdEncoding.EncodeToString(seed)[:16],
			base64.RawURLEncoding.EncodeToString(seed)[:16],
			base64.StdEncoding.EncodeToString(k.Private)[:16],
			hex.EncodeToString(seed)[:16],
			strings.ToUpper(hex.EncodeToString(seed)[:16]),
			strings.Trim(fmt.Sprint(seed[:6]), "[]"),                                             //nolint:staticcheck // %v of bytes: "12 34 56 …" is the leak looked for
			strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", seed[:4]), "[]byte{"), "}"), // "0xc, 0x22, …"
			string(seed[:8]),
		)
	}

	type holder struct {
		Exported Key
		signer   Signer
		ptr      *Signer
	}
	values := []any{s, *s, k1, &k1, []Key{k1, k2}, map[string]Key{"a": k1}, holder{Exported: k1, signer: *s, ptr: s}}
	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	fmt.Fprintf(&out, "%v %+v %#v\n", s, s, s)
	fmt.Fprintln(&out, s, k1)
	out.WriteString(s.String() + k1.String() + k1.GoString() + s.GoString())
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		slog.New(h).Info("keys", "signer", s, "signerValue", *s, "key", k1, "keyPtr", &k1)
	}
	out.Write(logs.Bytes())
	j, err := json.Marshal(map[string]any{"key": k1, "keys": []Key{k2}, "signer": s})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(j)

	got := out.String()
	for _, secret := range secrets {
		if strings.Contains(got, secret) {
			t.Fatalf("output contains key material %q:\n%s", secret, got)
		}
	}
	for _, want := range []string{"k1", "k2", testIssuer, redacted} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; a redacted description should still say which keys", want)
		}
	}
	// An unexported Signer field is printed by reflection, without its
	// methods; it holds its keys behind a pointer, which prints as an
	// address (covered by the holder value above).
	if want := fmt.Sprintf("%v", s); want != fmt.Sprintf("token.Signer{Issuer: %q, Audience: %q, Keys: [\"k1\" \"k2\"]}", testIssuer, testAudience) {
		t.Errorf("String = %s", want)
	}
	if !json.Valid(j) {
		t.Errorf("JSON of a Key is not valid: %s", j)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "signing.keys")
	s1, err := LoadOrCreate(testIssuer, testAudience, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s1.KeyIDs(); !slices.Equal(got, []string{"k1"}) {
		t.Errorf("new file has keys %v, want [k1]", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode = %04o, want 0600", perm)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := di.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("created directory mode = %04o, want private", perm)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != s1.Marshal() {
		t.Errorf("file holds %d bytes that are not Marshal()", len(raw))
	}

	// Second start: the same key, so tokens survive a restart.
	s2, err := LoadOrCreate(testIssuer, testAudience, path)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Marshal() != s1.Marshal() {
		t.Error("second LoadOrCreate made a new key")
	}
	if _, err := s2.Verify(mustIssue(t, s1, Claims{Subject: "a"}, t0), t0); err != nil {
		t.Error(err)
	}
	assertNoTempFiles(t, dir)

	// Rotate, save, reload.
	if err := s2.Rotate(mustKey(t, s2.NextKeyID())); err != nil {
		t.Fatal(err)
	}
	if err := s2.Save(path); err != nil {
		t.Fatal(err)
	}
	s3, err := Load(testIssuer, testAudience, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s3.KeyIDs(); !slices.Equal(got, []string{"k2", "k1"}) {
		t.Errorf("after Save: keys %v, want [k2 k1]", got)
	}
	if s3.Marshal() != s2.Marshal() {
		t.Error("Save/Load lost key material")
	}
	assertNoTempFiles(t, dir)
	if err := new(Signer).Save(path); err == nil {
		t.Error("zero Signer saved over the key file")
	}
	if s, _ := Load(testIssuer, testAudience, path); s == nil || s.Marshal() != s2.Marshal() {
		t.Error("a failed Save changed the key file")
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestLoadOrCreateRefusesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	k := mustKey(t, "k1")
	content := "k1:" + base64.StdEncoding.EncodeToString(k.Private.Seed()) + "\n"
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o666, 0o620, 0o602} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "signing.keys")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil { // beyond the umask
				t.Fatal(err)
			}
			s, err := LoadOrCreate(testIssuer, testAudience, path)
			if err == nil {
				t.Fatalf("loaded a key file of mode %04o: %v", mode, s)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("error %q does not say how to fix it", err)
			}
			if strings.Contains(err.Error(), content[3:20]) {
				t.Errorf("error %q echoes key material", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Error("LoadOrCreate changed a file it refused")
			}
		})
	}
	// Owner-only modes are fine, read-only included.
	for _, mode := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(t.TempDir(), "signing.keys")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		s, err := LoadOrCreate(testIssuer, testAudience, path)
		if err != nil {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		if s.Marshal() != content {
			t.Errorf("mode %04o: loaded different keys", mode)
		}
	}
	// Save replaces a loose file with a private one.
	path := filepath.Join(t.TempDir(), "signing.keys")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := newTestSigner(t).Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after Save: %v, %v; want mode 0600", fi.Mode(), err)
	}
}

func TestLoadOrCreateBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":     "",
		"junk":      "this is not a key file\n",
		"truncated": "k1:" + base64.StdEncoding.EncodeToString(mustKey(t, "x").Private.Seed())[:30] + "\n",
		"too large": strings.Repeat("\n", maxKeyFileSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreate(testIssuer, testAudience, path); err == nil {
				t.Fatal("loaded a bad key file")
			} else if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Error("LoadOrCreate overwrote a bad key file instead of stopping")
			}
		})
	}
	if _, err := LoadOrCreate(testIssuer, testAudience, dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory as key file: %v", err)
	}
	if _, err := LoadOrCreate("", testAudience, filepath.Join(dir, "new.keys")); err == nil {
		t.Error("created a Signer without an issuer")
	}
	if _, err := Load(testIssuer, testAudience, filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.keys")
	const n = 16
	results := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := LoadOrCreate(testIssuer, testAudience, path)
			errs[i] = err
			if err == nil {
				results[i] = s.Marshal()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if results[i] != results[0] {
			t.Fatal("processes starting together ended up with different keys")
		}
	}
	assertNoTempFiles(t, filepath.Dir(path))
}

func TestConcurrentUse(t *testing.T) {
	s := newTestSigner(t, mustKey(t, "k1"), mustKey(t, "spare"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				tok, err := s.Issue(Claims{Subject: "acct_1"}, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Verify(tok, t0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := s.Rotate(mustKey(t, s.NextKeyID())); err != nil {
				t.Error(err)
			}
			_ = s.Marshal()
			_ = s.String()
		}
		if err := s.Retire("spare"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if got := len(s.KeyIDs()); got != 21 {
		t.Errorf("%d keys after 20 rotations and one retirement, want 21", got)
	}
}

func TestRefresh(t *testing.T) {
	seen := map[string]bool{}
	hashes := map[string]bool{}
	for range 1000 {
		tok, hash, err := NewRefresh()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "ort_") || len(tok) != RefreshLen || RefreshLen != 47 {
			t.Fatalf("token %q: want ort_ and 43 characters", tok)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(tok[4:])
		if err != nil || len(raw) != 32 {
			t.Fatalf("token body is not 256 bits of base64url: %v", err)
		}
		if err := ParseRefresh(tok); err != nil {
			t.Fatalf("ParseRefresh(NewRefresh()) = %v", err)
		}
		sum := sha256.Sum256([]byte(tok))
		if !bytes.Equal(hash, sum[:]) || !bytes.Equal(HashRefresh(tok), hash) || !bytes.Equal(HashRefresh(tok), HashRefresh(tok)) {
			t.Fatal("hash is not the stable SHA-256 of the token")
		}
		if seen[tok] || hashes[string(hash)] {
			t.Fatal("refresh token repeated")
		}
		seen[tok], hashes[string(hash)] = true, true
	}
	// Known answer, so a change of hashing scheme (which would orphan every
	// stored token) cannot slip through.
	const known = "ort_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if got := hex.EncodeToString(HashRefresh(known)); got != "8157080bd062cfefe5ba404bb1dc36d07f445cc3de89062d37bfec3bc249d35d" {
		t.Errorf("HashRefresh(%q) = %s; changing the scheme orphans every stored token", known, got)
	}
}

func TestParseRefreshRejects(t *testing.T) {
	tok, _, err := NewRefresh()
	if err != nil {
		t.Fatal(err)
	}
	body := tok[4:]
	// The last of 43 characters carries 4 bits and 2 zero padding bits;
	// 'B' (000001) sets a padding bit, so it is a non-canonical spelling.
	nonCanonical := tok[:len(tok)-1] + "B"
	access := mustIssue(t, newTestSigner(t), Claims{Subject: "a"}, t0)
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"prefix only", "ort_"},
		{"no prefix", body},
		{"other prefix", "ghp_" + body},
		{"upper-case prefix", "ORT_" + body},
		{"short", tok[:len(tok)-1]},
		{"long", tok + "A"},
		{"standard alphabet +", tok[:10] + "+" + tok[11:]},
		{"standard alphabet /", tok[:10] + "/" + tok[11:]},
		{"padding", tok[:len(tok)-1] + "="},
		{"space", tok[:10] + " " + tok[11:]},
		{"newline", tok[:10] + "\n" + tok[11:]},
		{"carriage return", tok[:len(tok)-1] + "\r"},
		{"NUL", tok[:10] + "\x00" + tok[11:]},
		{"dot", tok[:10] + "." + tok[11:]},
		{"non-ASCII", tok[:10] + "é" + tok[12:]},
		{"surrounding space", " " + tok[:len(tok)-1]},
		{"non-canonical last character", nonCanonical},
		{"access token", access},
		{"SQL", "ort_' OR 1=1 --" + strings.Repeat("A", 28)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantUnauthorized(t, ParseRefresh(tc.in), invalidRefreshMessage, errRefreshInvalid)
		})
	}
}

// fuzzSigner verifies in the fuzz targets. The seeds are made with other
// keys (one of them under the same kid), so no mutation of a seed can come
// back to a token this key signed.
var fuzzSigner = sync.OnceValue(func() *Signer {
	k, err := GenerateKey("k1")
	if err != nil {
		panic(err)
	}
	s, err := NewSigner(testIssuer, testAudience, []Key{k}, "k1")
	if err != nil {
		panic(err)
	}
	return s
})

func FuzzVerify(f *testing.F) {
	other := newTestSigner(f, mustKey(f, "k1"))
	valid := mustIssue(f, other, Claims{Subject: "acct_1", Role: "admin"}, t0)
	parts := strings.Split(valid, ".")
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(goodClaims(t0)))
	hs.Header["typ"], hs.Header["kid"] = "at+jwt", "k1"
	hsTok, err := hs.SignedString([]byte(fuzzSigner().snapshot()[0].pub))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		valid,
		parts[0] + "." + parts[1] + ".",
		forge(f, with(goodHeader("k1"), "alg", "none"), goodClaims(t0), nil),
		hsTok,
		forge(f, with(goodHeader("k1"), "crit", []string{"b64"}), goodClaims(t0), edSign(mustKey(f, "k1"))),
		"", ".", "..", "a.b.c", "e30.e30.", "e30.e30.e30", "eyJhbGciOiJFZERTQSJ9.e30.AAAA",
		"ort_" + strings.Repeat("A", 43),
		strings.Repeat("A", MaxTokenSize+1),
	} {
		f.Add(seed)
	}
	s := fuzzSigner()
	f.Fuzz(func(t *testing.T, tok string) {
		v, err := s.Verify(tok, t0)
		if err == nil {
			t.Fatalf("verified a token the key never signed: %q -> %+v", tok, v)
		}
		if v != nil {
			t.Fatal("result alongside an error")
		}
		if ocean.ErrorCode(err) != ocean.EUNAUTHORIZED || ocean.ErrorMessage(err) != invalidAccessMessage {
			t.Fatalf("error %v: want the generic EUNAUTHORIZED", err)
		}
	})
}

// FuzzVerifySigned signs arbitrary header and claims JSON with the right
// key and checks that whatever Verify accepts obeys the rules, judged
// independently of the jwt package.
func FuzzVerifySigned(f *testing.F) {
	s := fuzzSigner()
	key := s.snapshot()[0]
	now := t0
	h, _ := json.Marshal(goodHeader("k1"))
	c, _ := json.Marshal(goodClaims(now))
	f.Add(string(h), string(c))
	f.Add(`{"alg":"EdDSA","typ":"application/at+jwt","kid":"k1"}`, string(c))
	f.Add(string(h), `{"iss":"https://shop.example","aud":"ocean-api","sub":"x","iat":1740830400,"nbf":1740830400,"exp":1740831300,"jti":"j"}`)
	f.Add(string(h), `{"iss":"https://shop.example","aud":["x","ocean-api"],"sub":"x","iat":1740830400.5,"nbf":"1740830400","exp":1740831299.999,"jti":"j","SUB":"y"}`)
	f.Add(`{"alg":"none","typ":"at+jwt","kid":"k1"}`, string(c))
	f.Add(`{"alg":"EdDSA","typ":"JWT","kid":"k1","crit":["exp"]}`, `{}`)
	f.Add(`null`, `null`)
	// On the edges of the time rules, where a one-digit change crosses them.
	for _, edge := range []map[string]any{
		with(goodClaims(now), "exp", now.Add(MaxTTL).Unix()),
		with(goodClaims(now), "nbf", now.Add(Leeway).Unix(), "iat", now.Add(Leeway).Unix(), "exp", now.Add(Leeway+MaxTTL).Unix()),
		with(goodClaims(now), "iat", now.Add(-MaxTTL+Leeway).Unix(), "nbf", now.Add(-MaxTTL+Leeway).Unix(), "exp", now.Add(-Leeway+time.Second).Unix()),
	} {
		e, _ := json.Marshal(edge)
		f.Add(string(h), string(e))
	}
	f.Fuzz(func(t *testing.T, header, claims string) {
		input := b64([]byte(header)) + "." + b64([]byte(claims))
		tok := input + "." + b64(ed25519.Sign(key.priv, []byte(input)))
		v, err := s.Verify(tok, now)
		if err != nil {
			if ocean.ErrorCode(err) != ocean.EUNAUTHORIZED || ocean.ErrorMessage(err) != invalidAccessMessage {
				t.Fatalf("error %v: want the generic EUNAUTHORIZED", err)
			}
			return
		}
		if why := breaksRules(tok, header, claims, now); why != "" {
			t.Fatalf("accepted a token that %s\nheader %s\nclaims %s\n=> %+v", why, header, claims, v)
		}
	})
}

// breaksRules says which rule of the package documentation an EdDSA-signed
// token breaks, or "" if none.
func breaksRules(tok, header, claims string, now time.Time) string {
	if len(tok) > MaxTokenSize {
		return "is too long"
	}
	var hm map[string]any
	if json.Unmarshal([]byte(header), &hm) != nil {
		return "has a header that is not a JSON object"
	}
	if hm["alg"] != "EdDSA" {
		return "is not alg EdDSA"
	}
	if hm["typ"] != "at+jwt" && hm["typ"] != "application/at+jwt" {
		return "has the wrong typ"
	}
	if hm["kid"] != "k1" {
		return "has an unknown kid"
	}
	if _, ok := hm["crit"]; ok {
		return "has crit"
	}
	// Field names match case-insensitively, as in encoding/json struct
	// decoding; only our key signs, so that is no attack surface.
	var cm struct {
		Iss, Sub, Jti string
		Aud           any
		Iat, Nbf, Exp *json.Number
		Role          string
	}
	if json.Unmarshal([]byte(claims), &cm) != nil {
		return "has malformed claims"
	}
	if cm.Iss != testIssuer {
		return "has the wrong iss"
	}
	audOK := cm.Aud == testAudience
	if list, ok := cm.Aud.([]any); ok {
		audOK = slices.Contains(list, any(testAudience))
	}
	if !audOK {
		return "has the wrong aud"
	}
	if cm.Sub == "" || cm.Jti == "" {
		return "lacks sub or jti"
	}
	if cm.Iat == nil || cm.Nbf == nil || cm.Exp == nil {
		return "lacks iat, nbf or exp"
	}
	iat, e1 := cm.Iat.Float64()
	nbf, e2 := cm.Nbf.Float64()
	exp, e3 := cm.Exp.Float64()
	if e1 != nil || e2 != nil || e3 != nil {
		return "has non-numeric times"
	}
	// Judged with a millisecond of slack for float rounding at the edges.
	n, lee, slack := float64(now.Unix()), Leeway.Seconds(), 0.001
	switch {
	case n >= exp+lee+slack:
		return "has expired"
	case nbf > n+lee+slack:
		return "is not valid yet"
	case iat > n+lee+slack:
		return "was issued in the future"
	case exp-iat > MaxTTL.Seconds()+slack:
		return "lives longer than MaxTTL"
	}
	return ""
}

func FuzzParseRefresh(f *testing.F) {
	tok, _, err := NewRefresh()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{tok, tok[:len(tok)-1] + "B", "ort_", "", "ghp_" + tok[4:], tok + "\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ParseRefresh(s)
		// Independent statement of the shape.
		want := len(s) == 47 && strings.HasPrefix(s, "ort_")
		if want {
			raw, derr := base64.RawURLEncoding.Strict().DecodeString(s[4:])
			want = derr == nil && len(raw) == 32 && base64.RawURLEncoding.EncodeToString(raw) == s[4:]
		}
		if want != (err == nil) {
			t.Fatalf("ParseRefresh(%q) = %v, want valid=%v", s, err, want)
		}
		if err != nil && (ocean.ErrorCode(err) != ocean.EUNAUTHORIZED || ocean.ErrorMessage(err) != invalidRefreshMessage) {
			t.Fatalf("error %v: want the generic EUNAUTHORIZED", err)
		}
		_ = HashRefresh(s)
	})
}

func BenchmarkIssue(b *testing.B) {
	s := newTestSigner(b)
	c := Claims{Subject: "acct_0123456789", Role: "customer"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(c, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newTestSigner(b)
	tok := mustIssue(b, s, Claims{Subject: "acct_0123456789", Role: "customer"}, t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	s := newTestSigner(b)
	tok := mustIssue(b, s, Claims{Subject: "acct_0123456789", Role: "customer"}, t0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Verify(tok, t0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerifyRejectGarbage(b *testing.B) {
	s := newTestSigner(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify("eyJhbGciOiJub25lIn0.e30.", t0); err == nil {
			b.Fatal("verified garbage")
		}
	}
}

func BenchmarkNewRefresh(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := NewRefresh(); err != nil {
			b.Fatal(err)
		}
	}
}
