package api

import (
	"slices"

	"github.com/oceanshop/ocean/internal/catalog"
)

// sortFacet orders option values as catalog.CompareOptionValues says.
func sortFacet(list []facetCount) {
	slices.SortFunc(list, func(a, b facetCount) int { return catalog.CompareOptionValues(a.Value, b.Value) })
}
