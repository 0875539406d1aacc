// Package token issues and checks the credentials API clients hold: short
// lived JWT access tokens and long lived, rotating, opaque refresh tokens.
//
// # Access tokens
//
// An access token is a JWT (RFC 9068 profile) signed with Ed25519:
//
//	header  {"alg":"EdDSA","kid":"k2","typ":"at+jwt"}
//	claims  {"iss","aud","sub","iat","nbf","exp","jti","role"}
//
// Signer.Issue mints one that lives at most MaxTTL (15 minutes); Verify
// accepts only what Issue could have produced: algorithm EdDSA and nothing
// else (so "none" and the HS256-with-the-public-key confusion attack fail),
// typ "at+jwt" (or "application/at+jwt"), a kid the Signer knows, the configured issuer and audience,
// every registered claim present, a lifetime no longer than MaxTTL, and the
// current time inside [nbf, exp) give or take Leeway. Tokens longer than
// MaxTokenSize, or holding anything but base64url and dots, are refused
// before any parsing. Every rejection is an *ocean.Error with code
// EUNAUTHORIZED and the same message, "The access token is not valid.";
// the precise cause is wrapped in Err for the logs.
//
// An access token cannot be revoked: that is why it is short lived.
//
// # Signing keys
//
// A Signer holds Ed25519 keys by key id (kid). One is current and signs; the
// others only verify, so a rotation (Rotate) does not sign anybody out.
// Once no token signed by an old key can still be alive (MaxTTL plus Leeway
// after the rotation), Retire drops it. With several instances, every
// instance must know a new key before any of them signs with it: deploy it
// second in the list first, then move it to the front.
//
// Keys are stored as one "kid:base64(32-byte seed)" entry per line or
// separated by commas, current first (ParseSigner, Marshal):
//
//	k2:<32 random bytes, base64>
//	k1:<32 random bytes, base64>
//
// LoadOrCreate keeps them in a file of mode 0600 that it creates, with one
// key "k1", on first start, and refuses a file group or others may read;
// Save writes the file back after Rotate or Retire.
//
// Marshal is the only thing that reveals key material: String, GoString,
// Format (every fmt verb) and LogValue of a Signer or Key print key ids
// only, and no error contains key material.
//
// # Refresh tokens
//
// A refresh token is "ort_" followed by 256 random bits in base64url: the
// prefix lets secret scanners recognise a leaked one. NewRefresh returns the
// token for the client and its SHA-256 hash for the database; the token
// itself is never stored. On use, ParseRefresh rejects anything of the
// wrong shape before HashRefresh and a lookup by hash.
package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oceanshop/ocean/internal/ocean"
)

const (
	// MaxTTL is the longest life of an access token, and the life of one
	// issued without a TTL.
	MaxTTL = 15 * time.Minute

	// Leeway is the clock skew Verify tolerates on exp, nbf and iat.
	Leeway = 30 * time.Second

	// MaxTokenSize is the length in bytes beyond which Verify rejects an
	// access token without parsing it. Issue never produces a longer one.
	MaxTokenSize = 4 << 10

	// Type is the JWT "typ" header of an access token (RFC 9068).
	Type = "at+jwt"
)

const (
	invalidAccessMessage  = "The access token is not valid."
	invalidRefreshMessage = "The refresh token is not valid."
)

// Causes wrapped in the EUNAUTHORIZED errors of Verify besides the jwt
// package's own (jwt.ErrTokenExpired, jwt.ErrTokenSignatureInvalid, …).
var (
	errTooLarge       = errors.New("token: access token longer than the size limit")
	errEmpty          = errors.New("token: empty access token")
	errBadChars       = fmt.Errorf("token: %w: a character outside base64url and '.'", jwt.ErrTokenMalformed)
	errWrongType      = errors.New("token: typ header is not " + Type)
	errNoKeyID        = errors.New("token: kid header missing or not a string")
	errUnknownKey     = errors.New("token: unknown kid")
	errCritical       = errors.New("token: crit header present")
	errWrongAlg       = errors.New("token: algorithm is not EdDSA")
	errMissingClaim   = errors.New("token: required claim missing")
	errLifetime       = errors.New("token: lifetime longer than the maximum")
	errNoSigner       = errors.New("token: Signer has no keys")
	errRefreshInvalid = errors.New("token: refresh token malformed")
)

func unauthorized(message string, cause error) error {
	return &ocean.Error{Code: ocean.EUNAUTHORIZED, Message: message, Err: cause}
}
