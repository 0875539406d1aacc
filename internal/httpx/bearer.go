package httpx

import (
	"net/http"
	"strings"
)

// Bearer returns the token of an "Authorization: Bearer <token>" header
// (the scheme in any case, the token trimmed); ok is false when there is
// none or the scheme is not Bearer. The API's access tokens and the
// metrics token are read with it.
func Bearer(r *http.Request) (token string, ok bool) {
	scheme, tok, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
