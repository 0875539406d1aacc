package catalog

import (
	"cmp"
	"strconv"
	"strings"
)

// sizeOrder is the order people expect clothing and generic sizes in.
var sizeOrder = []string{"xxs", "xs", "s", "m", "l", "xl", "xxl", "2xl", "xxxl", "3xl", "small", "medium", "large"}

// CompareOptionValues orders option values naturally: sizes in size order,
// numbers ("UK 9", "42") numerically, everything else alphabetically. Facet
// lists in every front door use it.
func CompareOptionValues(a, b string) int {
	ga, na, sa := optionRank(a)
	gb, nb, sb := optionRank(b)
	return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(na, nb), cmp.Compare(sa, sb))
}

func optionRank(v string) (int, float64, string) {
	l := strings.ToLower(v)
	for i, s := range sizeOrder {
		if l == s {
			return 0, float64(i), ""
		}
	}
	// "UK 9", "EU 42": a prefix then a number sorts by the number.
	fields := strings.Fields(v)
	if len(fields) > 0 {
		if f, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			return 1, f, strings.Join(fields[:len(fields)-1], " ")
		}
	}
	return 2, 0, l
}
