package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oceanshop/ocean/internal/catalog"
)

// ImportFile is a CSV file of n variant rows: n/2 products of two sizes
// each, in 20 types, with an HTML body, a compare-at price, a barcode and
// stock.
func ImportFile(n int) string {
	var b strings.Builder
	b.WriteString("Handle,Title,Body (HTML),Vendor,Type,Status,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Compare At Price,Variant Grams,Variant Barcode,Variant Inventory Qty\n")
	for i := 0; i < n/2; i++ {
		fmt.Fprintf(&b, "item-%d,Item %d,<p>A <b>fine</b> thing number %d.</p>,Maker %d,Type %d,active,Size,S,SKU-%d-S,%d.90,%d.00,%d,600%07d,%d\n",
			i, i, i, i%50, i%20, i, 100+i%900, 200+i%900, 100+i%400, i, i%30)
		fmt.Fprintf(&b, "item-%d,,,,,,,M,SKU-%d-M,%d.90,,%d,,%d\n", i, i, 110+i%900, 120+i%400, i%17)
	}
	return b.String()
}

// BenchImport measures a real import of a 10,000-row file into an empty
// catalog (the plan and the one transaction), and reports rows a second.
func BenchImport(b *testing.B, open func(b *testing.B) BulkDB) {
	const rows = 10_000
	file := ImportFile(rows)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := open(b)
		svc := catalog.NewService(db.Catalog, nil)
		b.StartTimer()
		start := time.Now()
		reports := 0 // as the admin's progress bar hears it
		rep, err := svc.Import(ctx, alice, strings.NewReader(file), catalog.ImportOptions{Currency: "ZAR", Progress: func(catalog.ImportProgress) { reports++ }})
		total += time.Since(start)
		if err != nil || rep.Created != rows/2 || reports < 100 {
			b.Fatalf("import: %v, %d progress reports, %+v", err, reports, rep)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
}
