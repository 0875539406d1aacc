package catalog

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// looksLikeHTML matches an opening or closing tag: a body with one is HTML
// (Shopify's "Body (HTML)"), anything else is already our Markdown.
var looksLikeHTML = regexp.MustCompile(`(?i)</?(p|br|div|span|strong|b|em|i|u|a|ul|ol|li|h[1-6]|table|tr|td|th|tbody|thead|blockquote|section|article|img|meta|font|hr|code|pre|small|sup|sub|style|script)\b[^>]*>`)

// BodyToMarkdown turns a CSV body into a description: HTML is converted to
// the Markdown subset RenderDescription knows (paragraphs, headings, lists,
// strong, emphasis, http/https/mailto links); every other tag is dropped,
// and script and style elements with their content. Text that has no tag
// is taken as Markdown as it is.
func BodyToMarkdown(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if !looksLikeHTML.MatchString(body) {
		return strings.TrimSpace(body)
	}
	var b strings.Builder
	type list struct {
		ordered bool
		n       int
	}
	var lists []list
	var links []string // the href of each open <a> ("" when not kept)
	skip := ""         // inside <script> or <style>: the closing tag's name
	space := false     // white space since the last word, not yet written
	ends := func(set string) bool {
		n := b.Len()
		return n == 0 || strings.IndexByte(set, b.String()[n-1]) >= 0
	}
	text := func(s string) {
		s = html.UnescapeString(s)
		words := strings.FieldsFunc(s, isHTMLSpace)
		if len(words) == 0 {
			space = space || s != ""
			return
		}
		if r, _ := utf8.DecodeRuneInString(s); (space || isHTMLSpace(r)) && !ends("\n ") {
			b.WriteByte(' ')
		}
		b.WriteString(strings.Join(words, " "))
		r, _ := utf8.DecodeLastRuneInString(s)
		space = isHTMLSpace(r)
	}
	// An opening inline marker takes the pending space before it.
	open := func(marker string) {
		if space && !ends("\n ") {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(marker)
	}
	for len(body) > 0 {
		lt := strings.IndexByte(body, '<')
		if lt < 0 {
			if skip == "" {
				text(body)
			}
			break
		}
		if lt > 0 && skip == "" {
			text(body[:lt])
		}
		body = body[lt:]
		if strings.HasPrefix(body, "<!--") {
			end := strings.Index(body, "-->")
			if end < 0 {
				break
			}
			body = body[end+3:]
			continue
		}
		gt := strings.IndexByte(body, '>')
		if gt < 0 {
			if skip == "" {
				text(body)
			}
			break
		}
		tag := body[1:gt]
		body = body[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		tag = strings.TrimPrefix(tag, "/")
		name := strings.ToLower(tag)
		if i := strings.IndexAny(name, " \t\n/"); i >= 0 {
			name = name[:i]
		}
		if skip != "" {
			if closing && name == skip {
				skip = ""
			}
			continue
		}
		switch name {
		case "strong", "b", "em", "i", "a", "span", "u", "font", "small", "sup", "sub", "code":
		default:
			space = false // a block starts or ends: no space carried over
		}
		switch name {
		case "script", "style":
			if !closing {
				skip = name
			}
		case "p", "div", "section", "article", "blockquote", "table", "tr", "pre", "hr":
			b.WriteString("\n\n")
		case "br":
			b.WriteString("\n")
		case "h1", "h2", "h3", "h4", "h5", "h6":
			b.WriteString("\n\n")
			if !closing {
				level := min(int(name[1]-'0'), 3)
				b.WriteString(strings.Repeat("#", level) + " ")
			}
		case "ul", "ol":
			b.WriteString("\n\n")
			if closing {
				if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
			} else {
				lists = append(lists, list{ordered: name == "ol"})
			}
		case "li":
			if !closing {
				b.WriteString("\n")
				if len(lists) > 0 && lists[len(lists)-1].ordered {
					lists[len(lists)-1].n++
					b.WriteString(itoa(lists[len(lists)-1].n) + ". ")
				} else {
					b.WriteString("- ")
				}
			}
		case "strong", "b", "em", "i":
			marker := "**"
			if name == "em" || name == "i" {
				marker = "*"
			}
			if closing {
				b.WriteString(marker)
			} else {
				open(marker)
			}
		case "a":
			if closing {
				if n := len(links); n > 0 {
					if links[n-1] != "" {
						b.WriteString("](" + links[n-1] + ")")
					}
					links = links[:n-1]
				}
				continue
			}
			href := attr(tag, "href")
			if !safeHref(href) {
				href = ""
			}
			links = append(links, href)
			if href != "" {
				open("[")
			}
		}
	}
	// Tidy: trim every line, at most one blank line in a row, no empty
	// emphasis left by tags around nothing.
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, "****", ""))
		if line == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func itoa(n int) string { return strconv.Itoa(n) }

// attr returns the value of attribute name in a tag's text.
func attr(tag, name string) string {
	l := strings.ToLower(tag)
	i := strings.Index(l, " "+name+"=")
	if i < 0 {
		return ""
	}
	v := tag[i+len(name)+2:]
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(v[1:], q)
		if end < 0 {
			return ""
		}
		return html.UnescapeString(v[1 : end+1])
	}
	if end := strings.IndexAny(v, " \t\n"); end >= 0 {
		v = v[:end]
	}
	return html.UnescapeString(v)
}

// safeHref reports whether a link may be kept: an http, https or mailto
// address without characters that would end a Markdown link.
func safeHref(h string) bool {
	l := strings.ToLower(h)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
		return false
	}
	return !strings.ContainsAny(h, " ()\n\t<>\"")
}
