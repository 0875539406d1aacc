package catalog

import (
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

func TestParseQueryAccepts(t *testing.T) {
	q, err := ParseQuery(url.Values{"q": {"  Red LINEN shirt!! red "}, "category": {"shirts"}, "min_price": {"1000"}, "max_price": {"50000"},
		"in_stock": {"true"}, "sort": {"price_desc"}, "limit": {"10"}, "option.size": {"M", "L"}, "utm_source": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.Terms, []string{"red", "linen", "shirt"}) || q.Category != "shirts" || *q.MinPrice != 1000 || *q.MaxPrice != 50000 ||
		!q.InStock || q.Sort != SortPriceDesc || q.Limit != 10 || !slices.Equal(q.Options["size"], []string{"M", "L"}) {
		t.Fatalf("got %+v", q)
	}
	d, err := ParseQuery(url.Values{})
	if err != nil || d.Sort != SortRelevance || d.Limit != DefaultLimit || d.EffectiveSort() != SortNewest {
		t.Fatalf("defaults %+v %v", d, err)
	}
}

func TestParseQueryRejects(t *testing.T) {
	for field, v := range map[string]url.Values{
		"sort":      {"sort": {"cheapest"}},
		"min_price": {"min_price": {"-1"}},
		"max_price": {"min_price": {"500"}, "max_price": {"100"}},
		"limit":     {"limit": {"1000"}},
		"in_stock":  {"in_stock": {"maybe"}},
		"cursor":    {"cursor": {"not-a-cursor"}},
		"category":  {"category": {"../etc"}},
		"q":         {"q": {strings.Repeat("a", MaxQueryRunes+1)}},
	} {
		_, err := ParseQuery(v)
		if ocean.ErrorCode(err) != ocean.EINVALID {
			t.Errorf("%s: got %v, want invalid", field, err)
			continue
		}
		if fe := ocean.ErrorFields(err); len(fe) == 0 || fe[0].Field != field {
			t.Errorf("%s: fields = %+v", field, fe)
		}
	}
	if _, err := ParseQuery(url.Values{"q": {"caf\xe9"}}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Errorf("invalid UTF-8 accepted: %v", err)
	}
	// A cursor from one sort is not valid for another.
	c := Cursor{Sort: SortPriceAsc, Price: 100, ID: 3}.Encode()
	if _, err := ParseQuery(url.Values{"cursor": {c}, "sort": {"newest"}}); ocean.ErrorCode(err) != ocean.EINVALID {
		t.Errorf("cursor for another sort accepted: %v", err)
	}
	if q, err := ParseQuery(url.Values{"cursor": {c}, "sort": {"price_asc"}}); err != nil || q.Cursor.ID != 3 {
		t.Errorf("own cursor refused: %v", err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{
		{Sort: SortPriceAsc, Price: 129900, ID: 7},
		{Sort: SortPriceDesc, Price: 0, ID: 1},
		{Sort: SortNewest, Time: 1767225600123456, ID: 99},
		{Sort: SortRelevance, Rank: -3.2173984567e-06, ID: 12},
		{Sort: SortRelevance, Rank: -0.1, ID: 1 << 40},
	} {
		got, err := DecodeCursor(c.Encode())
		if err != nil || got != c {
			t.Errorf("%+v: got %+v, %v", c, got, err)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"q=linen+shirt&sort=price_asc", "q=%22%2A%28OR", "min_price=-5", "option.size=M&option.size=L",
		"cursor=MXxwcmljZV9hc2N8MTAwfDM", "q=\xff\xfe", "limit=0", "category=a-b&in_stock=1", "q=" + strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v)
		if err != nil {
			if ocean.ErrorCode(err) != ocean.EINVALID {
				t.Fatalf("error with code %q: %v", ocean.ErrorCode(err), err)
			}
			return
		}
		if len(q.Terms) > MaxTerms || q.Limit < 1 || q.Limit > MaxLimit || !validSort(q.Sort) {
			t.Fatalf("accepted out-of-range query %+v", q)
		}
		for _, term := range q.Terms {
			if term == "" || !utf8.ValidString(term) || strings.ContainsAny(term, `"*():^-+ `) {
				t.Fatalf("unsafe term %q", term)
			}
		}
		if q.MinPrice != nil && *q.MinPrice < 0 {
			t.Fatal("negative price accepted")
		}
		_ = q.Key()
	})
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(Cursor{Sort: SortPriceAsc, Price: 100, ID: 3}.Encode())
	f.Add(Cursor{Sort: SortRelevance, Rank: -1.5, ID: 3}.Encode())
	f.Add(Cursor{Sort: SortNewest, Time: -5, ID: 3}.Encode())
	f.Add("")
	f.Add("MXxyZWxldmFuY2V8TmFOfDM") // NaN rank
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeCursor(s)
		if err != nil {
			return
		}
		if c.ID <= 0 || !validSort(c.Sort) || math.IsNaN(c.Rank) || math.IsInf(c.Rank, 0) {
			t.Fatalf("accepted bad cursor %+v", c)
		}
		if c.Encode() != s {
			t.Fatalf("non-canonical cursor accepted: %q vs %q", s, c.Encode())
		}
	})
}

// Two different filters must never share a cache key, or one shopper's
// result page is served for another's search.
func TestQueryKeysDistinguishQueries(t *testing.T) {
	parse := func(v url.Values) string {
		t.Helper()
		q, err := ParseQuery(v)
		if err != nil {
			t.Fatal(err)
		}
		return q.Key()
	}
	pairs := [][2]url.Values{
		{{"option.size": {"L,M"}}, {"option.size": {"M", "L"}}},
		{{"option.size": {"M|s=x"}}, {"option.size": {"M"}, "sort": {"newest"}}},
		{{"option.a": {"1"}, "option.b": {"2"}}, {"option.a": {"1|o.b=2"}}},
	}
	for _, p := range pairs {
		if a, b := parse(p[0]), parse(p[1]); a == b {
			t.Errorf("%v and %v share key %q", p[0], p[1], a)
		}
	}
	// Order of values does not matter: same filter, same key.
	if parse(url.Values{"option.size": {"M", "L"}}) != parse(url.Values{"option.size": {"L", "M"}}) {
		t.Error("same filter in another order has another key")
	}
}

func TestParseTermsDropsStopWords(t *testing.T) {
	if got := ParseTerms("The shirt for the beach"); !slices.Equal(got, []string{"shirt", "beach"}) {
		t.Fatalf("got %q", got)
	}
	if got := ParseTerms("the"); len(got) != 0 {
		t.Fatalf("got %q", got)
	}
}

func TestShortenKeepsUTF8(t *testing.T) {
	long := strings.Repeat("é", 200) // no spaces: the cut cannot use a word boundary
	got := Shorten(long, 161)
	if !utf8.ValidString(got) || len(got) > 161+len("…") {
		t.Fatalf("Shorten produced %q (valid %v)", got, utf8.ValidString(got))
	}
	if got := Shorten("A  short\n text.", 160); got != "A short text." {
		t.Fatalf("got %q", got)
	}
	if got := Shorten("one two three", 8); got != "one two…" {
		t.Fatalf("got %q", got)
	}
}
