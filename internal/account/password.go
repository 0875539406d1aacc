// Package account holds the rules for customer and staff accounts.
//
// The password primitives, on which the sign-up, sign-in and
// change-password flows are built:
//
//   - CheckPassword is the password policy (NIST SP 800-63B style): 8 to 128
//     characters, counted as Unicode code points, and not one of the most
//     common passwords. There are deliberately no composition rules ("one
//     digit, one symbol"): length and a block list do more for security and
//     less harm to usability. Call it when a password is chosen (sign-up,
//     change, reset), never at sign-in, so that existing users can always
//     sign in even after the policy tightens.
//
//   - HashPassword turns an accepted password into an argon2id hash in the
//     PHC string format, e.g.
//     $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, which is what the store
//     keeps. The parameters (19 MiB, 2 passes, 1 lane) are the OWASP
//     Password Storage Cheat Sheet baseline for argon2id.
//
//   - VerifyPassword checks a sign-in attempt against a stored hash in
//     constant time. It reads the parameters from the stored string, so they
//     can be raised later without breaking old hashes; when it reports
//     needsRehash, the caller should store HashPassword(pw) in place of the
//     old hash while it still has the plaintext at hand.
//
//   - DummyHash closes the timing side channel that would tell an attacker
//     whether an email address has an account. When no user has the email,
//     verify the submitted password against DummyHash anyway and then fail
//     exactly as for a wrong password.
//
// Sign-in, in outline:
//
//	u, err := users.ByEmail(ctx, email)
//	if ocean.ErrorCode(err) == ocean.ENOTFOUND {
//		account.VerifyPassword(account.DummyHash, pw) // same cost as a real check
//		return ocean.Errorf(ocean.EUNAUTHORIZED, "Wrong email or password.")
//	} else if err != nil {
//		return err
//	}
//	ok, rehash, err := account.VerifyPassword(u.PasswordHash, pw)
//	if err != nil {
//		return err // a corrupt stored hash is our fault (EINTERNAL)
//	}
//	if !ok {
//		return ocean.Errorf(ocean.EUNAUTHORIZED, "Wrong email or password.")
//	}
//	if rehash {
//		// best effort: store account.HashPassword(pw) for u
//	}
//
// Each hash or verification takes tens of milliseconds of CPU and 19 MiB of
// memory; at most GOMAXPROCS of them run at once (more would not finish
// sooner, only use more memory), the rest wait their turn. Sign-in must still
// be rate limited by the caller.
package account

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
	"golang.org/x/crypto/argon2"
)

// Password length limits, in characters (Unicode code points).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the embedded block list as a set of lower-case
// passwords, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 2048)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = struct{}{}
	}
	return m
})

// isCommonPassword reports whether pw is on the block list, ignoring case.
func isCommonPassword(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}

// CheckPassword reports whether pw may be chosen as a new password. It
// returns nil or an EINVALID *ocean.Error whose message, and whose single
// FieldError for the field "password", says what to change.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return passwordInvalid(fmt.Sprintf("Password is too short: use at least %d characters.", MinPasswordLen))
	case n > MaxPasswordLen:
		return passwordInvalid(fmt.Sprintf("Password is too long: use at most %d characters.", MaxPasswordLen))
	case isCommonPassword(pw):
		return passwordInvalid("This is one of the most common passwords and easy to guess: choose another one.")
	}
	return nil
}

func passwordInvalid(msg string) *ocean.Error {
	return ocean.Invalid(msg, ocean.FieldError{Field: "password", Message: msg})
}

// hashParams are argon2id cost parameters and sizes.
type hashParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8  // lanes
	saltLen int    // bytes
	keyLen  int    // bytes
}

// currentParams are what HashPassword uses. Raising them makes
// VerifyPassword report needsRehash for older hashes; update DummyHash in
// the same change (a test insists).
var currentParams = hashParams{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Bounds on what VerifyPassword accepts from a stored hash, so a crafted or
// corrupted hash cannot make one verification take minutes or gigabytes.
const (
	maxMemory     = 1 << 20 // KiB, 1 GiB
	maxTime       = 10
	maxThreads    = 16
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
	maxEncodedLen = 256
)

// weakerThan reports whether p costs an attacker less than q in any
// dimension, or uses a shorter salt or key.
func (p hashParams) weakerThan(q hashParams) bool {
	return p.memory < q.memory || p.time < q.time || p.threads < q.threads ||
		p.saltLen < q.saltLen || p.keyLen < q.keyLen
}

// ErrMalformedHash is returned (wrapped, with the reason) by VerifyPassword
// for a stored hash it cannot use: not argon2id, not in the PHC format, or
// with parameters outside the accepted bounds.
var ErrMalformedHash = errors.New("account: malformed password hash")

// DummyHash is a valid argon2id hash, with the current parameters, of a
// random password nobody knows. Verify against it when there is no real hash
// to verify against (unknown email), so that the answer takes as long as for
// a known email; VerifyPassword(DummyHash, pw) always reports false.
const DummyHash = "$argon2id$v=19$m=19456,t=2,p=1$S/3C3G4eDwDVqECslprDbA$pzljICe9Lvx35SYUYXagGJxFhYpaISSPj8bQ9ZGGByA"

// HashPassword returns the argon2id hash of pw in the PHC string format,
// with a fresh random salt. It does not apply the policy: call CheckPassword
// first when the user chooses the password.
func HashPassword(pw string) (string, error) {
	return hashWith(pw, currentParams)
}

func hashWith(pw string, p hashParams) (string, error) {
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("account: read random salt: %w", err)
	}
	return encodeHash(p, salt, derive(pw, salt, p)), nil
}

// VerifyPassword reports whether pw matches the stored hash encoded. The
// comparison takes constant time. needsRehash is true when pw matched but
// the stored hash uses weaker parameters than HashPassword does now; store
// HashPassword(pw) then. err is non-nil (wrapping ErrMalformedHash) only
// when encoded is not a usable argon2id hash; a wrong password is ok=false
// with a nil error.
func VerifyPassword(encoded, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	return check(derive(pw, salt, p), want, p)
}

// verifyAdmitted is VerifyPassword for a sign-in: it waits for a hash
// slot only within admitHash's bounds, and returns ErrBusy beyond them.
func verifyAdmitted(ctx context.Context, encoded, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	release, err := admitHash(ctx)
	if err != nil {
		return false, false, err
	}
	got := idKey(pw, salt, p)
	release()
	return check(got, want, p)
}

func check(got, want []byte, p hashParams) (ok bool, needsRehash bool, err error) {
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p.weakerThan(currentParams), nil
}

// hashSlots bounds the number of argon2id computations running at once.
var hashSlots = sync.OnceValue(func() chan struct{} {
	return make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
})

// Sign-ins beyond the hash slots wait in a short queue: at most
// hashQueuePerSlot callers a slot, each at most hashQueueWait. Beyond
// that a sign-in is refused at once with ErrBusy (503 with Retry-After)
// instead of piling up until every request times out: a crowd signing in
// costs a few sign-ins a retry, not the shop for everyone browsing
// (docs/performance.md).
const (
	hashQueuePerSlot = 4
	hashQueueWait    = 2 * time.Second
	busyRetryAfter   = time.Second
)

var hashWaiting atomic.Int64

// ErrBusy is the code-EUNAVAILABLE error of a sign-in refused because too
// many are being checked at once; RetryAfter reports how long to wait.
var ErrBusy error = &ocean.Error{Code: ocean.EUNAVAILABLE,
	Message: "Too many people are signing in right now. Please try again in a second.",
	Err:     &Throttled{RetryAfter: busyRetryAfter}}

// admitHash takes a hash slot for a sign-in: at once if one is free, else
// after a bounded wait in a bounded queue; ErrBusy when neither bound
// holds, the context's error when it ends first. release gives the slot
// back.
func admitHash(ctx context.Context) (release func(), err error) {
	slots := hashSlots()
	release = func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, nil
	default:
	}
	if hashWaiting.Add(1) > int64(hashQueuePerSlot*cap(slots)) {
		hashWaiting.Add(-1)
		return nil, ErrBusy
	}
	defer hashWaiting.Add(-1)
	t := time.NewTimer(hashQueueWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func derive(pw string, salt []byte, p hashParams) []byte {
	slots := hashSlots()
	slots <- struct{}{}
	defer func() { <-slots }()
	return idKey(pw, salt, p)
}

func idKey(pw string, salt []byte, p hashParams) []byte {
	return argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen)) //nolint:gosec // keyLen is 32, or a stored hash's length that parseHash bounds to maxKeyLen
}

var b64 = base64.RawStdEncoding.Strict()

func encodeHash(p hashParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeHash parses a PHC argon2id string strictly: exactly
// $argon2id$v=19$m=M,t=T,p=P$salt$hash, decimal numbers without sign or
// leading zeros, unpadded canonical standard base64, every value within
// bounds. Whatever it accepts, encodeHash turns back into the same string.
func decodeHash(s string) (p hashParams, salt, key []byte, err error) {
	bad := func(format string, args ...any) (hashParams, []byte, []byte, error) {
		return hashParams{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	if len(s) > maxEncodedLen {
		return bad("longer than %d bytes", maxEncodedLen)
	}
	// base64 decoding skips \r and \n even in strict mode.
	if strings.ContainsAny(s, "\r\n") {
		return bad("contains a line break")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version")
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("want parameters m=…,t=…,p=…")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return bad("want parameters m=…,t=…,p=… in that order")
		}
		if len(digits) > 1 && digits[0] == '0' {
			return bad("parameter %s has a leading zero", name)
		}
		v, perr := strconv.ParseUint(digits, 10, 32)
		if perr != nil {
			return bad("parameter %s is not a number", name)
		}
		vals[i] = v
	}
	m, t, threads := vals[0], vals[1], vals[2]
	switch {
	case threads < 1 || threads > maxThreads:
		return bad("parallelism p=%d outside 1..%d", threads, maxThreads)
	case t < 1 || t > maxTime:
		return bad("iterations t=%d outside 1..%d", t, maxTime)
	case m < 8*threads || m > maxMemory:
		return bad("memory m=%d outside %d..%d KiB", m, 8*threads, maxMemory)
	}
	salt, err = b64.DecodeString(parts[4])
	if err != nil {
		return bad("salt is not unpadded base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("salt is %d bytes, want %d..%d", len(salt), minSaltLen, maxSaltLen)
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil {
		return bad("hash is not unpadded base64")
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("hash is %d bytes, want %d..%d", len(key), minKeyLen, maxKeyLen)
	}
	p = hashParams{memory: uint32(m), time: uint32(t), threads: uint8(threads), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}
