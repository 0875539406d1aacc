package catalog_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/oceanshop/ocean/internal/catalog"
)

func TestRenderDescription(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Soft cotton.\n\nWash cold.", "<p>Soft cotton.</p>\n<p>Wash cold.</p>\n"},
		{"one\ntwo", "<p>one two</p>\n"},
		{"# Care\n- wash **cold**\n- dry *flat*", "<h2>Care</h2>\n<ul>\n<li>wash <strong>cold</strong></li>\n<li>dry <em>flat</em></li>\n</ul>\n"},
		{"1. first\n2. second", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"},
		{"### Deep", "<h4>Deep</h4>\n"},
		{"See [the guide](https://example.com/a?b=1&c=2).", `<p>See <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow">the guide</a>.</p>` + "\n"},
		{"[mail us](mailto:shop@example.com)", `<p><a href="mailto:shop@example.com" rel="nofollow">mail us</a></p>` + "\n"},
		{"[click](javascript:alert)", "<p>click</p>\n"},
		{"[x](java\tscript:y)", "<p>x</p>\n"},
		{"[x](/relative)", "<p>x</p>\n"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{`a "quote" & 'apos'`, "<p>a &#34;quote&#34; &amp; &#39;apos&#39;</p>\n"},
		{"2 * 3 * 4 and snake_case_name", "<p>2 * 3 * 4 and snake<em>case</em>name</p>\n"},
		{`\*not emphasis\*`, "<p>*not emphasis*</p>\n"},
	} {
		if got := catalog.RenderDescription(tc.in); got != tc.want {
			t.Errorf("RenderDescription(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// allowed matches every tag the renderer may write; whatever is left of the
// output must hold no '<' at all.
var allowed = regexp.MustCompile(`</?(p|h2|h3|h4|ul|ol|li|strong|em)>|<a href="(https?://|mailto:)[^"<>]*" rel="nofollow">|</a>`)

// FuzzRenderDescription: whatever a merchant (or an attacker with a staff
// account) writes, the HTML holds only the renderer's own tags, links go to
// http, https or mailto only, and every attribute value stays quoted.
func FuzzRenderDescription(f *testing.F) {
	for _, s := range []string{"# a\n- b **c** *d* [e](https://x.y)", "<img src=x onerror=alert(1)>", "[a](javascript:x)", "**[a](http://x\" onmouseover=\"y)**", "_*_*[", "1) x\n\n* y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := catalog.RenderDescription(src)
		rest := allowed.ReplaceAllString(out, "")
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("markup outside the allowed tags: %q → %q", src, out)
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
			if strings.Contains(strings.ToLower(m[1]), "javascript:") && !strings.HasPrefix(m[1], "http") && !strings.HasPrefix(m[1], "mailto:") {
				t.Fatalf("unsafe link %q", m[1])
			}
		}
	})
}
