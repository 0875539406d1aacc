package bootstrap

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/oceanshop/ocean/internal/secret"
	"github.com/oceanshop/ocean/internal/token"
)

// TokenKeysFile holds the API token signing keys in the data dir.
const TokenKeysFile = "token.keys"

// KeyFiles are the data directory's key files: a backup of the embedded
// database carries them, without them its personal data cannot be read.
var KeyFiles = []string{secret.FileName, TokenKeysFile}

// APIAudience is the "aud" of every access token Ocean issues.
const APIAudience = "ocean-api"

// Keyring loads the encryption keys: env (OCEAN_ENCRYPTION_KEY) when set
// (what a fleet must use: every instance needs the same keys), else the key
// file in dataDir, created on first start with mode 0600. reload re-reads
// the same source (nil for env).
func Keyring(env, dataDir string) (k *secret.Keyring, reload func() (*secret.Keyring, error), err error) {
	if env != "" {
		k, err := secret.ParseKeyring(env)
		if err != nil {
			return nil, nil, fmt.Errorf("OCEAN_ENCRYPTION_KEY: %w", err)
		}
		return k, nil, nil
	}
	k, path, err := secret.LoadOrCreate(dataDir)
	if err != nil {
		return nil, nil, err
	}
	return k, func() (*secret.Keyring, error) { return secret.Load(path) }, nil
}

// TokenSigner loads the API token signing keys for issuer publicURL: env
// (OCEAN_TOKEN_KEYS) when set (what a fleet must use), else the key file in
// dataDir.
func TokenSigner(publicURL, env, dataDir string) (*token.Signer, error) {
	if env != "" {
		s, err := token.ParseSigner(publicURL, APIAudience, env)
		if err != nil {
			return nil, fmt.Errorf("OCEAN_TOKEN_KEYS: %w", err)
		}
		return s, nil
	}
	return token.LoadOrCreate(publicURL, APIAudience, filepath.Join(dataDir, TokenKeysFile))
}

// RotateKeyFile puts a new primary encryption key first in the key file of
// dataDir (`ocean keys rotate`); re-encrypting what is under older keys is
// the caller's next step.
func RotateKeyFile(dataDir string, out io.Writer) error {
	keys, path, err := secret.LoadOrCreate(dataDir)
	if err != nil {
		return err
	}
	id, err := keys.Rotate()
	if err != nil {
		return err
	}
	if err := keys.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(out, "new primary encryption key %s saved in %s\n", id, path)
	return nil
}

// GenerateKeys prints fresh values for the settings a fleet must share
// (`ocean keys generate`). They are secrets: put them in the instances'
// secret store, not in a log.
func GenerateKeys(out io.Writer) error {
	enc, err := secret.NewKeyring()
	if err != nil {
		return err
	}
	k, err := token.GenerateKey("k1")
	if err != nil {
		return err
	}
	s, err := token.NewSigner("x", "x", []token.Key{k}, k.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "OCEAN_ENCRYPTION_KEY=%s\nOCEAN_TOKEN_KEYS=%s\n", strings.TrimSpace(enc.Marshal()), strings.ReplaceAll(strings.TrimSpace(s.Marshal()), "\n", ","))
	return nil
}
