package tlsca

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// Trust adds the local CA to this machine's trust stores, Untrust removes
// it: on Linux the system store (Debian's update-ca-certificates, Fedora's
// update-ca-trust, or p11-kit's trust) and the NSS databases Chrome and
// Firefox read (certutil, for the user running the command); on macOS the
// system keychain (security). Each store is tried on its own; a missing
// tool is reported with the package that provides it, and the others are
// still done.
type Trust struct {
	CAPath string    // the CA file (ocean-data/ca.pem)
	Out    io.Writer // progress, one line per store
	// The rest is for tests: zero values mean this machine.
	GOOS     string
	Home     string                                  // for the NSS databases
	Anchors  map[string]string                       // system anchor dir per tool; nil: the distributions' paths
	LookPath func(string) (string, error)            // exec.LookPath
	Run      func(name string, args ...string) error // runs a tool, output to Out
}

func (t *Trust) defaults() {
	if t.GOOS == "" {
		t.GOOS = runtime.GOOS
	}
	if t.Home == "" {
		t.Home, _ = os.UserHomeDir()
	}
	if t.Anchors == nil {
		t.Anchors = map[string]string{
			"update-ca-certificates": "/usr/local/share/ca-certificates",
			"update-ca-trust":        "/etc/pki/ca-trust/source/anchors",
		}
	}
	if t.LookPath == nil {
		t.LookPath = exec.LookPath
	}
	if t.Run == nil {
		t.Run = func(name string, args ...string) error {
			cmd := exec.Command(name, args...)
			cmd.Stdout, cmd.Stderr = t.Out, t.Out
			return cmd.Run()
		}
	}
}

// ca reads the CA and names it after its fingerprint, so several data dirs
// (several CAs) can be trusted side by side and each removed on its own.
func (t *Trust) ca() (der []byte, nick string, err error) {
	b, err := os.ReadFile(t.CAPath)
	if err != nil {
		return nil, "", fmt.Errorf("the local CA: %w (start the shop once to create it)", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, "", fmt.Errorf("%s is not a PEM certificate", t.CAPath)
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		return nil, "", fmt.Errorf("%s: %w", t.CAPath, err)
	}
	sum := sha256.Sum256(blk.Bytes)
	return blk.Bytes, "ocean-local-ca-" + hex.EncodeToString(sum[:6]), nil
}

// Add trusts the CA. It returns an error when no store took it.
func (t *Trust) Add() error { return t.apply(true) }

// Remove stops trusting the CA.
func (t *Trust) Remove() error { return t.apply(false) }

func (t *Trust) apply(add bool) error {
	t.defaults()
	der, nick, err := t.ca()
	if err != nil {
		return err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	var done int
	var problems []error
	report := func(store string, err error) {
		switch err {
		case nil:
			done++
			if add {
				fmt.Fprintf(t.Out, "trusted in %s\n", store)
			} else {
				fmt.Fprintf(t.Out, "removed from %s\n", store)
			}
		default:
			fmt.Fprintf(t.Out, "%s: %v\n", store, err)
			problems = append(problems, fmt.Errorf("%s: %w", store, err))
		}
	}
	switch t.GOOS {
	case "darwin":
		report("the macOS system keychain", t.macOS(add))
	case "linux":
		report("the system trust store", t.linuxSystem(add, nick, pemBytes))
		report("the NSS databases (Chrome, Firefox)", t.nss(add, nick))
	default:
		return fmt.Errorf("ocean trust does not know %s's trust stores: add %s by hand", t.GOOS, t.CAPath)
	}
	if done == 0 {
		return errors.Join(problems...)
	}
	return nil
}

// missing is a tool that is not installed, with the package to install.
func missing(tool, pkg string) error {
	return fmt.Errorf("%s is not installed (%s)", tool, pkg)
}

func (t *Trust) linuxSystem(add bool, nick string, pemBytes []byte) error {
	for _, tool := range []string{"update-ca-certificates", "update-ca-trust"} {
		if _, err := t.LookPath(tool); err != nil {
			continue
		}
		dir := t.Anchors[tool]
		file := filepath.Join(dir, nick+".crt")
		if add {
			if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // the system's trust anchor directory: every user's programs read it
				return permission(err)
			}
			if err := os.WriteFile(file, pemBytes, 0o644); err != nil { //nolint:gosec // a CA certificate is public; every user's programs must read it
				return permission(err)
			}
		} else if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return permission(err)
		}
		args := []string{}
		if tool == "update-ca-trust" {
			args = []string{"extract"}
		} else if !add {
			args = []string{"--fresh"}
		}
		return t.Run(tool, args...)
	}
	if _, err := t.LookPath("trust"); err == nil {
		if add {
			return t.Run("trust", "anchor", "--store", t.CAPath)
		}
		return t.Run("trust", "anchor", "--remove", t.CAPath)
	}
	return missing("update-ca-certificates, update-ca-trust or trust", "install ca-certificates, or p11-kit on Arch")
}

func permission(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w: the system store needs root (sudo ocean trust)", err)
	}
	return err
}

// nssDBs are the NSS databases of the user: Chrome's and every Firefox
// profile's.
func (t *Trust) nssDBs() []string {
	var dbs []string
	if _, err := os.Stat(filepath.Join(t.Home, ".pki/nssdb/cert9.db")); err == nil {
		dbs = append(dbs, filepath.Join(t.Home, ".pki/nssdb"))
	}
	for _, pattern := range []string{".mozilla/firefox/*", "snap/firefox/common/.mozilla/firefox/*"} {
		ms, _ := filepath.Glob(filepath.Join(t.Home, pattern, "cert9.db"))
		for _, m := range ms {
			dbs = append(dbs, filepath.Dir(m))
		}
	}
	return dbs
}

func (t *Trust) nss(add bool, nick string) error {
	dbs := t.nssDBs()
	if len(dbs) == 0 {
		if add {
			// Chrome creates its database on first start; make it so a
			// browser installed later trusts the CA too.
			dbs = []string{filepath.Join(t.Home, ".pki/nssdb")}
		} else {
			return nil
		}
	}
	if _, err := t.LookPath("certutil"); err != nil {
		return missing("certutil", "install libnss3-tools on Debian and Ubuntu, nss-tools on Fedora, nss on Arch")
	}
	var errs []error
	for _, db := range dbs {
		var err error
		if add {
			if err = os.MkdirAll(db, 0o700); err == nil {
				if _, serr := os.Stat(filepath.Join(db, "cert9.db")); serr != nil {
					err = t.Run("certutil", "-d", "sql:"+db, "-N", "--empty-password")
				}
			}
			if err == nil {
				err = t.Run("certutil", "-d", "sql:"+db, "-A", "-t", "C,,", "-n", nick, "-i", t.CAPath)
			}
		} else {
			err = t.Run("certutil", "-d", "sql:"+db, "-D", "-n", nick)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", db, err))
		}
	}
	return errors.Join(errs...)
}

func (t *Trust) macOS(add bool) error {
	if _, err := t.LookPath("security"); err != nil {
		return missing("security", "part of macOS")
	}
	if add {
		return t.Run("security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", "/Library/Keychains/System.keychain", t.CAPath)
	}
	return t.Run("security", "remove-trusted-cert", "-d", t.CAPath)
}

// TrustLocal is `ocean trust` (add) and `ocean untrust`: the local CA of
// the data directory dir in or out of this machine's trust stores. Adding
// makes the CA first if the shop never ran (hosts as for Local).
func TrustLocal(dir string, add bool, out io.Writer, hosts ...string) error {
	if add {
		if _, _, err := Local(dir, time.Now(), hosts...); err != nil {
			return err
		}
	}
	t := &Trust{CAPath: filepath.Join(dir, CAFile), Out: out}
	if add {
		return t.Add()
	}
	return t.Remove()
}
