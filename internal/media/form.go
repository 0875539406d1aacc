package media

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"

	"github.com/oceanshop/ocean/internal/ocean"
)

// File is one uploaded file of a form.
type File struct {
	Name string // as the browser sent it; never used as a path
	Data []byte
}

// Form is an upload form: its files (field "file", in order) and its
// other fields.
type Form struct {
	Files  []File
	Values map[string][]string
}

// Limits of a form besides the files' own (MaxBytes each).
const (
	maxFields     = 100     // text fields
	maxFieldBytes = 4 << 10 // one text field
)

// ReadForm reads a multipart form part by part, without temporary files:
// each "file" part into memory up to MaxBytes (one more byte is a 413),
// at most MaxImages files, and at most maxFields other fields of
// maxFieldBytes each. A form that is not multipart, or broken, is a 400.
func ReadForm(mr *multipart.Reader) (*Form, error) {
	f := &Form{Values: map[string][]string{}}
	fields := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, formError(err)
		}
		name := part.FormName()
		if name == "file" {
			if len(f.Files) >= MaxImages {
				return nil, fileError(ocean.ETOOLARGE, fmt.Sprintf("At most %d pictures can be sent at once.", MaxImages))
			}
			data, err := io.ReadAll(io.LimitReader(part, MaxBytes+1))
			if err != nil {
				return nil, formError(err)
			}
			if len(data) > MaxBytes {
				return nil, fileError(ocean.ETOOLARGE, fmt.Sprintf("A picture may be at most %d MB.", MaxBytes>>20))
			}
			if len(data) == 0 && part.FileName() == "" {
				continue // a browser sends an empty part for an empty file input
			}
			f.Files = append(f.Files, File{Name: part.FileName(), Data: data})
			continue
		}
		if name == "" {
			continue
		}
		if fields++; fields > maxFields {
			return nil, ocean.Invalid("The form has too many fields.")
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return nil, formError(err)
		}
		if len(v) > maxFieldBytes {
			return nil, ocean.Invalid("The form is not valid.", ocean.FieldError{Field: name, Message: "is too long"})
		}
		f.Values[name] = append(f.Values[name], string(v))
	}
}

// formError is a broken form. The cause stays in the chain: a door that
// capped the body (http.MaxBytesError) answers 413 instead.
func formError(err error) error {
	return &ocean.Error{Code: ocean.EINVALID, Message: "The upload is not a valid multipart form.", Err: err}
}

// Get returns the first value of a field, "" when there is none.
func (f *Form) Get(name string) string {
	if v := f.Values[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
