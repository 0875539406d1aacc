package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// An owner exports the catalog, checks a file (dry run), confirms it, and
// a refused file writes nothing.
func TestAdminCatalogCSV(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	wantPage(t, boss.get("/admin/products"), 200, "Import CSV", "Export CSV")
	exp := boss.get("/admin/products/export")
	if exp.status != 200 || !strings.HasPrefix(exp.body, "Handle,Title,Body,Vendor,Type,Status") {
		t.Fatalf("export %d: %.200s", exp.status, exp.body)
	}
	page := "/admin/products/import"
	wantPage(t, boss.get(page), 200, "Import products", "CSV file")
	csrf := boss.csrf(page)
	file := "Handle,Title,Type,Status,Variant SKU,Variant Price,Variant Inventory Qty\nscarf,Red scarf,Scarves,active,SC-1,99.00,3\n"
	v := boss.upload(page, csrf, []byte(file))
	wantPage(t, v, 200, "Dry run: 1 products to create", "New categories: Scarves", "scarf")
	if !strings.Contains(v.body, `name="confirm" value="1"`) {
		t.Fatal("no confirmation form")
	}
	if _, err := s.app.Catalog.Product(t.Context(), "scarf"); err == nil {
		t.Fatal("the dry run wrote the product")
	}
	// Confirm: the page's hidden copy of the file is imported.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	_ = mw.WriteField("confirm", "1")
	_ = mw.WriteField("csv", file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", boss.s.srv.URL+page, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", boss.s.srv.URL)
	wantPage(t, boss.do(req), 200, "Imported: 1 products created")
	if p, err := s.app.Catalog.Product(t.Context(), "scarf"); err != nil || p.Variants[0].Stock != 3 {
		t.Fatalf("imported product %+v %v", p, err)
	}
	// A refused row: listed with its column, nothing written, no confirm.
	v = boss.upload(page, csrf, []byte("Handle,Title,Type,Variant SKU,Variant Price\nhat,Hat,Scarves,H-1,cheap\n"))
	wantPage(t, v, 200, "Refused", "Variant Price", "Nothing was imported")
	if strings.Contains(v.body, `name="confirm"`) {
		t.Fatal("a refused file offered to import")
	}
	if v := boss.upload(page, "", []byte(file)); v.status != http.StatusForbidden && !v.refused() {
		t.Fatalf("no csrf: %d", v.status)
	}
	wantRefused(t, boss.upload(page, csrf), "Choose a CSV file.")
}

// The import page's script sends the same forms asking for a stream: the
// rows checked (and written) come back as they go, then the page's new
// content; the page offers the bar and the script, and still works
// without them. Errors found before the stream are ordinary pages.
func TestAdminImportProgress(t *testing.T) {
	s := newOffice(t)
	boss := s.owner(t)
	page := "/admin/products/import"
	v := boss.get(page)
	if !strings.Contains(v.body, `id="import-progress" hidden`) || strings.Count(v.body, " data-progress>") != 1 ||
		!regexp.MustCompile(`<script src="/static/import\.[0-9a-f]+\.js" defer>`).MatchString(v.body) {
		t.Fatalf("the import page has no progress bar, form or script:\n%s", v.body)
	}
	js := boss.get(regexp.MustCompile(`/static/import\.[0-9a-f]+\.js`).FindString(v.body))
	if js.status != 200 || !strings.Contains(js.body, "application/x-ndjson") {
		t.Fatalf("import.js: %d %.100s", js.status, js.body)
	}
	csrf := boss.csrf(page)
	send := func(fields ...string) (*http.Response, string) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "file" {
				fw, _ := mw.CreateFormFile("file", "products.csv")
				_, _ = fw.Write([]byte(fields[i+1]))
				continue
			}
			_ = mw.WriteField(fields[i], fields[i+1])
		}
		_ = mw.Close()
		req, _ := http.NewRequest("POST", boss.s.srv.URL+page, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", boss.s.srv.URL)
		req.Header.Set("Accept", "application/x-ndjson")
		resp, err := boss.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	type line struct {
		Event, Phase, HTML string
		Done, Total        int
		Status             int
	}
	stream := func(fields ...string) (string, line) {
		t.Helper()
		resp, body := send(fields...)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%d %s: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var progress []string
		var last line
		for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
			if last.Event == "done" {
				t.Fatalf("a line after done: %s", l)
			}
			if err := json.Unmarshal([]byte(l), &last); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if last.Event == "progress" {
				progress = append(progress, fmt.Sprintf("%s %d/%d", last.Phase, last.Done, last.Total))
			}
		}
		if last.Event != "done" {
			t.Fatalf("no done line:\n%s", body)
		}
		return strings.Join(progress, ", "), last
	}
	file := "Handle,Title,Type,Status,Variant SKU,Variant Price,Variant Inventory Qty\nscarf,Red scarf,Scarves,active,SC-1,99.00,3\ncap,Cap,Scarves,active,CP-1,50,1\n"
	progress, done := stream("csrf", csrf, "file", file)
	if progress != "check 0/2, check 1/2, check 2/2" || done.Status != 200 || !strings.Contains(done.HTML, "Dry run: 2 products to create") ||
		!strings.Contains(done.HTML, `name="confirm" value="1"`) || strings.Contains(done.HTML, "<html") {
		t.Fatalf("dry run: %s, %d\n%s", progress, done.Status, done.HTML)
	}
	progress, done = stream("csrf", csrf, "confirm", "1", "csv", file)
	if progress != "check 0/2, check 1/2, check 2/2, write 0/2, write 1/2, write 2/2" || done.Status != 200 || !strings.Contains(done.HTML, "Imported: 2 products created") {
		t.Fatalf("import: %s, %d\n%s", progress, done.Status, done.HTML)
	}
	if p, err := s.app.Catalog.Product(t.Context(), "cap"); err != nil || p.Variants[0].Stock != 1 {
		t.Fatalf("imported product %+v %v", p, err)
	}
	// A refused file (confirmed by hand): its rows checked, nothing written.
	progress, done = stream("csrf", csrf, "confirm", "1", "file", "Handle,Title,Type,Variant SKU,Variant Price\nhat,Hat,Scarves,H-1,cheap\n")
	if progress != "check 0/1, check 1/1" || done.Status != 422 || !strings.Contains(done.HTML, "Nothing was imported") {
		t.Fatalf("refused: %s, %d\n%s", progress, done.Status, done.HTML)
	}
	if _, err := s.app.Catalog.Product(t.Context(), "hat"); err == nil {
		t.Fatal("a refused file wrote")
	}
	// Before the stream: no file, or no CSRF token, is a page as without
	// script (after its redirect), which the script shows.
	if resp, body := send("csrf", csrf); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Choose a CSV file.") || !strings.Contains(body, `<main id="main"`) {
		t.Fatalf("no file: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := send("file", file); resp.StatusCode < 400 || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("no csrf: %d %.300s", resp.StatusCode, body)
	}
}
