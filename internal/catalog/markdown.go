package catalog

import (
	"html"
	"net/url"
	"strings"
)

// RenderDescription turns a product description written in a small, safe
// subset of Markdown into HTML: paragraphs, headings (# to ###, shown one
// level below the page's title), bullet and numbered lists, **strong**,
// *emphasis* (or _emphasis_) and [links](https://…) with http, https or
// mailto addresses only, marked rel="nofollow". Everything else is text:
// every character that means something in HTML is escaped, so the result
// holds no markup but the few tags written here, whatever the input. Package
// web trusts it as template.HTML for that reason (FuzzRenderDescription
// holds it to it).
func RenderDescription(src string) string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	var b strings.Builder
	var para []string
	var list []string
	listTag := ""
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			b.WriteString(inline(strings.Join(para, " ")))
			b.WriteString("</p>\n")
			para = nil
		}
	}
	flushList := func() {
		if len(list) > 0 {
			b.WriteString("<" + listTag + ">\n")
			for _, it := range list {
				b.WriteString("<li>" + inline(it) + "</li>\n")
			}
			b.WriteString("</" + listTag + ">\n")
			list = nil
		}
	}
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			flushPara()
			flushList()
			continue
		}
		if level, text, ok := heading(t); ok {
			flushPara()
			flushList()
			tag := []string{"h2", "h3", "h4"}[min(level, 3)-1]
			b.WriteString("<" + tag + ">" + inline(text) + "</" + tag + ">\n")
			continue
		}
		if tag, text, ok := listItem(t); ok {
			flushPara()
			if listTag != tag {
				flushList()
			}
			listTag = tag
			list = append(list, text)
			continue
		}
		if len(list) > 0 { // a continuation line of the last item
			list[len(list)-1] += " " + t
			continue
		}
		para = append(para, t)
	}
	flushPara()
	flushList()
	return b.String()
}

func heading(t string) (int, string, bool) {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n >= len(t) || t[n] != ' ' {
		return 0, "", false
	}
	return n, strings.TrimSpace(t[n:]), true
}

func listItem(t string) (string, string, bool) {
	if len(t) > 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ' {
		return "ul", strings.TrimSpace(t[2:]), true
	}
	i := 0
	for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return "ol", strings.TrimSpace(t[i+2:]), true
	}
	return "", "", false
}

// inline renders emphasis, strong and links in one line of text; the rest
// is escaped.
func inline(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case strings.HasPrefix(s, "**"):
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString("<strong>" + inline(s[2:2+end]) + "</strong>")
				s = s[end+4:]
				continue
			}
		case s[0] == '*' || s[0] == '_':
			if end := strings.IndexByte(s[1:], s[0]); end > 0 && s[1] != ' ' {
				b.WriteString("<em>" + inline(s[1:1+end]) + "</em>")
				s = s[end+2:]
				continue
			}
		case s[0] == '[':
			if text, href, rest, ok := link(s); ok {
				if u, ok := safeURL(href); ok {
					b.WriteString(`<a href="` + html.EscapeString(u) + `" rel="nofollow">` + inline(text) + "</a>")
				} else {
					b.WriteString(inline(text))
				}
				s = rest
				continue
			}
		case s[0] == '\\' && len(s) > 1 && strings.IndexByte(`\*_[]()#`, s[1]) >= 0:
			b.WriteString(html.EscapeString(s[1:2]))
			s = s[2:]
			continue
		}
		// Plain text up to the next character that may start markup.
		n := strings.IndexAny(s[1:], "*_[\\")
		if n < 0 {
			n = len(s) - 1
		}
		b.WriteString(html.EscapeString(s[:n+1]))
		s = s[n+1:]
	}
	return b.String()
}

// link parses "[text](href)" at the start of s.
func link(s string) (text, href, rest string, ok bool) {
	close := strings.Index(s, "](")
	if close < 1 {
		return "", "", "", false
	}
	end := strings.IndexByte(s[close+2:], ')')
	if end < 0 {
		return "", "", "", false
	}
	text = s[1:close]
	if strings.ContainsAny(text, "[]") {
		return "", "", "", false
	}
	return text, strings.TrimSpace(s[close+2 : close+2+end]), s[close+3+end:], true
}

// safeURL accepts absolute http, https and mailto addresses only.
func safeURL(href string) (string, bool) {
	if href == "" || strings.ContainsAny(href, " \t\n<>\"'`") {
		return "", false
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return u.String(), true
}
