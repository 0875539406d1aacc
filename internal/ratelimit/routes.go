package ratelimit

import "net/http"

// Limited marks h, a route's handler, as counting against classes: the
// route tables (packages api and web) declare each route's classes this
// way when they register it, and the limiter middleware reads them with
// ClassesOf from the handler the mux would choose. Without classes h is
// returned as it is.
func Limited(h http.Handler, classes ...string) http.Handler {
	if len(classes) == 0 {
		return h
	}
	return limited{Handler: h, classes: classes}
}

type limited struct {
	http.Handler
	classes []string
}

// ClassesOf returns the classes h was registered with (see Limited); nil
// for a handler that is not limited.
func ClassesOf(h http.Handler) []string {
	if l, ok := h.(limited); ok {
		return l.classes
	}
	return nil
}
