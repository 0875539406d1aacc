package catalog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// The CSV file of products and variants, in the columns a merchant who
// comes from Shopify knows: one row per variant, the product's own columns
// on the first row of its handle and empty on the rows after it, extra
// rows with only an image for a product's further pictures. See
// docs/catalog-csv.md.

// CSV columns, in the order an export writes them.
const (
	ColHandle    = "Handle"
	ColTitle     = "Title"
	ColBody      = "Body"
	ColVendor    = "Vendor"
	ColType      = "Type"
	ColStatus    = "Status"
	ColSKU       = "Variant SKU"
	ColPrice     = "Variant Price"
	ColCompareAt = "Variant Compare At Price"
	ColGrams     = "Variant Grams"
	ColBarcode   = "Variant Barcode"
	ColQty       = "Variant Inventory Qty"
	ColImageSrc  = "Image Src"
	ColImageAlt  = "Image Alt Text"
)

// ColOptionName and ColOptionValue are the columns of option n (1 to 3).
func ColOptionName(n int) string  { return "Option" + strconv.Itoa(n) + " Name" }
func ColOptionValue(n int) string { return "Option" + strconv.Itoa(n) + " Value" }

// CSVColumns is the header an export writes.
var CSVColumns = []string{ColHandle, ColTitle, ColBody, ColVendor, ColType, ColStatus,
	ColOptionName(1), ColOptionValue(1), ColOptionName(2), ColOptionValue(2), ColOptionName(3), ColOptionValue(3),
	ColSKU, ColPrice, ColCompareAt, ColGrams, ColBarcode, ColQty, ColImageSrc, ColImageAlt}

// columnAliases are other spellings of a column, lower case: Shopify's own
// export calls the body "Body (HTML)".
var columnAliases = map[string]string{
	"body (html)": ColBody, "body (markdown)": ColBody, "body html": ColBody, "description": ColBody,
	"vendor": ColVendor, "brand": ColVendor, "type": ColType, "product type": ColType, "category": ColType,
}

// Limits of an import file.
const (
	MaxImportRows  = 50_000
	MaxImportBytes = 32 << 20
	maxCell        = MaxDescription * 2 // a body as HTML is longer than its Markdown
	// maxImportErrors bounds the refusals listed: a file in the wrong
	// shape would refuse every row.
	maxImportErrors = 1000
)

// ImportError is one refused cell: the spreadsheet row (the header is row
// 1), the column and why.
type ImportError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e ImportError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, %s: %s", e.Row, e.Column, e.Message)
}

// csvFile is a parsed import file: its products in the order their handles
// first appear, and the columns it has (a column left out of the file
// leaves that field of an existing product as it is).
type csvFile struct {
	has      map[string]bool
	products []*csvProduct
	rows     int
}

// csvProduct is the rows of one handle.
type csvProduct struct {
	Handle                            string
	Row                               int // the handle's first row
	Rows                              int // how many rows of the file are the handle's
	Title, Body, Vendor, Type, Status string
	OptionNames                       [3]string
	Variants                          []csvVariant
	Images                            []csvImage
}

// csvVariant is one variant row; nil pointers are blank cells.
type csvVariant struct {
	Row       int
	SKU       string
	Values    [3]string
	Price     *int64
	PriceCell bool // the price cell is filled (and refused when Price is nil)
	CompareAt *int64
	Grams     *int
	Barcode   string
	Qty       *int
}

// csvImage is an Image Src cell.
type csvImage struct {
	Row int
	Src string
	Alt string
}

// productColumns are the columns only a handle's first row fills.
var productColumns = []string{ColTitle, ColBody, ColVendor, ColType, ColStatus, "Option1 Name", "Option2 Name", "Option3 Name"}

// variantColumns make a row a variant row when any of them is filled.
var variantColumns = []string{ColSKU, ColPrice, ColCompareAt, ColGrams, ColBarcode, ColQty, "Option1 Value", "Option2 Value", "Option3 Value"}

// parseCSV reads an import file. Prices are in major units of currency
// ("129.90"). It returns every problem it finds, row by row; a file that
// cannot be read as CSV at all stops at the first broken row.
func parseCSV(r io.Reader, currency string) (*csvFile, []ImportError) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, []ImportError{{Row: 1, Message: "the file could not be read"}}
	}
	if len(data) > MaxImportBytes {
		return nil, []ImportError{{Row: 1, Message: fmt.Sprintf("the file is larger than %d MB; split it", MaxImportBytes>>20)}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's byte order mark
	if !utf8.Valid(data) {
		return nil, []ImportError{{Row: 1, Message: "the file is not UTF-8 text; save it as CSV UTF-8"}}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, []ImportError{{Row: 1, Message: "the file has no header row (Handle, Title, …)"}}
	}
	cols := map[string]int{}
	for i, h := range head {
		name := canonicalColumn(h)
		if _, dup := cols[name]; dup && name != "" {
			return nil, []ImportError{{Row: 1, Column: name, Message: "the column appears twice"}}
		}
		cols[name] = i
	}
	if _, ok := cols[ColHandle]; !ok {
		return nil, []ImportError{{Row: 1, Column: ColHandle, Message: "the file needs a Handle column: it names the product each row belongs to"}}
	}
	f := &csvFile{has: map[string]bool{}}
	for name := range cols {
		f.has[name] = true
	}
	var errs []ImportError
	byHandle := map[string]*csvProduct{}
	skus := map[string]int{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, ImportError{Row: row, Message: "the row is not valid CSV (" + pe.Err.Error() + "); nothing after it was read"})
			} else {
				errs = append(errs, ImportError{Row: row, Message: "the row could not be read"})
			}
			break
		}
		if len(errs) >= maxImportErrors {
			errs = append(errs, ImportError{Row: row, Message: "and more refusals: fix these first"})
			break
		}
		if row-1 > MaxImportRows {
			errs = append(errs, ImportError{Row: row, Message: fmt.Sprintf("a file has at most %d rows; split it", MaxImportRows)})
			break
		}
		f.rows++
		cell := func(name string) string {
			i, ok := cols[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		blank := true
		for _, c := range rec {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		bad := func(col, msg string) { errs = append(errs, ImportError{Row: row, Column: col, Message: msg}) }
		for _, name := range CSVColumns {
			if len(cell(name)) > maxCell {
				bad(name, fmt.Sprintf("is longer than %d bytes", maxCell))
			}
		}
		handle := cell(ColHandle)
		if handle == "" {
			bad(ColHandle, "is empty: every row names its product's handle")
			continue
		}
		if !validSlug(handle) {
			bad(ColHandle, "must be 1-80 lowercase letters, digits and dashes")
			continue
		}
		p := byHandle[handle]
		if p == nil {
			p = &csvProduct{Handle: handle, Row: row, Title: cell(ColTitle), Body: cell(ColBody), Vendor: cell(ColVendor),
				Type: cell(ColType), Status: strings.ToLower(cell(ColStatus))}
			for n := 1; n <= 3; n++ {
				p.OptionNames[n-1] = cell(ColOptionName(n))
			}
			byHandle[handle] = p
			f.products = append(f.products, p)
		} else {
			for _, c := range productColumns {
				if cell(c) != "" && cell(c) != firstValue(p, c) {
					bad(c, fmt.Sprintf("belongs on the handle's first row (row %d); leave it empty on the rows after it", p.Row))
				}
			}
		}
		p.Rows++
		variantRow := false
		for _, c := range variantColumns {
			if cell(c) != "" {
				variantRow = true
			}
		}
		if variantRow {
			v := csvVariant{Row: row, SKU: cell(ColSKU), Barcode: cell(ColBarcode)}
			for n := 1; n <= 3; n++ {
				v.Values[n-1] = cell(ColOptionValue(n))
			}
			if v.SKU == "" {
				bad(ColSKU, "is empty: the import finds variants by SKU, so every variant needs one")
			} else if first, dup := skus[v.SKU]; dup {
				bad(ColSKU, fmt.Sprintf("is also on row %d", first))
			} else {
				skus[v.SKU] = row
			}
			v.Price, v.PriceCell = money(cell(ColPrice), currency, ColPrice, bad), cell(ColPrice) != ""
			v.CompareAt = money(cell(ColCompareAt), currency, ColCompareAt, bad)
			v.Grams = count(cell(ColGrams), MaxWeight, ColGrams, "grams", bad)
			v.Qty = count(cell(ColQty), MaxStock, ColQty, "units", bad)
			p.Variants = append(p.Variants, v)
		}
		if src := cell(ColImageSrc); src != "" {
			p.Images = append(p.Images, csvImage{Row: row, Src: src, Alt: cell(ColImageAlt)})
		} else if cell(ColImageAlt) != "" {
			bad(ColImageAlt, "needs an Image Src on the same row")
		}
		if !variantRow && cell(ColImageSrc) == "" && row != p.Row {
			bad(ColHandle, "the row has neither a variant nor an image")
		}
	}
	return f, errs
}

// canonicalColumn is a header cell's column name: trimmed, matched to the
// known columns without regard to case, or to their aliases.
func canonicalColumn(h string) string {
	h = strings.Join(strings.Fields(h), " ")
	l := strings.ToLower(h)
	if a, ok := columnAliases[l]; ok {
		return a
	}
	for _, c := range CSVColumns {
		if strings.ToLower(c) == l {
			return c
		}
	}
	return h
}

func firstValue(p *csvProduct, col string) string {
	switch col {
	case ColTitle:
		return p.Title
	case ColBody:
		return p.Body
	case ColVendor:
		return p.Vendor
	case ColType:
		return p.Type
	case ColStatus:
		return p.Status
	}
	for n := 1; n <= 3; n++ {
		if col == ColOptionName(n) {
			return p.OptionNames[n-1]
		}
	}
	return ""
}

// money parses a price cell in major units; nil for a blank cell.
func money(s, currency, col string, bad func(col, msg string)) *int64 {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, ",", "") // "1,299.00" as a spreadsheet may format it
	n, err := ocean.ParseMajor(s, currency)
	if err != nil || n > MaxPrice {
		bad(col, fmt.Sprintf("must be an amount in %s such as 129.90 (at most %d decimals, from 0 to %s)", currency, ocean.Digits(currency), FormatMajor(MaxPrice, currency)))
		return nil
	}
	return &n
}

// count parses a whole number cell from 0 to max; nil for a blank cell.
func count(s string, max int, col, unit string, bad func(col, msg string)) *int {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
	if err != nil || n < 0 || n > max {
		bad(col, fmt.Sprintf("must be a whole number of %s from 0 to %d", unit, max))
		return nil
	}
	return &n
}

// FormatMajor writes minor units as a decimal amount in major units
// ("129.90"), as a CSV file holds prices.
func FormatMajor(amount int64, currency string) string {
	d := ocean.Digits(currency)
	neg := amount < 0
	if neg {
		amount = -amount
	}
	unit := int64(1)
	for i := 0; i < d; i++ {
		unit *= 10
	}
	s := strconv.FormatInt(amount/unit, 10)
	if d > 0 {
		s += "." + fmt.Sprintf("%0*d", d, amount%unit)
	}
	if neg {
		s = "-" + s
	}
	return s
}
