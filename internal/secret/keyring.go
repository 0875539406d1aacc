// Package secret encrypts sensitive personal fields at rest: phone numbers,
// postal addresses and anything else a stolen database dump must not reveal.
// Card data never gets here; it never reaches our database at all.
//
// A Keyring holds AES-256 keys by id; one of them, the primary, encrypts.
// Encrypt seals a value with AES-256-GCM under the primary key and returns a
// printable token,
//
//	v1.<key id>.<base64url(nonce || ciphertext || tag)>
//
// which goes into a TEXT column. Decrypt picks the key by the id in the
// token, so values written under older keys stay readable after a rotation.
//
// # Associated data
//
// Every call takes associated data (aad) that is authenticated but not
// stored: pass the table, column and row the value belongs to, e.g.
// "users.phone:" + user.PublicID. A token copied into another row or column
// then fails to decrypt instead of showing one customer's address on
// another's account. Use an identifier known before the INSERT (a public id
// or UUID generated in Go, not an auto-increment key), and never change it
// for the life of the row. Decryption needs the same aad.
//
// # Keys
//
// The keys come from OCEAN_ENCRYPTION_KEY (parsed by ParseKeyring) or, when
// that is unset, from the file "encryption.keys" in the data directory
// (LoadOrCreate creates it with one fresh key on first start). Both use the
// same format: comma-separated id:base64key entries, primary first:
//
//	k2:<32 random bytes, base64>,k1:<32 random bytes, base64>
//
// Generate a key with `openssl rand -base64 32`. Losing the keys loses the
// data they encrypt: back the file up, separately from database backups.
//
// # Rotation
//
// Rotate adds a fresh primary key; old keys stay for decryption.
// NeedsReencrypt tells which stored tokens are not under the primary key, and
// Reencrypt rewrites one; once none are left, Remove retires the old key.
// With several instances sharing a database, every instance must know a key
// before any of them encrypts with it: deploy the new key as a secondary
// (listed after the primary) first, then swap the order.
//
// One key must not encrypt more than about 2^32 values (random 96-bit
// nonces); rotate long before that.
//
// # Printing
//
// Marshal is the only method that reveals key material. String, GoString,
// Format (all fmt verbs) and LogValue print only the key ids, so a Keyring
// logged by mistake leaks nothing; errors never contain key material either.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/oceanshop/ocean/internal/keyfile"
)

// KeySize is the size of every key in bytes (AES-256).
const KeySize = 32

// FileName is the name of the key file LoadOrCreate keeps in the data
// directory.
const FileName = "encryption.keys"

const (
	tokenVersion = "v1"
	overhead     = 12 + 16 // GCM nonce and tag in every token
	maxIDLen     = 16
	maxFileSize  = 64 << 10
)

// Errors from Decrypt, wrapped with detail; test with errors.Is.
var (
	// ErrMalformedToken: the value is not a token this package wrote.
	ErrMalformedToken = errors.New("secret: malformed token")
	// ErrUnknownKey: the token names a key the keyring does not hold.
	ErrUnknownKey = errors.New("secret: unknown key id")
	// ErrDecrypt: authentication failed. The token was altered, the
	// associated data differs from encryption time, or the key with that id
	// is not the one that encrypted it.
	ErrDecrypt = errors.New("secret: cannot decrypt: token altered, wrong associated data or wrong key")
)

// Keyring is a set of AES-256-GCM keys by id with one primary key. It is
// safe for concurrent use. The zero Keyring holds no keys and cannot
// encrypt; get one from NewKeyring, ParseKeyring, Load or LoadOrCreate.
type Keyring struct {
	mu   sync.RWMutex
	ids  []string // ids[0] is the primary; the rest in Marshal order
	keys map[string]*key
}

type key struct {
	raw  []byte
	aead cipher.AEAD
}

// Format keeps key material out of any output, even inside this package.
func (*key) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, "secret.key{redacted}") } // fmt.Formatter has no way to report a write error

func newKey(raw []byte) (*key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &key{raw: raw, aead: aead}, nil
}

func randomKey() (*key, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("secret: read random key: %w", err)
	}
	return newKey(raw)
}

// validID reports whether id is 1 to 16 lower-case ASCII letters or digits.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// NewKeyring returns a keyring with one fresh random key, "k1".
func NewKeyring() (*Keyring, error) {
	k, err := randomKey()
	if err != nil {
		return nil, err
	}
	return &Keyring{ids: []string{"k1"}, keys: map[string]*key{"k1": k}}, nil
}

// ParseKeyring parses the key format of OCEAN_ENCRYPTION_KEY and of the key
// file: comma-separated id:base64key entries, the first one the primary.
// Ids are 1 to 16 lower-case letters or digits; keys are 32 bytes in
// standard or URL-safe base64, padded or not. White space around entries is
// ignored. Errors name the entry or key id at fault, never key material.
func ParseKeyring(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: no keys: want id:base64key entries separated by commas, each key 32 random bytes (openssl rand -base64 32)")
	}
	entries := strings.Split(s, ",")
	kr := &Keyring{keys: make(map[string]*key, len(entries))}
	for i, e := range entries {
		n := i + 1
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("secret: entry %d of %d is empty", n, len(entries))
		}
		id, enc, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("secret: entry %d of %d: want id:base64key", n, len(entries))
		}
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !validID(id) {
			// Not echoed: a malformed id may well be key material.
			return nil, fmt.Errorf("secret: entry %d of %d: key id must be 1 to %d lower-case letters or digits", n, len(entries), maxIDLen)
		}
		if _, dup := kr.keys[id]; dup {
			return nil, fmt.Errorf("secret: entry %d of %d: key id %q appears more than once", n, len(entries), id)
		}
		raw, ok := decodeKey(enc)
		if !ok {
			return nil, fmt.Errorf("secret: key %q: not valid base64", id)
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("secret: key %q: %d bytes, want %d (openssl rand -base64 32)", id, len(raw), KeySize)
		}
		if allZero(raw) {
			return nil, fmt.Errorf("secret: key %q is all zero bytes; generate a random one (openssl rand -base64 32)", id)
		}
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		kr.ids = append(kr.ids, id)
		kr.keys[id] = k
	}
	return kr, nil
}

func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// Load reads a key file written by Save or LoadOrCreate. It refuses a file
// that users other than the owner may access (any group or other
// permission bit), since the keys unlock every encrypted field. (On Windows,
// where Unix permission bits do not exist, the check is skipped.)
func Load(path string) (*Keyring, error) {
	b, err := keyfile.Read(path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	kr, err := ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return kr, nil
}

// LoadOrCreate loads dir/encryption.keys, creating it (and dir) with one
// fresh key "k1" and mode 0600 if it does not exist, and returns the keyring
// and the file's path. Two processes starting at once on the same directory
// end up with the same key: the file appears complete or not at all, and
// the one that loses the race loads the winner's file.
func LoadOrCreate(dir string) (*Keyring, string, error) {
	path := filepath.Join(dir, FileName)
	kr, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return kr, path, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, path, fmt.Errorf("secret: %w", err)
	}
	kr, err = NewKeyring()
	if err != nil {
		return nil, path, err
	}
	if err := kr.create(path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			kr, err = Load(path)
			return kr, path, err
		}
		return nil, path, err
	}
	return kr, path, nil
}

// create writes the keyring to path only if path does not exist yet. The
// content goes to a private temporary file first, which is then hard-linked
// into place (atomic, and failing if path exists); where the file system has
// no hard links, it falls back to an exclusive create.
func (k *Keyring) create(path string) error {
	if err := keyfile.Create(path, []byte(k.Marshal()+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("secret: %w", err)
	}
	return nil
}

// Save writes the keyring to path atomically with mode 0600: a temporary
// file in the same directory, synced, then renamed over path. Readers see
// the old file or the new one, never a mix.
func (k *Keyring) Save(path string) error {
	if err := keyfile.Replace(path, []byte(k.Marshal()+"\n")); err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	return nil
}

// Marshal returns the keyring in the format ParseKeyring reads, primary
// first: "k2:<base64>,k1:<base64>". It CONTAINS THE KEYS: write it only to
// the key file or to a secret store, never to a log.
func (k *Keyring) Marshal() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var b strings.Builder
	for i, id := range k.ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(k.keys[id].raw))
	}
	return b.String()
}

// String describes the keyring without key material, e.g.
// "secret.Keyring{primary: k2, keys: 2}".
func (k *Keyring) String() string {
	if k == nil {
		return "secret.Keyring(nil)"
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	primary := ""
	if len(k.ids) > 0 {
		primary = k.ids[0]
	}
	return fmt.Sprintf("secret.Keyring{primary: %s, keys: %d}", primary, len(k.ids))
}

// GoString is String, so %#v reveals no key material.
func (k *Keyring) GoString() string { return k.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %x, %q, …).
func (k *Keyring) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, k.String()) } // fmt.Formatter has no way to report a write error

// LogValue makes log/slog print String.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Primary returns the id of the key Encrypt uses, or "" for an empty
// keyring.
func (k *Keyring) Primary() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.ids) == 0 {
		return ""
	}
	return k.ids[0]
}

// IDs returns the key ids, primary first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return append([]string(nil), k.ids...)
}

// Rotate adds a fresh random key and makes it the primary; the old keys
// stay for decryption. The new id is "k" and one more than the highest
// number among the ids of that form (k1, k2, …). Save the keyring
// afterwards, or the new key, and everything encrypted with it, is lost
// when the process exits.
func (k *Keyring) Rotate() (newID string, err error) {
	nk, err := randomKey()
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var highest uint64
	for _, id := range k.ids {
		if digits, ok := strings.CutPrefix(id, "k"); ok {
			if n, err := strconv.ParseUint(digits, 10, 64); err == nil && n > highest {
				highest = n
			}
		}
	}
	if highest == ^uint64(0) {
		return "", errors.New("secret: cannot number a new key: ids are exhausted")
	}
	newID = "k" + strconv.FormatUint(highest+1, 10)
	if !validID(newID) {
		return "", fmt.Errorf("secret: cannot number a new key: %q would be longer than %d characters", newID, maxIDLen)
	}
	if k.keys == nil {
		k.keys = make(map[string]*key)
	}
	k.ids = append([]string{newID}, k.ids...)
	k.keys[newID] = nk
	return newID, nil
}

// Remove retires the key id once nothing is encrypted under it any more
// (see NeedsReencrypt). Tokens still under it become undecryptable. The
// primary key cannot be removed.
func (k *Keyring) Remove(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.keys[id]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	if k.ids[0] == id {
		return fmt.Errorf("secret: key %q is the primary key and cannot be removed; rotate first", id)
	}
	delete(k.keys, id)
	for i, x := range k.ids {
		if x == id {
			k.ids = append(k.ids[:i:i], k.ids[i+1:]...)
			break
		}
	}
	return nil
}

func (k *Keyring) primary() (string, *key, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.ids) == 0 {
		return "", nil, errors.New("secret: keyring has no keys")
	}
	return k.ids[0], k.keys[k.ids[0]], nil
}

func (k *Keyring) lookup(id string) *key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[id]
}

// sealAAD binds the token header (version and key id) and the caller's
// associated data. Key ids contain no '.', so the encoding is unambiguous.
func sealAAD(id string, aad []byte) []byte {
	b := make([]byte, 0, len(tokenVersion)+len(id)+2+len(aad))
	b = append(b, tokenVersion...)
	b = append(b, '.')
	b = append(b, id...)
	b = append(b, '.')
	return append(b, aad...)
}

// Encrypt seals plaintext (which may be empty) under the primary key with a
// random nonce and returns a token "v1.<keyid>.<base64url>". aad must be
// given again, byte for byte, to Decrypt: use the table, column and row the
// value is stored in, e.g. []byte("users.phone:" + publicID).
func (k *Keyring) Encrypt(plaintext, aad []byte) (string, error) {
	id, key, err := k.primary()
	if err != nil {
		return "", err
	}
	sealed := key.aead.Seal(nil, nil, plaintext, sealAAD(id, aad)) //nolint:gosec // NewGCMWithRandomNonce draws the nonce itself; nil is what it requires
	return tokenVersion + "." + id + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// parseToken splits a token into its key id and sealed bytes.
func parseToken(token string) (id string, sealed []byte, err error) {
	ver, rest, ok := strings.Cut(token, ".")
	if !ok || ver != tokenVersion {
		return "", nil, fmt.Errorf("%w: not a %s token", ErrMalformedToken, tokenVersion)
	}
	id, data, ok := strings.Cut(rest, ".")
	if !ok || !validID(id) {
		return "", nil, fmt.Errorf("%w: bad key id", ErrMalformedToken)
	}
	sealed, err = base64.RawURLEncoding.Strict().DecodeString(data)
	// The decoder skips \r and \n even in strict mode; a token has none.
	if err != nil || strings.ContainsAny(data, "\r\n") {
		return "", nil, fmt.Errorf("%w: bad base64", ErrMalformedToken)
	}
	if len(sealed) < overhead {
		return "", nil, fmt.Errorf("%w: too short", ErrMalformedToken)
	}
	return id, sealed, nil
}

// Decrypt opens a token made by Encrypt with the same aad. It fails with
// ErrMalformedToken, ErrUnknownKey or ErrDecrypt (see each); it never
// returns unauthenticated data.
func (k *Keyring) Decrypt(token string, aad []byte) ([]byte, error) {
	id, sealed, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	key := k.lookup(id)
	if key == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	pt, err := key.aead.Open(nil, nil, sealed, sealAAD(id, aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// EncryptString is Encrypt for text.
func (k *Keyring) EncryptString(plaintext, aad string) (string, error) {
	return k.Encrypt([]byte(plaintext), []byte(aad))
}

// DecryptString is Decrypt for text.
func (k *Keyring) DecryptString(token, aad string) (string, error) {
	b, err := k.Decrypt(token, []byte(aad))
	return string(b), err
}

// NeedsReencrypt reports whether token is not encrypted under the current
// primary key: written before a rotation, or not a valid token at all (in
// which case Reencrypt reports why).
func (k *Keyring) NeedsReencrypt(token string) bool {
	id, _, err := parseToken(token)
	return err != nil || id != k.Primary()
}

// Reencrypt decrypts token and encrypts the plaintext again under the
// primary key, with the same aad. Use it, row by row, after Rotate.
func (k *Keyring) Reencrypt(token string, aad []byte) (string, error) {
	pt, err := k.Decrypt(token, aad)
	if err != nil {
		return "", err
	}
	return k.Encrypt(pt, aad)
}
