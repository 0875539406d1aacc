package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newTestKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyMaterial returns every rendering of every key in k that could leak:
// the base64 of Marshal, the hex, and the raw bytes.
func keyMaterial(k *Keyring) []string {
	var out []string
	for _, id := range k.IDs() {
		raw := k.keys[id].raw
		out = append(out,
			base64.StdEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw),
			base64.StdEncoding.EncodeToString(raw)[:16],
			hex.EncodeToString(raw),
			hex.EncodeToString(raw)[:16],
			string(raw),
			fmt.Sprint(raw),     //nolint:staticcheck // the %v form of the bytes ("[12 34 …]") is the leak looked for
			fmt.Sprint(raw[:8]), //nolint:staticcheck // as above
		)
	}
	return out
}

func assertNoKeyMaterial(t *testing.T, k *Keyring, what, s string) {
	t.Helper()
	for _, m := range keyMaterial(k) {
		if strings.Contains(s, m) {
			t.Errorf("%s leaks key material: %q", what, s)
			return
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	k := newTestKeyring(t)
	aad := []byte("users.phone:0195f7e4")
	for _, pt := range [][]byte{
		[]byte("+49 30 1234567"),
		[]byte("Hauptstraße 1\n10115 Berlin\nDeutschland"),
		{},
		nil,
		bytes.Repeat([]byte{0, 0xff}, 4096),
	} {
		tok, err := k.Encrypt(pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "v1.k1.") {
			t.Errorf("token %q does not start with v1.k1.", tok)
		}
		if bytes.Contains([]byte(tok), pt) && len(pt) > 0 {
			t.Errorf("token %q contains the plaintext", tok)
		}
		got, err := k.Decrypt(tok, aad)
		if err != nil {
			t.Fatalf("Decrypt: %v", err)
		}
		if !bytes.Equal(got, pt) || got == nil {
			t.Errorf("round trip of %q gave %q", pt, got)
		}
	}
}

func TestEncryptStringRoundTrip(t *testing.T) {
	k := newTestKeyring(t)
	for _, s := range []string{"", "+1 555 0100", "1 Infinite Loop, Cupertino"} {
		tok, err := k.EncryptString(s, "addresses.line1:7")
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.DecryptString(tok, "addresses.line1:7")
		if err != nil || got != s {
			t.Errorf("DecryptString = %q, %v; want %q", got, err, s)
		}
		// Empty plaintext is still a full authenticated token: 12-byte
		// nonce and 16-byte tag.
		if s == "" && len(tok) != len("v1.k1.")+base64.RawURLEncoding.EncodedLen(28) {
			t.Errorf("empty plaintext token %q has unexpected length", tok)
		}
	}
}

func TestEncryptUsesFreshNonce(t *testing.T) {
	k := newTestKeyring(t)
	seen := map[string]bool{}
	nonces := map[string]bool{}
	for range 100 {
		tok, err := k.EncryptString("same value", "same aad")
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated: the nonce is not random", tok)
		}
		seen[tok] = true
		_, sealed, err := parseToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		nonces[string(sealed[:12])] = true
	}
	if len(nonces) != 100 {
		t.Errorf("%d distinct nonces in 100 encryptions", len(nonces))
	}
}

func TestDecryptDetectsTampering(t *testing.T) {
	k := newTestKeyring(t)
	aad := []byte("users.phone:42")
	tok, err := k.Encrypt([]byte("+44 20 7946 0958"), aad)
	if err != nil {
		t.Fatal(err)
	}
	_, sealed, err := parseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	// Every bit of every byte of nonce, ciphertext and tag is authenticated.
	for i := range sealed {
		for bit := range 8 {
			b := bytes.Clone(sealed)
			b[i] ^= 1 << bit
			bad := "v1.k1." + base64.RawURLEncoding.EncodeToString(b)
			if pt, err := k.Decrypt(bad, aad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("flipped bit %d of byte %d: Decrypt = %q, %v; want ErrDecrypt", bit, i, pt, err)
			}
		}
	}
	// Every character of the token text, changed to another valid
	// base64url character (or, in the header, anything else), fails too.
	for i := range len(tok) {
		c := byte('A')
		if tok[i] == 'A' {
			c = 'B'
		}
		bad := tok[:i] + string(c) + tok[i+1:]
		if _, err := k.Decrypt(bad, aad); err == nil {
			t.Errorf("changed character %d: %q decrypted", i, bad)
		}
	}
	// Truncated and extended tokens fail.
	for _, bad := range []string{tok[:len(tok)-1], tok + "A", tok + "AAAA", "v1.k1." + base64.RawURLEncoding.EncodeToString(sealed[:27])} {
		if _, err := k.Decrypt(bad, aad); err == nil {
			t.Errorf("%q decrypted", bad)
		}
	}
}

func TestDecryptWrongAADFails(t *testing.T) {
	k := newTestKeyring(t)
	tok, err := k.EncryptString("+33 1 23 45 67 89", "users.phone:42")
	if err != nil {
		t.Fatal(err)
	}
	for _, aad := range []string{"users.phone:43", "users.phone:4", "users.address:42", "", "users.phone:42 "} {
		if _, err := k.DecryptString(tok, aad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("aad %q: err = %v, want ErrDecrypt", aad, err)
		}
	}
}

func TestDecryptUnknownKeyFails(t *testing.T) {
	a, b := newTestKeyring(t), newTestKeyring(t)
	tok, err := a.EncryptString("secret", "t.c:1")
	if err != nil {
		t.Fatal(err)
	}
	// Same id, different key material: authentication fails.
	if _, err := b.DecryptString(tok, "t.c:1"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other keyring's k1: err = %v, want ErrDecrypt", err)
	}
	// An id the keyring does not hold.
	other := "v1.k9." + strings.SplitN(tok, ".", 3)[2]
	_, err = a.DecryptString(other, "t.c:1")
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"k9"`) {
		t.Errorf("unknown id: err = %v, want ErrUnknownKey naming k9", err)
	}
}

func TestDecryptMalformed(t *testing.T) {
	k := newTestKeyring(t)
	good, err := k.EncryptString("x", "")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.SplitN(good, ".", 3)[2]
	for _, tok := range []string{
		"", ".", "..", "v1", "v1.", "v1.k1", "v1.k1.", "v2.k1." + body, "V1.k1." + body,
		"v1.K1." + body, "v1..", "v1.." + body, "v1.k-1." + body, "v1.abcdefghijklmnopq." + body,
		"v1.k1." + body + "=", "v1.k1." + body + "==", "v1.k1.!" + body, "v1.k1." + body[:10] + "+" + body[11:], "v1.k1." + body[:10] + "/" + body[11:],
		"v1.k1.AAAA", "+49 30 1234567", "v1.k1." + body + ".extra", "v1.k1." + body[:10] + "\n" + body[10:], good + "\r\n",
	} {
		_, err := k.DecryptString(tok, "")
		if err == nil {
			t.Errorf("Decrypt(%q) succeeded", tok)
			continue
		}
		if !errors.Is(err, ErrMalformedToken) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt(%q) = %v, not one of the documented errors", tok, err)
		}
		if !k.NeedsReencrypt(tok) {
			t.Errorf("NeedsReencrypt(%q) = false for a malformed token", tok)
		}
	}
}

func TestRotate(t *testing.T) {
	k := newTestKeyring(t)
	aad := []byte("users.phone:1")
	old, err := k.Encrypt([]byte("old number"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if k.NeedsReencrypt(old) {
		t.Error("NeedsReencrypt = true under the primary key")
	}
	id, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id != "k2" || k.Primary() != "k2" || !slices.Equal(k.IDs(), []string{"k2", "k1"}) {
		t.Fatalf("after Rotate: id %q, primary %q, ids %v", id, k.Primary(), k.IDs())
	}
	newTok, err := k.Encrypt([]byte("new number"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(newTok, "v1.k2.") {
		t.Errorf("new token %q is not under k2", newTok)
	}
	if pt, err := k.Decrypt(old, aad); err != nil || string(pt) != "old number" {
		t.Errorf("old token after rotation: %q, %v", pt, err)
	}
	if !k.NeedsReencrypt(old) || k.NeedsReencrypt(newTok) {
		t.Errorf("NeedsReencrypt(old) = %v, (new) = %v; want true, false", k.NeedsReencrypt(old), k.NeedsReencrypt(newTok))
	}

	re, err := k.Reencrypt(old, aad)
	if err != nil {
		t.Fatal(err)
	}
	if k.NeedsReencrypt(re) {
		t.Error("re-encrypted token still needs re-encryption")
	}
	if pt, err := k.Decrypt(re, aad); err != nil || string(pt) != "old number" {
		t.Errorf("re-encrypted token: %q, %v", pt, err)
	}
	if _, err := k.Reencrypt(old, []byte("users.phone:2")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Reencrypt with the wrong aad: %v", err)
	}

	// Retire k1: the re-encrypted value survives, the old token does not.
	if err := k.Remove("k2"); err == nil {
		t.Error("removed the primary key")
	}
	if err := k.Remove("k7"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Remove(unknown) = %v", err)
	}
	if err := k.Remove("k1"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(k.IDs(), []string{"k2"}) {
		t.Errorf("ids after Remove = %v", k.IDs())
	}
	if _, err := k.Decrypt(old, aad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token under a removed key: %v", err)
	}
	if _, err := k.Decrypt(re, aad); err != nil {
		t.Errorf("re-encrypted token after Remove: %v", err)
	}

	// Numbering continues from the highest kN, whatever the order.
	id, err = k.Rotate()
	if err != nil || id != "k3" {
		t.Errorf("third Rotate = %q, %v; want k3", id, err)
	}
}

func TestRotateNumbering(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tt := range []struct{ ids, want string }{
		{"prod", "k1"},
		{"k1,k9,k3", "k10"},
		{"kx,k2,primary", "k3"},
		{"k999999999999999", ""}, // k1000000000000000 is 17 characters
	} {
		var entries []string
		for _, id := range strings.Split(tt.ids, ",") {
			entries = append(entries, id+":"+key)
		}
		k, err := ParseKeyring(strings.Join(entries, ","))
		if err != nil {
			t.Fatal(err)
		}
		id, err := k.Rotate()
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: Rotate = %q, want an error", tt.ids, id)
			}
			continue
		}
		if err != nil || id != tt.want || k.Primary() != tt.want {
			t.Errorf("%s: Rotate = %q, %v; want %q", tt.ids, id, err, tt.want)
		}
	}
}

func TestZeroKeyring(t *testing.T) {
	var k Keyring
	if _, err := k.EncryptString("x", "y"); err == nil {
		t.Error("empty keyring encrypted")
	}
	if k.Primary() != "" || k.Marshal() != "" || !k.NeedsReencrypt("v1.k1.AAAA") {
		t.Error("zero keyring is not empty")
	}
	if id, err := k.Rotate(); err != nil || id != "k1" {
		t.Fatalf("Rotate on zero keyring = %q, %v", id, err)
	}
	tok, err := k.EncryptString("x", "y")
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k.DecryptString(tok, "y"); pt != "x" || err != nil {
		t.Errorf("round trip = %q, %v", pt, err)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	k := newTestKeyring(t)
	tok, err := k.EncryptString("v", "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	s := k.Marshal()
	if parts := strings.Split(s, ","); len(parts) != 2 || !strings.HasPrefix(parts[0], "k2:") || !strings.HasPrefix(parts[1], "k1:") {
		t.Fatalf("Marshal = %d entries, want k2 then k1", len(parts))
	}
	back, err := ParseKeyring(s)
	if err != nil {
		t.Fatal(err)
	}
	if back.Marshal() != s || back.Primary() != "k2" {
		t.Error("ParseKeyring(Marshal()) differs")
	}
	if pt, err := back.DecryptString(tok, "a"); err != nil || pt != "v" {
		t.Errorf("parsed keyring cannot decrypt: %q, %v", pt, err)
	}
}

func TestParseKeyringAcceptsVariants(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 11)[:32] // has + and / in std base64
	for _, enc := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
	} {
		for _, s := range []string{"k1:" + enc, " k1 : " + enc + " \n", "k1:" + enc + ",\n  old:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))} {
			k, err := ParseKeyring(s)
			if err != nil {
				t.Errorf("ParseKeyring: %v", err)
				continue
			}
			if !bytes.Equal(k.keys["k1"].raw, raw) || k.Primary() != "k1" {
				t.Errorf("%q parsed to a different key", s)
			}
		}
	}
}

func TestParseKeyringErrors(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i*37 + 11)
	}
	good := base64.StdEncoding.EncodeToString(raw)
	short := base64.StdEncoding.EncodeToString(raw[:31])
	long := base64.StdEncoding.EncodeToString(append(bytes.Clone(raw), 1))
	tests := []struct {
		name, in, want string
		leak           []string // must not appear in the error
	}{
		{"empty", "", "no keys", nil},
		{"blank", "  \n", "no keys", nil},
		{"no id", good, "want id:base64key", []string{good, good[:12]}},
		{"bad base64", "k1:" + good[:20] + "!@#$" + good[24:], "not valid base64", []string{good[:20], good[24:]}},
		{"base64 with inner space", "k1:" + good[:20] + " " + good[20:], "not valid base64", []string{good[:20], good[20:]}},
		{"31 bytes", "k1:" + short, "31 bytes, want 32", []string{short[:20]}},
		{"33 bytes", "k1:" + long, "33 bytes, want 32", []string{long[:20]}},
		{"all zero", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "all zero", nil},
		{"duplicate id", "k1:" + good + ",k1:" + good, `"k1" appears more than once`, []string{good[:12]}},
		{"empty entry", "k2:" + good + ",,k1:" + good, "entry 2 of 3 is empty", []string{good[:12]}},
		{"trailing comma", "k1:" + good + ",", "entry 2 of 2 is empty", []string{good[:12]}},
		{"upper-case id", "K1:" + good, "key id must be", []string{good[:12], "K1"}},
		{"id too long", "abcdefghijklmnopq:" + good, "key id must be", []string{good[:12], "abcdefghijklmnopq"}},
		{"empty id", ":" + good, "key id must be", []string{good[:12]}},
		{"key as id", good + ":" + good, "key id must be", []string{good[:12]}},
		{"id with dot", "k.1:" + good, "key id must be", []string{good[:12]}},
		{"second entry bad", "k2:" + good + ",k1:" + short, `key "k1": 31 bytes`, []string{good[:12], short[:12]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeyring(tt.in)
			if err == nil {
				t.Fatalf("ParseKeyring succeeded: %v", k)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, l := range tt.leak {
				if strings.Contains(err.Error(), l) {
					t.Errorf("error %q echoes input %q", err, l)
				}
			}
		})
	}
}

func TestFormattingHidesKeys(t *testing.T) {
	k := newTestKeyring(t)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	const want = "secret.Keyring{primary: k2, keys: 2}"
	if k.String() != want {
		t.Errorf("String() = %q, want %q", k.String(), want)
	}
	type holder struct {
		Keys *Keyring
		Name string
	}
	outputs := map[string]string{
		"%v %+v %#v":           fmt.Sprintf("%v %+v %#v", k, k, k),
		"%s %q %x %X %d":       fmt.Sprintf("%s %q %x %X %d", k, k, k, k, k),
		"struct %v %+v %#v":    fmt.Sprintf("%v %+v %#v", holder{k, "n"}, holder{k, "n"}, &holder{k, "n"}),
		"slice and map":        fmt.Sprint([]*Keyring{k}, map[string]*Keyring{"k": k}),
		"Println":              fmt.Sprintln(k),
		"error wrapping %v":    fmt.Errorf("config: %v", k).Error(),
		"GoString":             k.GoString(),
		"nil keyring":          fmt.Sprintf("%v %+v %#v", (*Keyring)(nil), (*Keyring)(nil), (*Keyring)(nil)),
		"json.Marshal":         mustJSON(t, holder{k, "n"}),
		"slog text and json":   logBoth(k),
		"value-copy of struct": fmt.Sprintf("%v %+v", k.keys, k.keys["k1"]),
	}
	for what, out := range outputs {
		assertNoKeyMaterial(t, k, what, out)
		if what != "json.Marshal" && what != "nil keyring" && what != "value-copy of struct" && !strings.Contains(out, "k2") {
			t.Errorf("%s: %q does not name the primary key", what, out)
		}
	}
	// Marshal, and only Marshal, carries the keys.
	if !strings.Contains(k.Marshal(), keyMaterial(k)[0]) {
		t.Error("Marshal does not contain the key")
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logBoth(k *Keyring) string {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("loaded", "keys", k)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("loaded", "keys", k)
	return buf.String()
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, path, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, FileName) || k.Primary() != "k1" || len(k.IDs()) != 1 {
		t.Fatalf("LoadOrCreate = %v, %q", k, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != k.Marshal()+"\n" {
		t.Error("key file does not hold the returned keyring")
	}
	tok, err := k.EncryptString("+1 555 0100", "users.phone:1")
	if err != nil {
		t.Fatal(err)
	}

	again, path2, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path2 != path || again.Marshal() != k.Marshal() {
		t.Fatal("second LoadOrCreate did not reuse the key file")
	}
	if pt, err := again.DecryptString(tok, "users.phone:1"); err != nil || pt != "+1 555 0100" {
		t.Errorf("reloaded keyring cannot decrypt: %q, %v", pt, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// Processes starting together on an empty data dir must agree on one key.
func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			k, _, err := LoadOrCreate(dir)
			errs[i] = err
			if err == nil {
				got[i] = k.Marshal()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("LoadOrCreate %d returned a different keyring than 0", i)
		}
	}
	onDisk, err := Load(filepath.Join(dir, FileName))
	if err != nil || onDisk.Marshal() != got[0] {
		t.Fatalf("file differs from what the callers use: %v", err)
	}
}

func TestLoadRefusesReadableKeyFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dir := t.TempDir()
	k, path, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o606, 0o610} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(dir)
		if err == nil {
			t.Fatalf("mode %04o accepted", mode)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: error %q does not explain the mode and the fix", mode, err)
		}
		assertNoKeyMaterial(t, k, "permission error", err.Error())
	}
	// The owner-only modes are fine, and the refused file was left alone.
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		again, _, err := LoadOrCreate(dir)
		if err != nil || again.Marshal() != k.Marshal() {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	secretKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 31))
	bad := filepath.Join(dir, "bad.keys")
	if err := os.WriteFile(bad, []byte("k1:"+secretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "31 bytes") {
		t.Errorf("bad key file: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), secretKey[:12]) {
		t.Errorf("error echoes the key: %v", err)
	}
	huge := filepath.Join(dir, "huge.keys")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("a"), maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(huge); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge key file: %v", err)
	}
	// A key file nobody can write into place: an unwritable directory.
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreate(ro); err == nil {
			t.Error("LoadOrCreate in a read-only directory succeeded")
		}
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	k, path, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("saved mode = %04o, want 0600", fi.Mode().Perm())
	}
	back, _, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Marshal() != k.Marshal() || back.Primary() != "k2" {
		t.Error("saved keyring did not load back")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want only %s", len(entries), FileName)
	}
	// Saving into a missing directory fails and leaves nothing behind.
	if err := k.Save(filepath.Join(dir, "nope", FileName)); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

func TestConcurrentUseDuringRotation(t *testing.T) {
	k := newTestKeyring(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				aad := fmt.Sprintf("t.c:%d:%d", w, i)
				tok, err := k.EncryptString("value", aad)
				if err != nil {
					t.Error(err)
					return
				}
				if pt, err := k.DecryptString(tok, aad); err != nil || pt != "value" {
					t.Errorf("round trip: %q, %v", pt, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := k.Rotate(); err != nil {
				t.Error(err)
			}
			_ = k.Marshal()
			_ = k.String()
		}
	})
	wg.Wait()
	if k.Primary() != "k21" {
		t.Errorf("primary = %q after 20 rotations", k.Primary())
	}
}

// Tokens made once under the fuzz keyring's fixed keys. They are constants,
// not made in the fuzz setup, because fuzzing runs that setup again in each
// worker process and a random nonce would differ there.
var fuzzValid = []struct{ token, aad, plaintext string }{
	{"v1.k2.rajnscze2N5J2aM0ktNby6n_80v4T66hIzJ7JVQYKLD-Fz0cJwXd", "users.phone:1", "+1 555 0100"},
	{"v1.k2.i4x7Dd3hwFzx7Ei7Gx5IR6LTGQvpIjgePQNoYQ", "", ""},
	{"v1.k1.OKGV6Kzlr_pDqU23LsjwGHZlHdGsK8WeKsHBZME2HzBMeAY_EMoV4VZ6BqCP1mNKOndj", "addresses.line1:7", "12 Rue de Rivoli, Paris"},
}

func FuzzDecrypt(f *testing.F) {
	k, err := ParseKeyring("k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)) +
		",k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range fuzzValid {
		if pt, err := k.DecryptString(v.token, v.aad); err != nil || pt != v.plaintext {
			f.Fatalf("fixed token %q: %q, %v", v.token, pt, err)
		}
		f.Add(v.token, v.aad)
	}
	for _, s := range []string{"", ".", "v1..", "v1.k1.", "v1.k9.AAAA", "v1.k1." + strings.Repeat("A", 38), "v2.k1.x", "v1.k1.====", "v1." + strings.Repeat("a", 17) + ".AA"} {
		f.Add(s, "users.phone:1")
	}
	f.Fuzz(func(t *testing.T, token, aad string) {
		pt, err := k.DecryptString(token, aad)
		needs := k.NeedsReencrypt(token)
		if err != nil {
			if pt != "" {
				t.Fatalf("error %v with plaintext %q", err, pt)
			}
			if !errors.Is(err, ErrMalformedToken) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		// Anything that decrypts was made with our keys: one of the fixed
		// tokens, with its own aad.
		for _, v := range fuzzValid {
			if token == v.token && aad == v.aad && pt == v.plaintext {
				if needs != !strings.HasPrefix(token, "v1.k2.") {
					t.Fatalf("NeedsReencrypt(%q) = %v", token, needs)
				}
				return
			}
		}
		t.Fatalf("forged token %q (aad %q) decrypted to %q", token, aad, pt)
	})
}

func FuzzParseKeyring(f *testing.F) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	for _, s := range []string{"", "k1:" + good, "k2:" + good + ",k1:" + good, ":", ",", "k1:", "k1:=", "a:b,c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyring(s)
		if err != nil {
			return
		}
		back, err := ParseKeyring(k.Marshal())
		if err != nil || back.Marshal() != k.Marshal() || back.Primary() != k.Primary() {
			t.Fatalf("Marshal of %q does not parse back: %v", s, err)
		}
		if _, err := k.EncryptString("x", "y"); err != nil {
			t.Fatal(err)
		}
	})
}

func ExampleKeyring() {
	keys, err := ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{42}, 32)))
	if err != nil {
		panic(err)
	}
	// Bind the value to its row and column.
	tok, _ := keys.EncryptString("+49 30 1234567", "users.phone:0195f7e4")
	fmt.Println(strings.HasPrefix(tok, "v1.k1."))
	phone, _ := keys.DecryptString(tok, "users.phone:0195f7e4")
	fmt.Println(phone)
	_, err = keys.DecryptString(tok, "users.phone:someone-else")
	fmt.Println(err)
	fmt.Println(keys)
	// Output:
	// true
	// +49 30 1234567
	// secret: cannot decrypt: token altered, wrong associated data or wrong key
	// secret.Keyring{primary: k1, keys: 1}
}
