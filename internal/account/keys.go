package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/oceanshop/ocean/internal/secret"
)

// Encryption of personal data at rest and key rotation.

func phoneAAD(userID int64) string { return "user.phone:" + strconv.FormatInt(userID, 10) }

func addressAAD(userID int64) string { return "address.data:" + strconv.FormatInt(userID, 10) }

func (s *Service) seal(plain, aad string) (string, error) {
	if plain == "" {
		return "", nil
	}
	return s.keys().EncryptString(plain, aad)
}

func (s *Service) keys() *secret.Keyring { return s.keyset.Load() }

// reloadKeys swaps in the key file's current keys, once for a burst of
// callers that all met the same new key.
func (s *Service) reloadKeys(seen *secret.Keyring) bool {
	if s.c.ReloadKeys == nil {
		return false
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	if s.keys() != seen {
		return true // another caller reloaded meanwhile
	}
	k, err := s.c.ReloadKeys()
	if err != nil {
		s.log.Error("encryption keys not reloaded", "err", err)
		return false
	}
	s.keyset.Store(k)
	s.log.Info("encryption keys reloaded", "primary", k.Primary())
	return true
}

func (s *Service) open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	keys := s.keys()
	p, err := keys.DecryptString(sealed, aad)
	if errors.Is(err, secret.ErrUnknownKey) && s.reloadKeys(keys) {
		p, err = s.keys().DecryptString(sealed, aad)
	}
	if err != nil {
		return "", fmt.Errorf("decrypt personal data: %w", err)
	}
	return p, nil
}

// ReencryptAll rewrites every encrypted value not under the keyring's
// primary key. Safe while the shop serves: each value is swapped only if it
// did not change meanwhile, and either key decrypts during the run.
func (s *Service) ReencryptAll(ctx context.Context) (n int, err error) {
	kind, after := "", int64(0)
	for {
		batch, err := s.c.Store.Secrets(ctx, kind, after, 200)
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			break
		}
		for _, sec := range batch {
			kind, after = sec.Kind, sec.ID
			if !s.keys().NeedsReencrypt(sec.Value) {
				continue
			}
			aad := sec.Kind + ":" + strconv.FormatInt(sec.Owner, 10)
			if sec.AAD != "" {
				aad = sec.AAD
			}
			nv, err := s.keys().Reencrypt(sec.Value, []byte(aad))
			if err != nil {
				return n, fmt.Errorf("%s %d: %w", sec.Kind, sec.ID, err)
			}
			ok, err := s.c.Store.ReplaceSecret(ctx, sec, nv)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	s.audit(ctx, EventKeysRotate, 0, 0, Meta{}, strconv.Itoa(n)+" values re-encrypted")
	return n, nil
}

// Seal encrypts personal data another package stores (an order's address)
// under the primary key, bound to aad so it cannot be moved to another row.
func (s *Service) Seal(plain, aad string) (string, error) { return s.seal(plain, aad) }

// Open decrypts what Seal produced with the same aad.
func (s *Service) Open(sealed, aad string) (string, error) { return s.open(sealed, aad) }
