package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	maxIDLen = 32
	redacted = "REDACTED"
)

// Key is an Ed25519 signing key and its key id. The id travels in the "kid"
// header of every token the key signs, so it is public; the private key is
// not, and printing a Key (any fmt verb, slog, encoding/json) shows the id
// only.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// GenerateKey returns a fresh random Ed25519 key with the given id. An id is
// 1 to 32 characters from A-Z a-z 0-9 . _ -.
func GenerateKey(id string) (Key, error) {
	if !validID(id) {
		return Key{}, errBadID
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("token: generate key: %w", err)
	}
	return Key{ID: id, Private: priv}, nil
}

// String describes the key without its key material.
func (k Key) String() string { return fmt.Sprintf("token.Key{ID: %q, Private: %s}", k.ID, redacted) }

// GoString describes the key without its key material.
func (k Key) GoString() string { return k.String() }

// Format prints the key without its key material, whatever the verb.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) } // fmt.Formatter has no way to report a write error

// LogValue logs the key id only.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("private", redacted))
}

// MarshalJSON encodes the key id only, so a Key that ends up in a JSON log
// or response leaks nothing.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID      string `json:"id"`
		Private string `json:"private"`
	}{k.ID, redacted})
}

var (
	errBadID  = errors.New("token: a key id must be 1 to 32 characters from A-Z a-z 0-9 . _ -")
	errBadKey = errors.New("token: not a valid Ed25519 private key")
)

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// signingKey is one key of a Signer, immutable once built.
type signingKey struct {
	id   string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// newSigningKey checks k and copies it, so later changes to the caller's
// slice cannot alter the Signer.
func newSigningKey(k Key) (*signingKey, error) {
	if !validID(k.ID) {
		return nil, errBadID
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w (key %q)", errBadKey, k.ID)
	}
	priv := ed25519.NewKeyFromSeed(k.Private.Seed())
	// The second half of an Ed25519 private key is its public key; a
	// mismatch would sign tokens that never verify.
	if subtle.ConstantTimeCompare(priv, k.Private) != 1 {
		return nil, fmt.Errorf("%w (key %q)", errBadKey, k.ID)
	}
	if allZero(priv.Seed()) {
		return nil, fmt.Errorf("token: key %q is all zero bytes, a placeholder rather than a key", k.ID)
	}
	return &signingKey{id: k.ID, priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// Signer issues and verifies access tokens for one issuer and audience. It
// holds Ed25519 keys by id; the current one signs, all of them verify. It is
// safe for concurrent use, including Rotate and Retire while tokens are
// issued and verified. Build one with NewSigner, ParseSigner, Load or
// LoadOrCreate; the zero Signer has no keys and rejects everything.
type Signer struct {
	issuer   string
	audience string
	ring     *keyring // shared by copies of the Signer
}

type keyring struct {
	mu   sync.Mutex                    // serialises Rotate and Retire
	keys atomic.Pointer[[]*signingKey] // immutable snapshot; [0] is current
}

// NewSigner returns a Signer that issues tokens with the given "iss" and
// "aud" claims (both required; Verify insists on the same values) and signs
// with the key whose id is current. keys must have distinct ids.
func NewSigner(issuer, audience string, keys []Key, current string) (*Signer, error) {
	if issuer == "" {
		return nil, errors.New("token: the issuer must not be empty")
	}
	if audience == "" {
		return nil, errors.New("token: the audience must not be empty")
	}
	if len(keys) == 0 {
		return nil, errors.New("token: at least one signing key is required")
	}
	list := make([]*signingKey, 0, len(keys))
	var cur *signingKey
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		sk, err := newSigningKey(k)
		if err != nil {
			return nil, err
		}
		if seen[sk.id] {
			return nil, fmt.Errorf("token: key id %q appears twice", sk.id)
		}
		seen[sk.id] = true
		if sk.id == current {
			cur = sk
			continue
		}
		list = append(list, sk)
	}
	if cur == nil {
		return nil, fmt.Errorf("token: the current key %q is not among the keys", current)
	}
	list = append([]*signingKey{cur}, list...)
	r := &keyring{}
	r.keys.Store(&list)
	return &Signer{issuer: issuer, audience: audience, ring: r}, nil
}

// ParseSigner reads keys in the storage format, "kid:base64(32-byte
// seed)" entries separated by newlines or commas, the current key first,
// and returns a Signer for issuer and audience as NewSigner does. Blank
// entries and surrounding spaces are ignored. The seed may be in standard
// or URL-safe base64, padded or not. Errors name the entry by its position,
// never by its content, so they are safe to log.
func ParseSigner(issuer, audience, text string) (*Signer, error) {
	entries := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	var keys []Key
	for _, e := range entries {
		e = strings.TrimSpace(strings.TrimPrefix(e, "\ufeff"))
		if e == "" {
			continue
		}
		n := len(keys) + 1
		id, enc, ok := strings.Cut(e, ":")
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !ok || id == "" || enc == "" {
			return nil, fmt.Errorf("token: signing key entry %d is not of the form kid:base64seed", n)
		}
		if !validID(id) {
			return nil, fmt.Errorf("token: signing key entry %d: %w", n, errBadID)
		}
		seed, ok := decodeSeed(enc)
		if !ok {
			return nil, fmt.Errorf("token: signing key entry %d (%q): the key is not %d bytes of base64", n, id, ed25519.SeedSize)
		}
		keys = append(keys, Key{ID: id, Private: ed25519.NewKeyFromSeed(seed)})
	}
	if len(keys) == 0 {
		return nil, errors.New("token: no signing keys found")
	}
	return NewSigner(issuer, audience, keys, keys[0].ID)
}

func decodeSeed(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == ed25519.SeedSize {
			return b, true
		}
	}
	return nil, false
}

// Marshal returns the keys in the format ParseSigner reads, one
// "kid:base64(seed)" line each, current first. It CONTAINS THE PRIVATE
// KEYS: write it only to the key file or a secret store, never to a log.
// Issuer and audience are configuration and are not included.
func (s *Signer) Marshal() string {
	var b strings.Builder
	for _, k := range s.snapshot() {
		b.WriteString(k.id)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(k.priv.Seed()))
		b.WriteByte('\n')
	}
	return b.String()
}

// snapshot returns the current key list, [0] being the current key, or nil
// for a zero Signer. The slice must not be modified.
func (s *Signer) snapshot() []*signingKey {
	if s == nil || s.ring == nil {
		return nil
	}
	if p := s.ring.keys.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Signer) lookup(id string) *signingKey {
	for _, k := range s.snapshot() {
		if k.id == id {
			return k
		}
	}
	return nil
}

// KeyIDs returns the ids of the keys, the current one first.
func (s *Signer) KeyIDs() []string {
	keys := s.snapshot()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids
}

// Current returns the id of the key that signs new tokens.
func (s *Signer) Current() string {
	if keys := s.snapshot(); len(keys) > 0 {
		return keys[0].id
	}
	return ""
}

// NextKeyID suggests an id for the next key: "k" and one more than the
// highest number among the ids of that form (k1, k2, …), "k1" if there is
// none.
func (s *Signer) NextKeyID() string {
	var highest uint64
	for _, k := range s.snapshot() {
		if digits, ok := strings.CutPrefix(k.id, "k"); ok {
			if n, err := strconv.ParseUint(digits, 10, 64); err == nil && n > highest && n < 1<<62 {
				highest = n
			}
		}
	}
	return "k" + strconv.FormatUint(highest+1, 10)
}

// Rotate makes k the current key. The previous keys stay and keep verifying
// the tokens they signed, so nobody is signed out; Retire them once those
// tokens have expired (MaxTTL plus Leeway later). Persist the Signer after
// a rotation (Save), or the new key is lost when the process exits.
func (s *Signer) Rotate(k Key) error {
	if s == nil || s.ring == nil {
		return errNoSigner
	}
	sk, err := newSigningKey(k)
	if err != nil {
		return err
	}
	s.ring.mu.Lock()
	defer s.ring.mu.Unlock()
	old := s.snapshot()
	for _, o := range old {
		if o.id == sk.id {
			return fmt.Errorf("token: key id %q is already in use", sk.id)
		}
	}
	next := make([]*signingKey, 0, len(old)+1)
	next = append(append(next, sk), old...)
	s.ring.keys.Store(&next)
	return nil
}

// Retire removes the key id: tokens it signed stop verifying. The current
// key cannot be retired; Rotate first.
func (s *Signer) Retire(id string) error {
	if s == nil || s.ring == nil {
		return errNoSigner
	}
	s.ring.mu.Lock()
	defer s.ring.mu.Unlock()
	old := s.snapshot()
	if len(old) > 0 && old[0].id == id {
		return fmt.Errorf("token: key %q is the current key and cannot be retired; rotate first", id)
	}
	next := make([]*signingKey, 0, len(old))
	for _, k := range old {
		if k.id != id {
			next = append(next, k)
		}
	}
	if len(next) == len(old) {
		return fmt.Errorf("token: no key with id %q", id)
	}
	s.ring.keys.Store(&next)
	return nil
}

// String describes the Signer by issuer, audience and key ids (current
// first), never by key material.
func (s Signer) String() string {
	return fmt.Sprintf("token.Signer{Issuer: %q, Audience: %q, Keys: %q}", s.issuer, s.audience, s.KeyIDs())
}

// GoString is String: the Signer's key material is never printed.
func (s Signer) GoString() string { return s.String() }

// Format prints String whatever the verb, so no verb reveals key material.
func (s Signer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) } // fmt.Formatter has no way to report a write error

// LogValue logs issuer, audience and key ids only.
func (s Signer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", s.issuer),
		slog.String("audience", s.audience),
		slog.Any("keys", s.KeyIDs()),
	)
}
