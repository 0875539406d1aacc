package cli

import "net/http"

// HandleForTest adds a route to a built app's route table, behind the
// whole middleware chain: tests use it for routes production never has
// (one that panics, say).
func (a *App) HandleForTest(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }
