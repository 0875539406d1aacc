package account

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// cheapParams keep tests that only exercise the plumbing fast.
var cheapParams = hashParams{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the current parameters", h)
	}
	// $argon2id$v=19$m=19456,t=2,p=1$ + 22 chars of salt + $ + 43 chars of hash.
	if got, want := len(h), len("$argon2id$v=19$m=19456,t=2,p=1$")+22+1+43; got != want {
		t.Errorf("len(hash) = %d, want %d (16-byte salt, 32-byte key)", got, want)
	}
	ok, rehash, err := VerifyPassword(h, pw)
	if err != nil || !ok || rehash {
		t.Fatalf("VerifyPassword(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	again, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == h {
		t.Error("two hashes of the same password are equal: the salt is not random")
	}
}

func TestVerifyPasswordRejectsWrongPassword(t *testing.T) {
	const pw = "Tr0ub4dor&3-extended"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"", "tr0ub4dor&3-extended", pw + " ", pw[:len(pw)-1], "something else entirely"} {
		ok, rehash, err := VerifyPassword(h, wrong)
		if err != nil || ok || rehash {
			t.Errorf("VerifyPassword(h, %q) = %v, %v, %v; want false, false, nil", wrong, ok, rehash, err)
		}
	}
}

func TestVerifyPasswordEmptyAndUnicodePasswords(t *testing.T) {
	for _, pw := range []string{"", "pässwörd-ünïcödé", "密码密码密码密码", "emoji 🔑🔑🔑🔑"} {
		h, err := hashWith(pw, cheapParams)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := VerifyPassword(h, pw); !ok || err != nil {
			t.Errorf("%q: VerifyPassword = %v, %v", pw, ok, err)
		}
	}
}

// A hash made by the reference implementation (phc-winner-argon2) must
// verify: stored hashes are a format other tools read and write.
func TestVerifyPasswordReferenceVector(t *testing.T) {
	const ref = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, rehash, err := VerifyPassword(ref, "password")
	if err != nil || !ok {
		t.Fatalf("reference hash: ok=%v err=%v", ok, err)
	}
	// The 8-byte salt ("somesalt") is shorter than ours: rehash.
	if !rehash {
		t.Error("needsRehash = false for an 8-byte salt, want true")
	}
	if ok, _, _ := VerifyPassword(ref, "Password"); ok {
		t.Error("reference hash accepted the wrong password")
	}
}

func TestVerifyPasswordNeedsRehash(t *testing.T) {
	const pw = "a perfectly fine passphrase"
	cur := currentParams
	tests := []struct {
		name string
		p    hashParams
		want bool
	}{
		{"current", cur, false},
		{"fewer passes t=1", hashParams{cur.memory, 1, cur.threads, cur.saltLen, cur.keyLen}, true},
		{"less memory", hashParams{cur.memory / 2, cur.time, cur.threads, cur.saltLen, cur.keyLen}, true},
		{"shorter salt", hashParams{cur.memory, cur.time, cur.threads, 8, cur.keyLen}, true},
		{"shorter key", hashParams{cur.memory, cur.time, cur.threads, cur.saltLen, 16}, true},
		{"more passes t=3", hashParams{cur.memory, 3, cur.threads, cur.saltLen, cur.keyLen}, false},
		{"more memory", hashParams{cur.memory * 2, cur.time, cur.threads, cur.saltLen, cur.keyLen}, false},
		{"more lanes", hashParams{cur.memory, cur.time, 2, cur.saltLen, cur.keyLen}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hashWith(pw, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := VerifyPassword(h, pw)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(%s) = %v, %v", h, ok, err)
			}
			if rehash != tt.want {
				t.Errorf("needsRehash = %v, want %v for %s", rehash, tt.want, h)
			}
			// A wrong password never asks for a rehash: there is no
			// plaintext worth storing.
			if ok, rehash, _ := VerifyPassword(h, "wrong"); ok || rehash {
				t.Errorf("wrong password: ok=%v needsRehash=%v", ok, rehash)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	const salt = "c29tZXNhbHRzb21lc2FsdA"                     // 16 bytes
	const key = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc" // 32 bytes
	ok := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"missing hash", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"trailing dollar", ok("m=19456,t=2,p=1") + "$"},
		{"no leading dollar", strings.TrimPrefix(ok("m=19456,t=2,p=1"), "$")},
		{"parameters reordered", ok("t=2,m=19456,p=1")},
		{"extra parameter", ok("m=19456,t=2,p=1,keyid=abc")},
		{"missing parameter", ok("m=19456,t=2")},
		{"memory zero", ok("m=0,t=2,p=1")},
		{"memory over 1 GiB", ok("m=1048577,t=2,p=1")},
		{"memory below 8 per lane", ok("m=15,t=1,p=2")},
		{"memory overflows uint32", ok("m=4294967296,t=2,p=1")},
		{"memory negative", ok("m=-1,t=2,p=1")},
		{"memory with plus sign", ok("m=+19456,t=2,p=1")},
		{"memory with leading zero", ok("m=019456,t=2,p=1")},
		{"memory hex", ok("m=0x4c00,t=2,p=1")},
		{"memory empty", ok("m=,t=2,p=1")},
		{"time zero", ok("m=19456,t=0,p=1")},
		{"time 11", ok("m=19456,t=11,p=1")},
		{"threads zero", ok("m=19456,t=2,p=0")},
		{"threads 17", ok("m=19456,t=2,p=17")},
		{"threads 257 wraps uint8", ok("m=19456,t=2,p=257")},
		{"salt not base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!!!!!!!!!$" + key},
		{"salt padded", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"salt too short", "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$" + key},
		{"salt too long", "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("A", 88) + "$" + key},
		{"hash too short", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$c29tZXNhbHQ"},
		{"hash too long", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("A", 88)},
		{"hash non-canonical base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:len(key)-1] + "d"},
		{"hash with space", ok("m=19456,t=2,p=1") + " "},
		{"hash with line break", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:20] + "\r\n" + key[20:]},
		{"trailing newline", ok("m=19456,t=2,p=1") + "\n"},
		{"very long", ok("m=19456,t=2,p=1") + strings.Repeat("A", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(tt.hash, "password")
			if err == nil || ok || rehash {
				t.Fatalf("VerifyPassword(%q) = %v, %v, %v; want an error", tt.hash, ok, rehash, err)
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("error %v does not wrap ErrMalformedHash", err)
			}
			if ocean.ErrorCode(err) != ocean.EINTERNAL {
				t.Errorf("ErrorCode = %q, want %q: a broken stored hash is our fault", ocean.ErrorCode(err), ocean.EINTERNAL)
			}
		})
	}
}

// The bounds are inclusive; values on them parse (and re-encode to the same
// string). Only parsing is tested: a 1 GiB verification would be slow.
func TestDecodeHashAcceptsBoundaryValues(t *testing.T) {
	salt8, salt64 := b64.EncodeToString(make([]byte, 8)), b64.EncodeToString(make([]byte, 64))
	key16, key64 := b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 64))
	for _, s := range []string{
		"$argon2id$v=19$m=8,t=1,p=1$" + salt8 + "$" + key16,
		"$argon2id$v=19$m=128,t=1,p=16$" + salt8 + "$" + key16,
		"$argon2id$v=19$m=1048576,t=10,p=16$" + salt64 + "$" + key64,
		DummyHash,
	} {
		p, salt, key, err := decodeHash(s)
		if err != nil {
			t.Errorf("decodeHash(%q): %v", s, err)
			continue
		}
		if got := encodeHash(p, salt, key); got != s {
			t.Errorf("re-encoded %q as %q", s, got)
		}
	}
}

// DummyHash must cost what a current hash costs, or it would not hide
// whether an email is known. This fails when currentParams change without a
// new DummyHash.
func TestDummyHashMatchesCurrentParams(t *testing.T) {
	p, _, _, err := decodeHash(DummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if p != currentParams {
		t.Fatalf("DummyHash params = %+v, current = %+v: regenerate DummyHash with HashPassword", p, currentParams)
	}
	for _, pw := range []string{"", "password", "12345678", DummyHash} {
		ok, rehash, err := VerifyPassword(DummyHash, pw)
		if ok || rehash || err != nil {
			t.Errorf("VerifyPassword(DummyHash, %q) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
}

// Many simultaneous verifications all finish (the concurrency limit must not
// deadlock) and each gets its own answer.
func TestVerifyPasswordConcurrent(t *testing.T) {
	h, err := hashWith("concurrent secret", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	n := 4*runtime.GOMAXPROCS(0) + 3
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			pw := "concurrent secret"
			if i%2 == 1 {
				pw = fmt.Sprint("wrong ", i)
			}
			ok, _, err := VerifyPassword(h, pw)
			if err != nil || ok != (i%2 == 0) {
				errs <- fmt.Sprintf("goroutine %d: ok=%v err=%v", i, ok, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw string
		wantMsg  string // substring of the message; "" means accepted
	}{
		{"empty", "", "at least 8"},
		{"7 ASCII", "abcdefg", "at least 8"},
		{"7 runes in 14 bytes", "äöüßéèê", "at least 8"},
		{"8 multibyte runes", "äöüßéèêë", ""},
		{"8 CJK runes", "秘密の合言葉です", ""},
		{"8 ASCII", "zq7!xv2m", ""},
		{"passphrase with spaces", "correct horse battery staple", ""},
		{"128 runes", strings.Repeat("ab", 64), ""},
		{"128 multibyte runes", strings.Repeat("é", 128), ""},
		{"129 runes", strings.Repeat("a", 129), "at most 128"},
		{"129 multibyte runes", strings.Repeat("é", 129), "at most 128"},
		{"common", "iloveyou", "common"},
		{"common, different case", "ILoveYou", "common"},
		{"common with capital", "Password1", "common"},
		{"common digits", "12345678", "common"},
		{"common keyboard walk", "qwertyuiop", "common"},
		{"common plus a character", "iloveyou!x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckPassword(%q) = nil, want an error about %q", tt.pw, tt.wantMsg)
			}
			if code := ocean.ErrorCode(err); code != ocean.EINVALID {
				t.Errorf("code = %q, want %q", code, ocean.EINVALID)
			}
			msg := ocean.ErrorMessage(err)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not mention %q", msg, tt.wantMsg)
			}
			fields := ocean.ErrorFields(err)
			if len(fields) != 1 || fields[0].Field != "password" || !strings.Contains(fields[0].Message, tt.wantMsg) {
				t.Errorf("fields = %+v, want one for \"password\" mentioning %q", fields, tt.wantMsg)
			}
			if strings.Contains(msg, tt.pw) && tt.pw != "" {
				t.Errorf("message %q repeats the password", msg)
			}
		})
	}
}

// The embedded list is what the policy promises: lower case (the lookup
// lower-cases the input), long enough to matter, no blanks or duplicates.
func TestCommonPasswordList(t *testing.T) {
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsFile))
	seen := map[string]int{}
	line, header := 0, false
	for sc.Scan() {
		line++
		w := sc.Text()
		if strings.HasPrefix(w, "#") {
			header = true
			continue
		}
		switch {
		case w == "":
			t.Errorf("line %d is blank", line)
		case strings.IndexFunc(w, unicode.IsSpace) >= 0:
			t.Errorf("line %d %q contains white space", line, w)
		case w != strings.ToLower(w):
			t.Errorf("line %d %q is not lower case", line, w)
		case utf8.RuneCountInString(w) < MinPasswordLen:
			t.Errorf("line %d %q is shorter than %d: length alone rejects it", line, w, MinPasswordLen)
		case seen[w] != 0:
			t.Errorf("line %d %q repeats line %d", line, w, seen[w])
		}
		seen[w] = line
	}
	if !header {
		t.Error("the list has no # header naming its source")
	}
	if n := len(commonPasswords()); n < 1000 || n != len(seen) {
		t.Errorf("loaded %d passwords from %d lines, want ≥ 1000 and all of them", n, len(seen))
	}
	for w := range seen {
		if !isCommonPassword(w) || !isCommonPassword(strings.ToUpper(w)) {
			t.Errorf("%q is in the file but not blocked", w)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	const pw = "fuzzing password"
	cheap, err := hashWith(pw, cheapParams)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		cheap, DummyHash, "", "$", "$$$$$", "$argon2id$v=19$m=64,t=1,p=1$$",
		"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, derr := decodeHash(encoded)
		if derr == nil {
			// Whatever parses is canonical.
			if got := encodeHash(p, salt, key); got != encoded {
				t.Fatalf("decodeHash accepted %q, which re-encodes as %q", encoded, got)
			}
			// Verifying costs memory×time; skip the expensive ones so the
			// fuzzer keeps its pace (parsing them above is the risky part).
			if uint64(p.memory)*uint64(p.time) > 4096 {
				return
			}
		}
		ok, rehash, err := VerifyPassword(encoded, pw)
		if (err == nil) != (derr == nil) {
			t.Fatalf("VerifyPassword err = %v, decodeHash err = %v", err, derr)
		}
		if err != nil && (ok || rehash) {
			t.Fatalf("error %v with ok=%v needsRehash=%v", err, ok, rehash)
		}
		if !ok && rehash {
			t.Fatal("needsRehash without a match")
		}
	})
}

// BenchmarkHashPassword reports what one sign-up or password change costs
// with the production parameters (and, near enough, one sign-in).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("argon2id m=%d KiB t=%d p=%d: %v per hash (GOMAXPROCS=%d)",
		currentParams.memory, currentParams.time, currentParams.threads,
		b.Elapsed()/time.Duration(b.N), runtime.GOMAXPROCS(0))
}

func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := VerifyPassword(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func ExampleCheckPassword() {
	for _, pw := range []string{"short", "iloveyou", "correct horse battery staple"} {
		if err := CheckPassword(pw); err != nil {
			fmt.Printf("%q: %s\n", pw, ocean.ErrorMessage(err))
		} else {
			fmt.Printf("%q: accepted\n", pw)
		}
	}
	// Output:
	// "short": Password is too short: use at least 8 characters.
	// "iloveyou": This is one of the most common passwords and easy to guess: choose another one.
	// "correct horse battery staple": accepted
}

// A sign-in that finds every hash slot taken and the queue full is refused
// at once (503 with Retry-After), not left to time out; one with room in
// the queue waits for a slot; one whose request ends while waiting stops.
func TestSignInHashAdmission(t *testing.T) {
	slots := hashSlots()
	for range cap(slots) {
		slots <- struct{}{}
	}
	freed := 0
	defer func() {
		for ; freed < cap(slots); freed++ {
			<-slots
		}
	}()
	// Hashed without a slot (the test holds them all), cheaply.
	salt := make([]byte, cheapParams.saltLen)
	hash := encodeHash(cheapParams, salt, idKey("correct horse battery", salt, cheapParams))

	hashWaiting.Add(int64(hashQueuePerSlot * cap(slots)))
	_, _, err := verifyAdmitted(context.Background(), hash, "correct horse battery")
	hashWaiting.Add(-int64(hashQueuePerSlot * cap(slots)))
	if !errors.Is(err, ErrBusy) || ocean.ErrorCode(err) != ocean.EUNAVAILABLE || RetryAfter(err) != time.Second {
		t.Fatalf("full queue: err %v (code %q, retry after %v), want ErrBusy", err, ocean.ErrorCode(err), RetryAfter(err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := verifyAdmitted(ctx, hash, "correct horse battery"); done <- err }()
	waitFor(t, func() bool { return hashWaiting.Load() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("request gone while queued: %v", err)
	}

	type result struct {
		ok  bool
		err error
	}
	res := make(chan result, 1)
	go func() {
		ok, _, err := verifyAdmitted(context.Background(), hash, "correct horse battery")
		res <- result{ok, err}
	}()
	waitFor(t, func() bool { return hashWaiting.Load() == 1 })
	<-slots // a sign-in ahead finishes
	freed++
	if r := <-res; r.err != nil || !r.ok {
		t.Fatalf("queued sign-in: ok %v, err %v", r.ok, r.err)
	}
	if n := hashWaiting.Load(); n != 0 {
		t.Fatalf("%d still counted as waiting", n)
	}
}

// waitFor yields until cond holds (another goroutine gets there).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}
