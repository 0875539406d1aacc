package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what an access token says about its holder.
type Claims struct {
	Subject string        // the account the token acts for ("sub"); required
	Role    string        // the account's role ("role"); optional
	TTL     time.Duration // lifetime; zero, negative or above MaxTTL means MaxTTL
}

// Verified is what Verify learned from a valid access token.
type Verified struct {
	Subject   string    // "sub"
	Role      string    // "role", "" when absent
	TokenID   string    // "jti": unique per token, for logs and audit
	KeyID     string    // "kid" of the key that signed it
	IssuedAt  time.Time // "iat"
	ExpiresAt time.Time // "exp"
}

// accessClaims is the JWT claims set of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	Role string `json:"role,omitempty"`
}

// Validate runs after the jwt package's checks of exp, nbf, iat, iss and
// aud and adds what those leave optional. Called by the parser.
func (c accessClaims) Validate() error {
	switch {
	case c.Subject == "":
		return fmt.Errorf("%w: sub", errMissingClaim)
	case c.ID == "":
		return fmt.Errorf("%w: jti", errMissingClaim)
	case c.IssuedAt == nil:
		return fmt.Errorf("%w: iat", errMissingClaim)
	case c.ExpiresAt == nil:
		return fmt.Errorf("%w: exp", errMissingClaim)
	}
	// Only our keys sign, so a longer lifetime means a token minted by
	// something other than Issue: a leaked key or a past bug. Refuse it.
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxTTL {
		return errLifetime
	}
	return nil
}

// Issue returns a signed access token for c, valid from now for c.TTL
// (MaxTTL at most). The token is signed by the current key and carries its
// id in the "kid" header. Errors are the server's fault (empty subject,
// no keys, an oversized token) and must not be shown to the client as is.
func (s *Signer) Issue(c Claims, now time.Time) (string, error) {
	keys := s.snapshot()
	if len(keys) == 0 {
		return "", errNoSigner
	}
	if c.Subject == "" {
		return "", errors.New("token: cannot issue an access token without a subject")
	}
	if now.IsZero() {
		return "", errors.New("token: cannot issue an access token at the zero time")
	}
	ttl := c.TTL
	if ttl <= 0 || ttl > MaxTTL {
		ttl = MaxTTL
	}
	jti, err := randomID()
	if err != nil {
		return "", err
	}
	key := keys[0]
	iat := now.Truncate(time.Second)
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings{s.audience},
			ExpiresAt: jwt.NewNumericDate(iat.Add(ttl)),
			NotBefore: jwt.NewNumericDate(iat),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        jti,
		},
		Role: c.Role,
	})
	t.Header["typ"] = Type
	t.Header["kid"] = key.id
	signed, err := t.SignedString(key.priv)
	if err != nil {
		return "", fmt.Errorf("token: sign access token: %w", err)
	}
	if len(signed) > MaxTokenSize {
		return "", fmt.Errorf("token: access token would be %d bytes, over the %d-byte limit Verify enforces; shorten the subject or role", len(signed), MaxTokenSize)
	}
	return signed, nil
}

// randomID returns 128 random bits in base64url, for "jti".
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// validMethods is the algorithm allowlist: exactly EdDSA. In particular
// "none" and every HMAC algorithm are refused before any key is looked up.
var validMethods = []string{jwt.SigningMethodEdDSA.Alg()}

// Verify checks an access token at time now and returns what it says. It
// returns an *ocean.Error with code EUNAUTHORIZED and the message "The
// access token is not valid." for every kind of rejection, so a client
// learns nothing from the difference; the cause (jwt.ErrTokenExpired,
// jwt.ErrTokenSignatureInvalid, an unknown kid, …) is wrapped in Err for
// the logs. See the package documentation for the rules.
func (s *Signer) Verify(tok string, now time.Time) (*Verified, error) {
	if len(tok) > MaxTokenSize {
		return nil, unauthorized(invalidAccessMessage, errTooLarge)
	}
	if tok == "" {
		return nil, unauthorized(invalidAccessMessage, errEmpty)
	}
	// The base64 decoder skips CR and LF; refusing them (and anything else
	// outside the compact serialisation) keeps one spelling per token.
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return nil, unauthorized(invalidAccessMessage, errBadChars)
		}
	}
	if len(s.snapshot()) == 0 {
		return nil, unauthorized(invalidAccessMessage, errNoSigner)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(validMethods),
		jwt.WithIssuer(s.issuer),
		jwt.WithAudience(s.audience),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithNotBeforeRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	)
	var c accessClaims
	var kid string
	t, err := p.ParseWithClaims(tok, &c, func(t *jwt.Token) (any, error) {
		// WithValidMethods already refused every other algorithm; this
		// guards against that option ever being lost.
		if t.Method != jwt.SigningMethodEdDSA {
			return nil, errWrongAlg
		}
		if typ, _ := t.Header["typ"].(string); typ != Type && typ != "application/"+Type {
			return nil, errWrongType
		}
		// RFC 7515 §4.1.11: unknown critical extensions must be refused,
		// and we understand none.
		if _, ok := t.Header["crit"]; ok {
			return nil, errCritical
		}
		id, ok := t.Header["kid"].(string)
		if !ok {
			return nil, errNoKeyID
		}
		k := s.lookup(id)
		if k == nil {
			return nil, fmt.Errorf("%w %.40q", errUnknownKey, id)
		}
		kid = k.id
		return k.pub, nil
	})
	if err != nil {
		return nil, unauthorized(invalidAccessMessage, err)
	}
	if !t.Valid {
		return nil, unauthorized(invalidAccessMessage, jwt.ErrTokenUnverifiable)
	}
	return &Verified{
		Subject:   c.Subject,
		Role:      c.Role,
		TokenID:   c.ID,
		KeyID:     kid,
		IssuedAt:  c.IssuedAt.UTC(),
		ExpiresAt: c.ExpiresAt.UTC(),
	}, nil
}
