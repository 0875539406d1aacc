package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Limits of a JSON request body that DecodeJSON enforces. No request of
// the API comes near them; a body beyond them is a mistake or an attack on
// the parser (a deep nest costs stack, a huge array memory).
const (
	// MaxJSONBytes is the default body cap of a JSON request.
	MaxJSONBytes = 64 << 10
	// MaxJSONDepth is how deeply objects and arrays may nest.
	MaxJSONDepth = 32
	// MaxJSONArray is the most elements one array may hold.
	MaxJSONArray = 1000
)

// DecodeJSON reads r's body into v, strictly, and is the one JSON reader of
// every route that takes JSON. The body must be declared JSON (or carry no
// Content-Type), fit in maxBytes, and hold exactly one JSON object: valid
// UTF-8 (escapes included: no lone surrogates), no key twice in an object
// (compared the way encoding/json matches fields, ignoring case), nesting
// at most MaxJSONDepth deep, arrays of at most MaxJSONArray elements, no
// field v does not have, each field of the right type, nothing after the
// object. Anything else is refused with an *ocean.Error (EINVALID, or
// ETOOLARGE over the cap) whose message names the problem and whose field
// errors name the field, so the client sees a 400 (413) problem. On error v
// may be partly filled and must not be used.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, maxBytes int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &ocean.Error{Code: ocean.EINVALID, Message: "The request body must be JSON (Content-Type: application/json)."}
		}
	}
	if maxBytes <= 0 {
		maxBytes = MaxJSONBytes
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &ocean.Error{Code: ocean.ETOOLARGE, Message: "The request body is larger than " + sizeText(maxBytes) + "."}
		}
		return &ocean.Error{Code: ocean.EINVALID, Message: "The request body could not be read.", Err: err}
	}
	return UnmarshalJSON(b, v)
}

func sizeText(n int64) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// UnmarshalJSON is DecodeJSON for a body already read (size checked by the
// caller).
func UnmarshalJSON(b []byte, v any) error {
	if err := CheckJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body"
			}
			return ocean.Invalid("A field has the wrong type.", ocean.FieldError{Field: field, Message: "must be " + typeText(te.Type.String())})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return ocean.Invalid("The request has a field this endpoint does not accept: "+f+".", ocean.FieldError{Field: f, Message: "is not accepted here"})
		default:
			// CheckJSON passed, so this is a value the target refuses (a
			// json.Unmarshaler's own error).
			return &ocean.Error{Code: ocean.EINVALID, Message: "The request body does not fit this endpoint.", Err: err}
		}
	}
	return nil
}

func typeText(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"):
		return "an object"
	}
	return "a " + t
}

// CheckJSON checks that b is exactly one JSON object within the limits
// DecodeJSON describes, without decoding it into anything. Its errors are
// *ocean.Error EINVALID naming the problem and, where there is one, the
// field (a path such as items[2].quantity).
func CheckJSON(b []byte) error {
	s := &scanner{b: b}
	s.space()
	if s.i == len(s.b) {
		return &ocean.Error{Code: ocean.EINVALID, Message: "The request body is empty; send a JSON object."}
	}
	if s.b[s.i] != '{' {
		if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
			return &ocean.Error{Code: ocean.EINVALID, Message: "The request body is null; send a JSON object."}
		}
		return &ocean.Error{Code: ocean.EINVALID, Message: "The request body must be a JSON object."}
	}
	if err := s.value("", 0); err != nil {
		return err
	}
	s.space()
	if s.i != len(s.b) {
		return &ocean.Error{Code: ocean.EINVALID, Message: "The request body has data after the JSON object; send exactly one object."}
	}
	return nil
}

// scanner is a validating JSON reader that knows where it is (the path to
// the current value), which encoding/json does not tell.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) syntax(path, what string) error {
	msg := "The request body is not valid JSON: " + what + " at byte " + strconv.Itoa(s.i) + "."
	if path == "" {
		return &ocean.Error{Code: ocean.EINVALID, Message: msg}
	}
	return ocean.Invalid(msg, ocean.FieldError{Field: path, Message: what})
}

func (s *scanner) value(path string, depth int) error {
	s.space()
	if s.i >= len(s.b) {
		return s.syntax(path, "unexpected end")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(path, depth+1)
	case c == '[':
		return s.array(path, depth+1)
	case c == '"':
		_, err := s.str(path, false)
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(path)
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
				s.i += len(lit)
				return nil
			}
		}
		return s.syntax(path, "unexpected character")
	}
}

func tooDeep(path string) error {
	msg := fmt.Sprintf("The request body nests objects and arrays more than %d levels deep.", MaxJSONDepth)
	if path == "" {
		return &ocean.Error{Code: ocean.EINVALID, Message: msg}
	}
	return ocean.Invalid(msg, ocean.FieldError{Field: path, Message: fmt.Sprintf("nested more than %d levels deep", MaxJSONDepth)})
}

func (s *scanner) object(path string, depth int) error {
	if depth > MaxJSONDepth {
		return tooDeep(path)
	}
	s.i++ // {
	seen := map[string]bool{}
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.syntax(path, "expected a field name")
		}
		key, err := s.str(path, true)
		if err != nil {
			return err
		}
		child := key
		if path != "" {
			child = path + "." + key
		}
		fold := strings.ToLower(strings.ToUpper(key))
		if seen[fold] {
			return ocean.Invalid("The request body has the field "+child+" twice; send each field once.", ocean.FieldError{Field: child, Message: "appears more than once"})
		}
		seen[fold] = true
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.syntax(child, "expected ':'")
		}
		s.i++
		if err := s.value(child, depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return s.syntax(path, "unexpected end")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.syntax(path, "expected ',' or '}'")
		}
	}
}

func (s *scanner) array(path string, depth int) error {
	if depth > MaxJSONDepth {
		return tooDeep(path)
	}
	s.i++ // [
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		if n == MaxJSONArray {
			field := path
			if field == "" {
				field = "body"
			}
			return ocean.Invalid(fmt.Sprintf("The array %s has more than %d elements.", field, MaxJSONArray),
				ocean.FieldError{Field: field, Message: fmt.Sprintf("more than %d elements", MaxJSONArray)})
		}
		if err := s.value(path+"["+strconv.Itoa(n)+"]", depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return s.syntax(path, "unexpected end")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.syntax(path, "expected ',' or ']'")
		}
	}
}

func (s *scanner) number(path string) error {
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return s.syntax(path, "bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.syntax(path, "bad number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.syntax(path, "bad number")
		}
	}
	return nil
}

// str reads a string at s.i (on its opening quote). It refuses bytes that
// are not UTF-8, control characters, bad escapes and lone surrogates, which
// encoding/json would silently turn into U+FFFD. The decoded text is
// returned when want is set (field names).
func (s *scanner) str(path string, want bool) (string, error) {
	s.i++ // "
	var out strings.Builder
	bad := func(what string) (string, error) {
		field := path
		if field == "" {
			field = "body"
		}
		if what == "not UTF-8" {
			return "", ocean.Invalid("The field "+field+" is not valid UTF-8 text.", ocean.FieldError{Field: field, Message: "is not valid UTF-8"})
		}
		return "", s.syntax(field, what)
	}
	for {
		if s.i >= len(s.b) {
			return bad("unterminated string")
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return out.String(), nil
		case c < 0x20:
			return bad("control character in a string")
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return bad("unterminated string")
			}
			e := s.b[s.i+1]
			s.i += 2
			switch e {
			case '"', '\\', '/':
				out.WriteByte(e)
			case 'b':
				out.WriteByte('\b')
			case 'f':
				out.WriteByte('\f')
			case 'n':
				out.WriteByte('\n')
			case 'r':
				out.WriteByte('\r')
			case 't':
				out.WriteByte('\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return bad("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate must be followed by an escaped low one.
					if r >= 0xDC00 || s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
						return bad("not UTF-8")
					}
					s.i += 2
					r2, ok := s.hex4()
					if !ok {
						return bad("bad \\u escape")
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return bad("not UTF-8")
					}
				}
				out.WriteRune(r)
			default:
				return bad("bad escape")
			}
		case c < utf8.RuneSelf:
			out.WriteByte(c)
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				return bad("not UTF-8")
			}
			if want {
				out.Write(s.b[s.i : s.i+n])
			}
			s.i += n
		}
	}
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
	if err != nil || strings.ContainsAny(string(s.b[s.i:s.i+4]), "+-") {
		return 0, false
	}
	s.i += 4
	return rune(n), true //nolint:gosec // four hex digits: at most 0xFFFF
}
