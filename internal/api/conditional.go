package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Conditional writes, one rule for every versioned admin resource
// (settings, tax rates, products, categories, shipping zones and methods):
// a write names the version it was made from in If-Match ("3", "\"3\"" and
// W/"3" all mean 3; "*" or no header: any version) or, where the body has a
// version field, in the body; the header wins. A stale version is ESTALE
// (412) and changes nothing; a header that is not a version is a 400 before
// the body is read. Answers carry the new version in ETag.

// precondition is the version a write is conditional on; 0 is none.
type precondition int64

// readIfMatch reads If-Match. Handlers call it before reading the body, so
// a malformed header is refused whatever the body holds.
func readIfMatch(r *http.Request) (precondition, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 1 {
		return 0, ocean.Invalid("If-Match must be a version this API gave (the product's or category's version).", ocean.FieldError{Field: "If-Match", Message: "is not a version"})
	}
	return precondition(v), nil
}

// orBody is the precondition with the body's version when the header
// named none.
func (p precondition) orBody(body *int64) precondition {
	if p == 0 && body != nil {
		return precondition(*body)
	}
	return p
}

// version is the version the store must still find (0: any).
func (p precondition) version() int64 { return int64(p) }

// from is the version to write from: the one asked for, else current (an
// unconditional write).
func (p precondition) from(current int64) int64 {
	if p == 0 {
		return current
	}
	return int64(p)
}

// stale reports whether the write asked for a version that is no longer
// current.
func (p precondition) stale(current int64) bool { return p != 0 && int64(p) != current }

// etag answers with a resource's version.
func etag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}
