// Package ocean holds the vocabulary every other package shares: the error
// model, money, and identifiers. It imports nothing from the project.
package ocean

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in package httpx; business
// packages document which codes their methods return.
const (
	EINVALID       = "invalid"          // the caller sent something malformed (400)
	EUNPROCESSABLE = "unprocessable"    // well-formed but breaks a business rule (422)
	ENOTFOUND      = "not_found"        // the thing does not exist (404)
	ECONFLICT      = "conflict"         // the state changed under the caller (409)
	ESTALE         = "stale_version"    // the caller's If-Match version is no longer current (412)
	EUNAUTHORIZED  = "unauthorized"     // who are you? (401)
	EFORBIDDEN     = "forbidden"        // you may not (403)
	ETOOLARGE      = "too_large"        // request body or query too big (413)
	EUNSUPPORTED   = "unsupported_type" // a file of a type that is not taken (415)
	EPAYMENT       = "payment_declined" // the payment gateway refused the card (402)
	ERATELIMITED   = "rate_limited"     // slow down (429)
	EUNAVAILABLE   = "unavailable"      // a dependency is down or we are draining (503)
	EINTERNAL      = "internal"         // our fault (500)
)

// FieldError names one invalid input field and says what is wrong with it in
// words a person can act on.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error: a stable machine code, a message that is
// safe to show to the caller, optional per-field details, and the wrapped
// cause for logs (never shown to clients).
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("ocean %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("ocean %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying per-field messages.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first *Error in err's chain, or
// a generic message for anything else, so internals never leak to clients.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side."
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
