package httpx

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// NDJSON is the media type of a streamed answer: one JSON value a line.
const NDJSON = "application/x-ndjson"

// WantsStream reports whether the request's Accept header names NDJSON
// (with a non-zero quality): the client reads a long request's progress
// as it goes, then its outcome (decision 0130).
func WantsStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != NDJSON {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
				continue
			}
		}
		return true
	}
	return false
}

// Stream is an answer sent a line at a time: 200, Content-Type NDJSON,
// each value written and flushed at once, so the client sees progress
// while the handler still works. What would have been the status of an
// ordinary answer travels in the last line. Not safe for concurrent use.
type Stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *json.Encoder
	err error
}

// StartStream sends the status and headers of a streamed answer. Errors
// found before it (authentication, a body too large) are still ordinary
// answers with their own status.
func StartStream(w http.ResponseWriter) *Stream {
	h := w.Header()
	h.Set("Content-Type", NDJSON)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy that buffers would hold the progress back
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	s := &Stream{w: w, rc: http.NewResponseController(w), enc: json.NewEncoder(w)}
	s.err = s.rc.Flush()
	if errors.Is(s.err, http.ErrNotSupported) {
		s.err = nil // nothing to flush through: the lines arrive together
	}
	return s
}

// Send writes v as one line and flushes it. After a failed write (the
// client went away) it does nothing and returns that error again.
func (s *Stream) Send(v any) error {
	if s.err != nil {
		return s.err
	}
	if s.err = s.enc.Encode(v); s.err != nil {
		return s.err
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
	}
	return s.err
}
