package tlsca

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrustLinux adds the CA to a Debian-style system store (the anchor
// directory is the test's, the update tool is recorded, not run) and to
// an NSS database with the real certutil, then removes it from both.
func TestTrustLinux(t *testing.T) {
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("OCEAN_REQUIRE_SERVICES") != "" {
			t.Fatal("certutil is missing (scripts/tls-setup.sh installs libnss3-tools)")
		}
		t.Skip("certutil is missing: apt-get install libnss3-tools")
	}
	dir := t.TempDir()
	if _, _, err := Local(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	home, anchors := t.TempDir(), t.TempDir()
	var out bytes.Buffer
	var ran []string
	tr := &Trust{CAPath: filepath.Join(dir, CAFile), Out: &out, GOOS: "linux", Home: home,
		Anchors: map[string]string{"update-ca-certificates": anchors},
		LookPath: func(name string) (string, error) {
			if name == "update-ca-certificates" {
				return "/usr/sbin/update-ca-certificates", nil
			}
			if name == "certutil" {
				return certutil, nil
			}
			return "", exec.ErrNotFound
		}}
	tr.Run = func(name string, args ...string) error {
		ran = append(ran, name+" "+strings.Join(args, " "))
		if name == "certutil" {
			cmd := exec.Command(certutil, args...)
			cmd.Stdout, cmd.Stderr = &out, &out
			return cmd.Run()
		}
		return nil
	}
	if err := tr.Add(); err != nil {
		t.Fatalf("trust: %v\n%s", err, out.String())
	}
	_, nick, _ := tr.ca()
	anchor := filepath.Join(anchors, nick+".crt")
	if b, err := os.ReadFile(anchor); err != nil || !bytes.Contains(b, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("no anchor file %s: %v", anchor, err)
	}
	if !strings.Contains(strings.Join(ran, "\n"), "update-ca-certificates") {
		t.Errorf("update-ca-certificates not run: %v", ran)
	}
	list, err := exec.Command(certutil, "-L", "-d", "sql:"+filepath.Join(home, ".pki/nssdb")).CombinedOutput()
	if err != nil || !strings.Contains(string(list), nick) || !strings.Contains(string(list), "C,,") {
		t.Fatalf("CA not in the NSS database as a trusted CA: %v\n%s", err, list)
	}
	if !strings.Contains(out.String(), "trusted in the system trust store") || !strings.Contains(out.String(), "trusted in the NSS databases") {
		t.Errorf("output:\n%s", out.String())
	}

	if err := tr.Remove(); err != nil {
		t.Fatalf("untrust: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(anchor); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("anchor file left: %v", err)
	}
	list, _ = exec.Command(certutil, "-L", "-d", "sql:"+filepath.Join(home, ".pki/nssdb")).CombinedOutput()
	if strings.Contains(string(list), nick) {
		t.Fatalf("CA still in the NSS database:\n%s", list)
	}
}

// TestTrustNamesMissingTools: without the tools, the message says what to
// install, and trust fails when no store took the CA.
func TestTrustNamesMissingTools(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Local(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	none := func(string) (string, error) { return "", exec.ErrNotFound }
	tr := &Trust{CAPath: filepath.Join(dir, CAFile), Out: &out, GOOS: "linux", Home: t.TempDir(), LookPath: none,
		Run: func(string, ...string) error { t.Fatal("ran a missing tool"); return nil }}
	err := tr.Add()
	if err == nil || !strings.Contains(err.Error(), "libnss3-tools") || !strings.Contains(err.Error(), "ca-certificates") {
		t.Fatalf("error %v, want the packages to install", err)
	}
	tr.GOOS = "darwin"
	if err := tr.Add(); err == nil || !strings.Contains(err.Error(), "security is not installed") {
		t.Fatalf("macOS without security: %v", err)
	}
	var ran []string
	tr.LookPath = func(string) (string, error) { return "/usr/bin/security", nil }
	tr.Run = func(name string, args ...string) error {
		ran = append(ran, name+" "+strings.Join(args, " "))
		return nil
	}
	if err := tr.Add(); err != nil || len(ran) != 1 || !strings.Contains(ran[0], "add-trusted-cert -d -r trustRoot") {
		t.Fatalf("macOS trust: %v %v", err, ran)
	}
	if err := tr.Remove(); err != nil || !strings.Contains(ran[1], "remove-trusted-cert") {
		t.Fatalf("macOS untrust: %v %v", err, ran)
	}
	tr.CAPath = filepath.Join(t.TempDir(), "ca.pem")
	if err := tr.Add(); err == nil || !strings.Contains(err.Error(), "start the shop once") {
		t.Fatalf("missing CA: %v", err)
	}
}
