package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTLSSettings(t *testing.T) {
	c, _, err := Load(nil, env(nil))
	if err != nil || c.TLS != "local" || c.ACMEDirectory != "https://acme-v02.api.letsencrypt.org/directory" || c.HSTSPreload {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _, err = Load(nil, env(map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": " Shop.Example.com., www.shop.example.com,shop.example.com",
		"OCEAN_PUBLIC_URL": "https://shop.example.com", "OCEAN_ACME_EMAIL": "owner@example.com", "OCEAN_HSTS_PRELOAD": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Domains, []string{"shop.example.com", "www.shop.example.com"}) || c.ACMEEmail != "owner@example.com" || !c.HSTSPreload {
		t.Fatalf("acme: %+v", c)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	_ = os.WriteFile(root, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("hello"), 0o600)
	if c, _, err = Load(nil, env(map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.test", "OCEAN_PUBLIC_URL": "https://shop.test:8443",
		"OCEAN_ACME_DIRECTORY": "https://127.0.0.1:14000/dir", "OCEAN_ACME_CA_ROOT": root})); err != nil || c.ACMECARoot != root {
		t.Fatalf("private CA: %+v %v", c, err)
	}
	if c, _, err = Load(nil, env(map[string]string{"OCEAN_TLS": "files", "OCEAN_TLS_CERT_FILE": "/etc/ocean/chain.pem", "OCEAN_TLS_KEY_FILE": "/etc/ocean/key.pem",
		"OCEAN_PUBLIC_URL": "https://shop.example.com"})); err != nil || c.TLSCertFile != "/etc/ocean/chain.pem" || c.TLSKeyFile != "/etc/ocean/key.pem" {
		t.Fatalf("files: %+v %v", c, err)
	}

	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OCEAN_TLS": "letsencrypt"}, "OCEAN_TLS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_PUBLIC_URL": "https://shop.example.com"}, "OCEAN_TLS=acme needs OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "*.example.com"}, "OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "192.0.2.1"}, "OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.example.com:443"}, "OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "localhost"}, "OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.example.com"}, "OCEAN_PUBLIC_URL's host localhost is not in OCEAN_DOMAINS"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.example.com", "OCEAN_PUBLIC_URL": "http://shop.example.com"}, "OCEAN_PUBLIC_URL must be the shop's https:// origin"},
		{map[string]string{"OCEAN_TLS": "acme", "OCEAN_DOMAINS": "shop.example.com", "OCEAN_PUBLIC_URL": "https://shop.example.com", "OCEAN_HTTPS_ADDR": "off"}, "OCEAN_HTTPS_ADDR must not be off"},
		{map[string]string{"OCEAN_DOMAINS": "shop.example.com"}, "OCEAN_DOMAINS is only used with OCEAN_TLS=acme"},
		{map[string]string{"OCEAN_ACME_EMAIL": "not an email"}, "OCEAN_ACME_EMAIL"},
		{map[string]string{"OCEAN_ACME_DIRECTORY": "http://acme.example/dir"}, "OCEAN_ACME_DIRECTORY"},
		{map[string]string{"OCEAN_ACME_CA_ROOT": filepath.Join(dir, "missing.pem")}, "OCEAN_ACME_CA_ROOT"},
		{map[string]string{"OCEAN_ACME_CA_ROOT": junk}, "OCEAN_ACME_CA_ROOT"},
		{map[string]string{"OCEAN_TLS": "files", "OCEAN_TLS_CERT_FILE": "/x.pem", "OCEAN_PUBLIC_URL": "https://shop.example.com"}, "OCEAN_TLS_KEY_FILE"},
		{map[string]string{"OCEAN_TLS_CERT_FILE": "/x.pem"}, "only used with OCEAN_TLS=files"},
		{map[string]string{"OCEAN_HSTS_PRELOAD": "yes please"}, "OCEAN_HSTS_PRELOAD"},
	} {
		_, _, err := Load(nil, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to say %q", tc.env, err, tc.want)
		}
	}
}
