package catalog

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// keyByValues is how Key was first written (url.Values.Encode): the keys
// the cache holds, here and in the shared tier, must not change with the
// faster form.
func keyByValues(q Query) string {
	v := url.Values{}
	v.Set("q", strings.Join(q.Terms, " "))
	v.Set("c", q.Category)
	if q.MinPrice != nil {
		v.Set("min", strconv.FormatInt(*q.MinPrice, 10))
	}
	if q.MaxPrice != nil {
		v.Set("max", strconv.FormatInt(*q.MaxPrice, 10))
	}
	if q.InStock {
		v.Set("stock", "1")
	}
	for n, vals := range q.Options {
		vals = append([]string(nil), vals...)
		sort.Strings(vals)
		v["o."+n] = vals
	}
	v.Set("s", string(q.Sort))
	v.Set("l", strconv.Itoa(q.Limit))
	if q.Cursor != nil {
		v.Set("a", q.Cursor.Encode())
	}
	return v.Encode()
}

func TestKeyIsTheEncodedQuery(t *testing.T) {
	lo, hi, neg := int64(500), int64(129900), int64(-3)
	for _, q := range []Query{
		{Sort: SortRelevance, Limit: DefaultLimit},
		{Terms: []string{"red", "shoe"}, Category: "shoes", Sort: SortPriceAsc, Limit: 100, MinPrice: &lo, MaxPrice: &hi, InStock: true},
		{Terms: []string{"a&b=c", "ü %"}, Sort: SortNewest, Limit: 1, MaxPrice: &neg},
		{Category: "x", Options: map[string][]string{"size": {"M", "L", "S"}, "colour": {"red|blue", "a,b"}, "fit & cut": {}}, Sort: SortPriceDesc, Limit: 24,
			Cursor: &Cursor{Sort: SortPriceDesc, Price: 1999, ID: 42}},
		{Terms: []string{"x"}, Sort: SortRelevance, Limit: 24, Cursor: &Cursor{Sort: SortRelevance, Rank: -1.5, ID: 7}, InStock: true},
	} {
		if got, want := q.Key(), keyByValues(q); got != want {
			t.Errorf("Key() = %q, want %q", got, want)
		}
	}
}
