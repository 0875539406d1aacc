package catalog

import (
	"slices"
	"testing"
)

func TestCompareOptionValues(t *testing.T) {
	got := []string{"XL", "Red", "M", "UK 10", "XS", "Blue", "UK 9", "L", "S"}
	slices.SortFunc(got, CompareOptionValues)
	want := []string{"XS", "S", "M", "L", "XL", "UK 9", "UK 10", "Blue", "Red"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
