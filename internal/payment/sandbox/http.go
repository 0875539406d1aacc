package sandbox

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/httpx"
	"github.com/oceanshop/ocean/internal/ocean"
)

// The routes Handler serves.
const (
	TokensPath = "/sandbox-gateway/tokens"
	PayPath    = "/sandbox-gateway/pay"
	StylePath  = "/sandbox-gateway/style.css"
)

// maxBody bounds a token request or a card form: a card is ~100 bytes.
const maxBody = 8 << 10

var (
	//go:embed pay.html
	payHTML string
	//go:embed style.css
	styleCSS []byte

	payPage = template.Must(template.New("pay").Parse(payHTML))
)

// Handler serves the sandbox gateway's own routes, which stand in for a
// processor's: card tokenization for scripts and front ends (POST
// /sandbox-gateway/tokens) and a hosted card page for people without
// JavaScript (/sandbox-gateway/pay). A card number reaches these routes
// only; the shop's own routes see tokens.
func Handler(g *Gateway) http.Handler {
	h := &handler{g: g}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokensPath, h.createToken)
	mux.HandleFunc("OPTIONS "+TokensPath, h.preflight)
	mux.HandleFunc("GET "+PayPath, h.payForm)
	mux.HandleFunc("POST "+PayPath, h.pay)
	mux.HandleFunc("GET "+StylePath, h.style)
	return mux
}

type handler struct{ g *Gateway }

// tokenRequest is the body of POST /sandbox-gateway/tokens.
type tokenRequest struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`
}

// tokenResponse is its answer.
type tokenResponse struct {
	Token string `json:"token"`
	Card  string `json:"card"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// decodeTokenRequest reads a token request with the shop's strict JSON
// reader (httpx.DecodeJSON). Errors are *ocean.Error EINVALID (or
// ETOOLARGE) naming the field.
func decodeTokenRequest(w http.ResponseWriter, r *http.Request) (CardInput, error) {
	var req tokenRequest
	if err := httpx.DecodeJSON(w, r, &req, maxBody); err != nil {
		return CardInput{}, err
	}
	return CardInput(req), nil
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	w.Header().Set("Cache-Control", "no-store")
	card, err := decodeTokenRequest(w, r)
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	tok, err := h.g.Tokenize(r.Context(), card)
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, tokenResponse{Token: tok.ID, Card: tok.Card(), Brand: tok.Brand, Last4: tok.Last4})
}

// allowCORS lets a storefront on another origin tokenize from the browser,
// as with a real processor: the route takes no cookies and changes no shop
// state, so any origin may call it.
func allowCORS(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

func (h *handler) preflight(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "style.css", startTime, bytes.NewReader(styleCSS))
}

// SafeReturn reports whether s is a path on this site to send the shopper
// back to: one leading "/", never "//" or "/\" (which browsers read as
// another host), no scheme, no host, no spaces or control characters.
func SafeReturn(s string) (*url.URL, bool) {
	if s == "" || len(s) > 2048 || s[0] != '/' {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return nil, false
		}
	}
	if strings.HasPrefix(s, "//") {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return nil, false
	}
	return u, true
}

// pageData is what pay.html shows.
type pageData struct {
	Return      string
	Amount      string // formatted for people, "" when not given
	AmountValue string
	Currency    string
	ExpMonth    string
	ExpYear     string
	Errors      []ocean.FieldError
	Err         map[string]string
	Reentered   bool
	TestCards   []TestCard
}

// amountFrom reads the optional amount and currency shown on the page.
func amountFrom(v url.Values) (display, amount, currency string) {
	a, err := strconv.ParseInt(v.Get("amount"), 10, 64)
	ccy := v.Get("currency")
	if err != nil || a <= 0 || len(ccy) != 3 || strings.ToUpper(ccy) != ccy || strings.ToLower(ccy) == ccy {
		return "", "", ""
	}
	return ocean.Money{Amount: a, Currency: ccy}.String(), strconv.FormatInt(a, 10), ccy
}

func (h *handler) payForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret, ok := SafeReturn(q.Get("return"))
	if !ok {
		badReturn(w)
		return
	}
	d := pageData{Return: ret.String(), TestCards: TestCards}
	d.Amount, d.AmountValue, d.Currency = amountFrom(q)
	render(w, http.StatusOK, d)
}

func (h *handler) pay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read. Go back and try again.", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	ret, ok := SafeReturn(f.Get("return"))
	if !ok {
		badReturn(w)
		return
	}
	month, year := strings.TrimSpace(f.Get("exp_month")), strings.TrimSpace(f.Get("exp_year"))
	card := CardInput{Number: f.Get("number"), ExpMonth: atoi(month), ExpYear: atoi(year), CVC: strings.TrimSpace(f.Get("cvc"))}
	tok, err := h.g.Tokenize(r.Context(), card)
	if err != nil {
		if ocean.ErrorCode(err) != ocean.EINVALID {
			httpx.LogError(r, err)
			http.Error(w, "The card could not be checked just now. Go back and try again in a little while.", http.StatusInternalServerError)
			return
		}
		d := pageData{Return: ret.String(), ExpMonth: month, ExpYear: year, TestCards: TestCards, Err: map[string]string{}, Reentered: true}
		d.Amount, d.AmountValue, d.Currency = amountFrom(f)
		d.Errors = ocean.ErrorFields(err)
		for _, fe := range d.Errors {
			d.Err[fe.Field] = fe.Message
		}
		if len(month) > 2 || atoi(month) == 0 && month != "" {
			d.ExpMonth = ""
		}
		if len(year) > 4 {
			d.ExpYear = ""
		}
		render(w, http.StatusBadRequest, d)
		return
	}
	q := ret.Query()
	q.Set("payment_token", tok.ID)
	q.Set("card", tok.Card())
	ret.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, ret.String(), http.StatusSeeOther) //nolint:gosec // ret passed SafeReturn: same-origin paths only
}

// atoi reads a small positive number a person typed; anything else is 0,
// which the card checks refuse with a message.
func atoi(s string) int {
	if len(s) == 0 || len(s) > 4 || !allDigits(s) {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}

func badReturn(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "This payment page was opened with a return address that is not on this shop, so it will not send you there. Go back to the shop and start the payment again.", http.StatusBadRequest)
}

func render(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := payPage.Execute(&buf, d); err != nil {
		http.Error(w, "The payment page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if h.Get("Content-Security-Policy") == "" {
		// Mounted without the shop's security headers: the page needs
		// nothing but its stylesheet and its own form.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// startTime is the stylesheet's Last-Modified: the binary's start.
var startTime = time.Now()
