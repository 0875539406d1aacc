package bootstrap

import (
	"os"
	"testing"
)

// TestIsTerminal: a pseudo-terminal is one; a file, a pipe and /dev/null
// (a character device, which a mode check would mistake for a terminal)
// are not.
func TestIsTerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if !isTerminal(ptmx.Fd()) {
		t.Error("a pseudo-terminal master is not seen as a terminal")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, fd := range map[string]uintptr{"/dev/null": null.Fd(), "a file": f.Fd(), "a pipe": w.Fd()} {
		if isTerminal(fd) {
			t.Errorf("%s is seen as a terminal", name)
		}
	}
}
