package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// RefreshPrefix starts every refresh token, so that secret scanners (and
// people) recognise one that leaked into a repository, a log or a ticket.
const RefreshPrefix = "ort_"

const refreshBytes = 32 // 256 bits

// RefreshLen is the length of every refresh token: the prefix and 256 bits
// in unpadded base64url (43 characters).
const RefreshLen = len(RefreshPrefix) + (refreshBytes*8+5)/6

// refreshEncoding decodes the random part and refuses non-canonical forms
// (nonzero trailing bits), so each token has exactly one spelling.
var refreshEncoding = base64.RawURLEncoding.Strict()

// NewRefresh returns a new refresh token for the client and its hash
// (HashRefresh) for the database. Store only the hash: the database then
// holds nothing a thief could present.
func NewRefresh() (token string, hash []byte, err error) {
	var b [refreshBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("token: random: %w", err)
	}
	token = RefreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashRefresh(token), nil
}

// HashRefresh returns the SHA-256 hash of a refresh token, the value to
// store and look the token up by. The token holds 256 random bits, so a
// plain, unsalted hash cannot be reversed or guessed; and a lookup by hash
// compares no secret byte by byte. Call ParseRefresh first on anything a
// client sent.
func HashRefresh(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ParseRefresh checks that token has the shape of a refresh token: the
// prefix, the exact length and canonical base64url. It does not say whether
// the token was ever issued; that takes a lookup by HashRefresh. Anything
// else is an *ocean.Error with code EUNAUTHORIZED and the message "The
// refresh token is not valid.".
func ParseRefresh(token string) error {
	if len(token) != RefreshLen {
		return unauthorized(invalidRefreshMessage, fmt.Errorf("%w: length %d, want %d", errRefreshInvalid, len(token), RefreshLen))
	}
	body, ok := strings.CutPrefix(token, RefreshPrefix)
	if !ok {
		return unauthorized(invalidRefreshMessage, fmt.Errorf("%w: prefix is not %s", errRefreshInvalid, RefreshPrefix))
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return unauthorized(invalidRefreshMessage, fmt.Errorf("%w: byte %d is outside the base64url alphabet", errRefreshInvalid, len(RefreshPrefix)+i))
		}
	}
	// Decoding after the alphabet check only rejects nonzero trailing bits.
	if b, err := refreshEncoding.DecodeString(body); err != nil || len(b) != refreshBytes {
		return unauthorized(invalidRefreshMessage, fmt.Errorf("%w: not canonical base64url", errRefreshInvalid))
	}
	return nil
}
