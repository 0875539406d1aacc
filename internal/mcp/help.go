package mcp

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"unicode"

	"github.com/oceanshop/ocean/internal/ocean"
)

// helpFS holds the shop's help pages: shipping, returns, privacy, FAQ.
//
//go:embed help/*.md
var helpFS embed.FS

// helpSection is one "## " section of a help page.
type helpSection struct {
	Page    string `json:"page" jsonschema:"shipping, returns, privacy or faq"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	URI     string `json:"uri" jsonschema:"the whole page as an MCP resource"`
	words   map[string]bool
	titleWs map[string]bool
}

// helpSections splits every help page into its sections.
func helpSections() []helpSection {
	var out []helpSection
	files, _ := fs.Glob(helpFS, "help/*.md")
	for _, f := range files {
		b, _ := helpFS.ReadFile(f)
		page := strings.TrimSuffix(strings.TrimPrefix(f, "help/"), ".md")
		for _, part := range strings.Split(string(b), "\n## ")[1:] {
			title, text, _ := strings.Cut(part, "\n")
			sec := helpSection{Page: page, Title: strings.TrimSpace(title), Text: strings.TrimSpace(text), URI: "ocean://help/" + page}
			sec.words, sec.titleWs = wordSet(sec.Text+" "+sec.Title+" "+page), wordSet(sec.Title+" "+page)
			out = append(out, sec)
		}
	}
	return out
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words(s) {
		m[w] = true
	}
	return m
}

// words are the lower-case words of s, crudely stemmed (a trailing s, ed,
// ing, then e), so "returns" finds "return" and "stored" finds "store".
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		for _, suf := range []string{"ing", "ed", "s"} {
			if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
				w = strings.TrimSuffix(w, suf)
				break
			}
		}
		if len(w) > 3 && strings.HasSuffix(w, "e") {
			w = w[:len(w)-1] // "store" and "stored" alike
		}
		if len(w) > 1 && !stop[w] {
			out = append(out, w)
		}
	}
	return out
}

var stop = map[string]bool{"the": true, "do": true, "doe": true, "an": true, "is": true, "it": true, "my": true, "to": true, "of": true, "and": true, "or": true, "in": true, "on": true, "can": true, "how": true, "what": true, "when": true, "for": true, "you": true, "we": true, "a": true, "i": true}

type helpIn struct {
	Query string `json:"query" jsonschema:"the shopper's question or a few words, e.g. return a damaged item"`
	Limit int    `json:"limit,omitempty" jsonschema:"sections to return, 1 to 10 (default 3)"`
}

type helpOut struct {
	Items []helpSection `json:"items" jsonschema:"the best-matching sections, best first; empty when nothing matches"`
}

func (o helpOut) Summary() string {
	if len(o.Items) == 0 {
		return "No help section matches; try other words."
	}
	return fmt.Sprintf("%d sections match; the best is %q (%s).", len(o.Items), o.Items[0].Title, o.Items[0].Page)
}

// searchHelp ranks sections by the query's words they contain, a word in
// the title counting double.
func (s *Server) searchHelp(_ context.Context, _ *caller, in helpIn) (helpOut, error) {
	if in.Limit == 0 {
		in.Limit = 3
	}
	if in.Limit < 1 || in.Limit > 10 {
		return helpOut{}, ocean.Invalid("The limit is out of range.", ocean.FieldError{Field: "limit", Message: "must be from 1 to 10"})
	}
	qs := words(in.Query)
	if len(qs) == 0 {
		return helpOut{}, ocean.Invalid("Say what to look for.", ocean.FieldError{Field: "query", Message: "needs at least one word"})
	}
	type hit struct {
		sec   helpSection
		score int
	}
	var hits []hit
	for i, sec := range helpSections() {
		score := 0
		for _, w := range qs {
			if sec.words[w] {
				score += 2
			}
			if sec.titleWs[w] {
				score += 3
			}
		}
		if score > 0 {
			hits = append(hits, hit{sec, score*1000 - i})
		}
	}
	sort.Slice(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	out := helpOut{Items: []helpSection{}}
	for i := 0; i < len(hits) && i < in.Limit; i++ {
		out.Items = append(out.Items, hits[i].sec)
	}
	return out, nil
}
