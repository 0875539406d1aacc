package catalog

import (
	"encoding/base64"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Sort orders search results.
type Sort string

const (
	SortRelevance Sort = "relevance"  // best text match first; newest when there is no text
	SortPriceAsc  Sort = "price_asc"  // cheapest variant first
	SortPriceDesc Sort = "price_desc" // dearest first (by cheapest variant)
	SortNewest    Sort = "newest"     // most recently added first
)

// Sorts lists every accepted sort in display order.
var Sorts = []Sort{SortRelevance, SortPriceAsc, SortPriceDesc, SortNewest}

// Limits on what a search may ask for. They keep every query cheap.
const (
	MaxQueryRunes  = 200
	MaxTerms       = 8
	MaxTermRunes   = 40
	DefaultLimit   = 24
	MaxLimit       = 100
	MaxOptionNames = 4
	MaxOptionVals  = 12
	maxCursorLen   = 128
)

// Query is a search as a caller asked for it, after validation.
type Query struct {
	Text     string // the q parameter, trimmed
	Terms    []string
	Category string // category slug, "" for all
	MinPrice *int64 // minor units
	MaxPrice *int64
	InStock  bool
	Options  map[string][]string // option name → accepted values
	Sort     Sort
	Limit    int
	Cursor   *Cursor
}

// EffectiveSort is the order actually used: relevance without words to rank
// by means newest.
func (q Query) EffectiveSort() Sort {
	if q.Sort == SortRelevance && len(q.Terms) == 0 {
		return SortNewest
	}
	return q.Sort
}

// Key is a canonical string for the query, used as a cache key: two queries
// with the same key return the same page.
func (q Query) Key() string {
	// The form url.Values.Encode gives (names sorted, every name and value
	// escaped), so no two different queries share a key (option values may
	// contain ',' or '|'), written without its map: a key is made on every
	// cached listing's request. The names in sorted order: a c l max min
	// o.* q s stock.
	var b strings.Builder
	b.Grow(64)
	add := func(name, value string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	addInt := func(name string, n int64) {
		var d [20]byte
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.Write(strconv.AppendInt(d[:0], n, 10)) // digits and '-' need no escaping
	}
	if q.Cursor != nil {
		add("a", q.Cursor.Encode())
	}
	add("c", q.Category)
	addInt("l", int64(q.Limit))
	if q.MaxPrice != nil {
		addInt("max", *q.MaxPrice)
	}
	if q.MinPrice != nil {
		addInt("min", *q.MinPrice)
	}
	if len(q.Options) > 0 {
		names := make([]string, 0, len(q.Options))
		for n := range q.Options {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			vals := append([]string(nil), q.Options[n]...)
			sort.Strings(vals)
			for _, v := range vals {
				add("o."+n, v)
			}
		}
	}
	add("q", strings.Join(q.Terms, " "))
	add("s", string(q.Sort))
	if q.InStock {
		add("stock", "1")
	}
	return b.String()
}

// ParseQuery validates search parameters. Prices are in minor units.
// Every problem is reported as a field error of one EINVALID error.
// Unknown parameters are ignored. Option filters are "option.NAME=VALUE",
// repeatable.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{Sort: SortRelevance, Limit: DefaultLimit}
	var fe []ocean.FieldError
	bad := func(field, msg string) { fe = append(fe, ocean.FieldError{Field: field, Message: msg}) }

	for name, vals := range v {
		for _, s := range vals {
			if !utf8.ValidString(s) || !utf8.ValidString(name) {
				return q, ocean.Invalid("The search contains text that is not valid UTF-8.",
					ocean.FieldError{Field: safeField(name), Message: "must be valid UTF-8 text"})
			}
		}
	}
	if s := strings.TrimSpace(v.Get("q")); s != "" {
		if utf8.RuneCountInString(s) > MaxQueryRunes {
			bad("q", "must be at most "+strconv.Itoa(MaxQueryRunes)+" characters")
		} else {
			q.Text = s
			q.Terms = ParseTerms(s)
		}
	}
	if s := v.Get("category"); s != "" {
		if !validSlug(s) {
			bad("category", "must be a category slug")
		} else {
			q.Category = s
		}
	}
	q.MinPrice = parsePrice(v, "min_price", bad)
	q.MaxPrice = parsePrice(v, "max_price", bad)
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		bad("max_price", "must not be below min_price")
	}
	switch v.Get("in_stock") {
	case "", "false", "0":
	case "true", "1", "on":
		q.InStock = true
	default:
		bad("in_stock", "must be true or false")
	}
	if s := v.Get("sort"); s != "" {
		if !validSort(Sort(s)) {
			bad("sort", "must be one of relevance, price_asc, price_desc, newest")
		} else {
			q.Sort = Sort(s)
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			bad("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxLimit))
		} else {
			q.Limit = n
		}
	}
	for name, vals := range v {
		opt, ok := strings.CutPrefix(name, "option.")
		if !ok {
			continue
		}
		if !validOptionName(opt) {
			bad(safeField(name), "option names are 1-20 lowercase letters")
			continue
		}
		if q.Options == nil {
			q.Options = map[string][]string{}
		}
		if len(q.Options) >= MaxOptionNames {
			bad(safeField(name), "at most "+strconv.Itoa(MaxOptionNames)+" option filters")
			continue
		}
		for _, val := range vals {
			if val == "" {
				continue
			}
			if utf8.RuneCountInString(val) > MaxTermRunes || len(q.Options[opt]) >= MaxOptionVals {
				bad(name, "too many or too long option values")
				break
			}
			q.Options[opt] = append(q.Options[opt], val)
		}
		if len(q.Options[opt]) == 0 {
			delete(q.Options, opt)
		}
	}
	if len(q.Options) == 0 {
		q.Options = nil
	}
	if s := v.Get("cursor"); s != "" {
		c, err := DecodeCursor(s)
		if err != nil {
			bad("cursor", "is not a cursor this API returned; start again without it")
		} else if c.Sort != q.EffectiveSort() {
			bad("cursor", "belongs to a different sort order; start again without it")
		} else {
			q.Cursor = &c
		}
	}
	if len(fe) > 0 {
		return q, ocean.Invalid("The search parameters are not valid.", fe...)
	}
	return q, nil
}

func safeField(name string) string {
	if !utf8.ValidString(name) || len(name) > 40 {
		return "query"
	}
	return name
}

func parsePrice(v url.Values, field string, bad func(string, string)) *int64 {
	s := v.Get(field)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<50 {
		bad(field, "must be a non-negative whole number of minor units (cents)")
		return nil
	}
	return &n
}

func validSort(s Sort) bool {
	for _, x := range Sorts {
		if s == x {
			return true
		}
	}
	return false
}

func validOptionName(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// ParseTerms splits free text into lowercase search words: runs of letters
// and digits, without English stop words (so both databases agree: FTS5
// would prefix-match "the" to "theme" while PostgreSQL drops it). Everything else (quotes, operators, punctuation) separates
// words, so no input can change the meaning of the full-text query the
// adapters build. At most MaxTerms words of at most MaxTermRunes runes.
func ParseTerms(s string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		f = strings.ToLower(f)
		if utf8.RuneCountInString(f) > MaxTermRunes {
			f = string([]rune(f)[:MaxTermRunes])
		}
		if seen[f] || stopWords[f] {
			continue
		}
		seen[f] = true
		terms = append(terms, f)
		if len(terms) == MaxTerms {
			break
		}
	}
	return terms
}

// Cursor is a keyset position: the sort key of the last item seen and its
// id. Only the field for the cursor's sort is meaningful.
type Cursor struct {
	Sort  Sort
	Price int64   // price_asc, price_desc
	Time  int64   // newest: creation time, Unix microseconds
	Rank  float64 // relevance: the store's rank, lower is better
	ID    int64
}

// Encode makes the opaque string handed to clients.
func (c Cursor) Encode() string {
	var key string
	switch c.Sort {
	case SortPriceAsc, SortPriceDesc:
		key = strconv.FormatInt(c.Price, 10)
	case SortNewest:
		key = strconv.FormatInt(c.Time, 10)
	default:
		key = strconv.FormatFloat(c.Rank, 'g', -1, 64)
	}
	raw := "1|" + string(c.Sort) + "|" + key + "|" + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a string made by Encode. Anything else is an error.
func DecodeCursor(s string) (Cursor, error) {
	var c Cursor
	errBad := ocean.Errorf(ocean.EINVALID, "invalid cursor")
	if len(s) == 0 || len(s) > maxCursorLen {
		return c, errBad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, errBad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != "1" {
		return c, errBad
	}
	c.Sort = Sort(parts[1])
	if !validSort(c.Sort) {
		return c, errBad
	}
	id, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || id <= 0 {
		return c, errBad
	}
	c.ID = id
	switch c.Sort {
	case SortPriceAsc, SortPriceDesc:
		n, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || n < 0 {
			return c, errBad
		}
		c.Price = n
	case SortNewest:
		n, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return c, errBad
		}
		c.Time = n
	default:
		f, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return c, errBad
		}
		c.Rank = f
	}
	if c.Encode() != s {
		return c, errBad // one canonical spelling per position
	}
	return c, nil
}

// stopWords are the words PostgreSQL's 'english' text search configuration
// ignores (its english.stop list); searching for them alone means no terms.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself
		yourselves he him his himself she her hers herself it its itself they them their
		theirs themselves what which who whom this that these those am is are was were be
		been being have has had having do does did doing a an the and but if or because as
		until while of at by for with about against between into through during before after
		above below to from up down in out on off over under again further then once here
		there when where why how all any both each few more most other some such no nor not
		only own same so than too very s t can will just don should now`) {
		m[w] = true
	}
	return m
}()
