package picture

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

var kinds = []string{"t-shirts", "shirts", "jackets", "dresses", "sneakers", "boots", "kitchen", "decor", "bedding", "camping", "hiking"}

var colourNames = []string{"Black", "White", "Navy", "Olive", "Rust", "Sand", "Red", "Grey", "Blue", "Yellow", "Green", "Pink", "Brown"}

// parse walks the whole document with encoding/xml and returns the root
// element's name, its attributes and the text of <title>.
func parse(t testing.TB, b []byte) (root xml.StartElement, title string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, inTitle := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = tok.Copy()
			}
			depth++
			inTitle = tok.Name.Local == "title"
			switch tok.Name.Local {
			case "script", "image", "use", "foreignObject", "text", "style":
				t.Fatalf("unexpected <%s> element", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if a.Name.Local == "href" {
					t.Fatalf("unexpected href attribute")
				}
			}
		case xml.EndElement:
			depth--
			inTitle = false
		case xml.CharData:
			if inTitle {
				title += string(tok)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced document")
	}
	return root, title
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestDeterministic(t *testing.T) {
	for _, k := range append(kinds, "gift-cards") {
		a := SVG(k, "Harbour Tee", "Navy")
		b := SVG(k, "Harbour Tee", "Navy")
		if !bytes.Equal(a, b) {
			t.Errorf("%s: output differs between calls", k)
		}
	}
}

func TestKindsDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, k := range append(kinds, "gift-cards") {
		s := string(SVG(k, "Same Name", "Blue"))
		// Ids depend on the kind too: blank them to compare only the drawing.
		id := strings.SplitN(strings.SplitN(s, `id="b`, 2)[1], `"`, 2)[0]
		body := strings.ReplaceAll(s, id, "")
		if other, ok := seen[body]; ok {
			t.Errorf("%s draws the same picture as %s", k, other)
		}
		seen[body] = k
	}
}

func TestVariantsWithinKind(t *testing.T) {
	if bytes.Equal(SVG("kitchen", "Enamel Mug", "Red"), SVG("kitchen", "Cast Iron Skillet", "Red")) {
		t.Error("mug and skillet should differ")
	}
	if !strings.Contains(string(SVG("kitchen", "Enamel Mug", "Red")), `rx="100" ry="22"`) {
		t.Error("a mug should be drawn for a mug")
	}
	if !strings.Contains(string(SVG("kitchen", "Cast Iron Skillet", "Red")), `r="152"`) {
		t.Error("a pan should be drawn for a skillet")
	}
}

func TestValidSVG(t *testing.T) {
	names := []string{
		"Harbour Tee",
		`<script>alert("x")</script> & 'friends'`,
		`Tom & Jerry's "Best" <Mug>`,
		"",
		"]]> <!-- --> <![CDATA[",
		"\x00\x01 bad \xff utf8",
	}
	for _, k := range append(kinds, "", "gift-cards", "UNKNOWN") {
		for _, n := range names {
			for _, c := range append(colourNames, "", "Chartreuse", `"><script>`) {
				b := SVG(k, n, c)
				root, title := parse(t, b)
				if root.Name.Local != "svg" || attr(root, "role") != "img" || attr(root, "viewBox") != "0 0 600 600" {
					t.Fatalf("bad root element %v", root)
				}
				if strings.Contains(string(b), "<script") {
					t.Fatalf("script text appears unescaped: %s", b)
				}
				if strings.ToValidUTF8(n, "") == n && !strings.ContainsAny(n, "\x00\x01") && title != n {
					t.Errorf("title = %q, want %q", title, n)
				}
				if len(b) > 3072 {
					t.Errorf("%s/%q/%s: %d bytes, want at most 3 KB", k, n, c, len(b))
				}
			}
		}
	}
}

func TestColour(t *testing.T) {
	navy, _ := Hex("Navy")
	if !strings.Contains(string(SVG("t-shirts", "Tee", "Navy")), navy) {
		t.Error("variant colour not used")
	}
	// Unknown or empty colours pick a colour from the name, deterministically.
	if !bytes.Equal(SVG("t-shirts", "Tee", ""), SVG("t-shirts", "Tee", "Mauve")) {
		t.Error("unknown colour should behave like no colour")
	}
}

func TestHex(t *testing.T) {
	for _, c := range colourNames {
		for _, name := range []string{c, strings.ToLower(c), strings.ToUpper(c)} {
			h, ok := Hex(name)
			if !ok || len(h) != 7 || h[0] != '#' || strings.Trim(h[1:], "0123456789abcdef") != "" {
				t.Errorf("Hex(%q) = %q, %v", name, h, ok)
			}
		}
	}
	for _, c := range []string{"", "Mauve", "#fff"} {
		if h, ok := Hex(c); ok {
			t.Errorf("Hex(%q) = %q, want unknown", c, h)
		}
	}
}

func FuzzSVG(f *testing.F) {
	f.Add("t-shirts", "Harbour Tee", "Navy")
	f.Add("kitchen", `<script>alert('x')</script> & "co"`, "")
	f.Add("boots", "]]>\x00\xff", "Chartreuse")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, kind, name, colour string) {
		b := SVG(kind, name, colour)
		parse(t, b)
		if bytes.Contains(b, []byte("<script")) {
			t.Fatalf("script text appears unescaped")
		}
	})
}

// Issue 13: the demo's colours all have swatches, and knitwear is drawn as
// a garment, not the generic price tag.
func TestDemoColoursAndKnitwear(t *testing.T) {
	for _, c := range []string{"Forest", "Stone", "Charcoal", "Ink", "Natural", "Ochre", "Sage"} {
		if _, ok := Hex(c); !ok {
			t.Errorf("%s has no swatch", c)
		}
	}
	// Knitwear has a drawing of its own: a jumper with ribbed cuffs and hem
	// and a cable, neither the tee nor the generic price tag.
	knit := SVG("knitwear", "Cable jumper", "Navy")
	tee := SVG("t-shirts", "Cable jumper", "Navy")
	generic := SVG("no-such-kind", "Cable jumper", "Navy")
	if bytes.Equal(knit, tee) || bytes.Equal(knit, generic) || !bytes.Contains(knit, []byte("stroke-dasharray")) || !bytes.Contains(knit, []byte("M288 178Q318 203")) {
		t.Fatal("knitwear is not drawn as a knitted garment")
	}
	parse(t, knit)
	for _, alias := range []string{"jumpers", "Cardigans", "sweaters", "knits"} {
		if !bytes.Equal(SVG(alias, "Cable jumper", "Navy"), knit) {
			t.Errorf("%s is not drawn as knitwear", alias)
		}
	}
}
