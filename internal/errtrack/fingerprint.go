package errtrack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// module is the import path prefix of the shop's own code: its frames are
// the "in-app" ones a fingerprint is made of.
const module = "github.com/oceanshop/ocean/"

// plumbing are in-app packages whose frames say nothing about where a
// failure came from (they are on every failure's stack).
var plumbing = []string{module + "internal/httpx.", module + "internal/errtrack.", module + "internal/ratelimit.", module + "internal/metrics."}

// Frame is one line of a stack.
type Frame struct {
	Function string // package path and function: "github.com/…/web.(*Web).product"
	File     string // trimmed to the module ("internal/web/product.go") or the package
	Line     int
	InApp    bool
}

// Frames resolves program counters into frames, dropping the runtime's
// panic machinery at the top.
func Frames(pcs []uintptr) []Frame {
	if len(pcs) == 0 {
		return nil
	}
	var out []Frame
	fs := runtime.CallersFrames(pcs)
	for {
		f, more := fs.Next()
		if f.Function != "" {
			out = append(out, frameOf(f.Function, f.File, f.Line))
		}
		if !more {
			break
		}
	}
	// A recovered panic's stack starts in the deferred call and
	// runtime.gopanic; the panic site is below them.
	for i, f := range out {
		if f.Function == "runtime.gopanic" {
			out = out[i+1:]
			break
		}
	}
	for len(out) > 0 && strings.HasPrefix(out[0].Function, "runtime.") {
		out = out[1:]
	}
	return out
}

func frameOf(fn, file string, line int) Frame {
	f := Frame{Function: fn, Line: line, InApp: strings.HasPrefix(fn, module)}
	for _, p := range plumbing {
		if strings.HasPrefix(fn, p) {
			f.InApp = false
		}
	}
	// Paths of the build machine are not the event's business: keep the
	// part inside the module, or the last two elements.
	if i := strings.Index(file, "/internal/"); i >= 0 && strings.HasPrefix(fn, module) {
		file = file[i+1:]
	} else if i := strings.LastIndex(file, "/"); i >= 0 {
		if j := strings.LastIndex(file[:i], "/"); j >= 0 {
			file = file[j+1:]
		}
	}
	f.File = file
	return f
}

// FormatStack writes frames one pair of lines each, as Go prints them.
func FormatStack(fs []Frame) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(f.File)
		if f.Line > 0 {
			b.WriteString(":" + strconv.Itoa(f.Line))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// topFrames is how many in-app frames go into a fingerprint.
const topFrames = 3

var (
	digits   = regexp.MustCompile(`\d+`)
	hexRun   = regexp.MustCompile(`\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{8,}\b`)
	quotedJS = regexp.MustCompile(`'[^']*'|"[^"]*"|` + "`[^`]*`")
)

// Normalize makes a message stable across occurrences: numbers, addresses
// and quoted values become placeholders, so "index 7 out of range [3]" and
// "index 9 out of range [5]" fall in one group.
func Normalize(msg string) string {
	msg = quotedJS.ReplaceAllString(msg, "?")
	msg = hexRun.ReplaceAllString(msg, "X")
	msg = digits.ReplaceAllString(msg, "0")
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// Fingerprint is the group key: the kind, the error type and the function
// names of the top in-app frames (line numbers move between releases,
// functions rarely do). Without in-app frames the normalised message takes
// their place, and without either the route does.
func Fingerprint(kind Kind, errType, message string, frames []Frame, route string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", kind, errType)
	n := 0
	for _, f := range frames {
		if !f.InApp {
			continue
		}
		fmt.Fprintf(h, "%s\x00%s\x00", f.Function, f.File)
		if n++; n == topFrames {
			break
		}
	}
	if n == 0 {
		fmt.Fprintf(h, "%s\x00%s", Normalize(message), route)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// errorType names err by its innermost cause's type ("*net.OpError",
// "context.deadlineExceededError"), or the value's type for a panic that
// is not an error.
func errorType(v any) string {
	if err, ok := v.(error); ok {
		for {
			next := errors.Unwrap(err)
			if next == nil {
				if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
					next = j.Unwrap()[0]
				}
			}
			if next == nil {
				break
			}
			err = next
		}
		v = err
	}
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// culprit is the top in-app frame's function, without the module prefix.
func culprit(fs []Frame, route string) string {
	for _, f := range fs {
		if f.InApp {
			return strings.TrimPrefix(f.Function, module+"internal/")
		}
	}
	return route
}
