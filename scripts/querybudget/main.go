// Command querybudget visits every kind of page of a running Ocean on
// PostgreSQL, one page at a time, and writes what the database did for
// each: every statement with its plan and time as PostgreSQL's
// auto_explain logged them (EXPLAIN ANALYZE, BUFFERS, of the statement the
// page really ran), grouped by page, into a Markdown report; then it
// measures search and listing latency over the HTTP server with queries
// that miss the catalog cache. scripts/explain.sh sets the database up for
// it (auto_explain on, an admin account) and starts the server; see
// docs/query-budget.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:57880", "the Ocean server (loopback)")
	dbURL := flag.String("db", os.Getenv("OCEAN_DATABASE_URL"), "the server's database (the markers between pages are written through it)")
	logPath := flag.String("log", "", "PostgreSQL's server log, where auto_explain writes")
	out := flag.String("out", "docs/query-budget.md", "the report")
	adminEmail := flag.String("admin-email", "", "an admin account")
	adminPass := flag.String("admin-password", "", "its password")
	shopper := flag.String("shopper", "shopper1@scale.example", "a generated customer (ocean seed --scale)")
	shopperPass := flag.String("shopper-password", "scale-shopper-password", "its password")
	n := flag.Int("n", 200, "-measure: requests per kind")
	measureOnly := flag.Bool("measure", false, "only measure search and listing latency (a fresh server), into -latency; with -db and -log (auto_explain on, without ANALYZE) also each statement's")
	latFile := flag.String("latency", "", "the latency measurement's JSON: written by -measure, put in the report otherwise")
	flag.Parse()
	ctx := context.Background()
	if *measureOnly {
		if err := checkLoopback(*target); err != nil {
			fmt.Fprintln(os.Stderr, "querybudget:", err)
			os.Exit(1)
		}
		lat, err := measureStatements(ctx, newClient(*target), *n, *dbURL, *logPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "querybudget:", err)
			os.Exit(1)
		}
		for _, l := range lat {
			fmt.Printf("%-55s n=%d p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms\n", l.Kind, l.N, l.p(0.5), l.p(0.95), l.p(0.99), l.p(1))
			for _, st := range l.Statements {
				fmt.Printf("    %-51s n=%d p50=%.2f ms p95=%.2f ms max=%.2f ms\n", st.Name, len(st.MS), pct(st.MS, 0.5), pct(st.MS, 0.95), pct(st.MS, 1))
			}
		}
		if *latFile != "" {
			b, _ := json.Marshal(lat)                                //nolint:errchkjson // strings and numbers
			if err := os.WriteFile(*latFile, b, 0o600); err != nil { //nolint:gosec // the path the operator gave -latency
				fmt.Fprintln(os.Stderr, "querybudget:", err)
				os.Exit(1)
			}
		}
		return
	}
	if err := run(ctx, config{*target, *dbURL, *logPath, *out, *adminEmail, *adminPass, *shopper, *shopperPass, *latFile}); err != nil {
		fmt.Fprintln(os.Stderr, "querybudget:", err)
		os.Exit(1)
	}
}

type config struct {
	target, db, log, out, adminEmail, adminPass, shopper, shopperPass, latency string
}

func checkLoopback(target string) error {
	if u, err := url.Parse(target); err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("-target %q must be a loopback address", target)
	}
	return nil
}

// page is one visit: a name and the requests it makes.
type page struct {
	name, note string
	visit      func(c *client) error
}

func run(ctx context.Context, cf config) error {
	if cf.log == "" || cf.db == "" {
		return errors.New("-log and -db are required")
	}
	if err := checkLoopback(cf.target); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, cf.db)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	var products, orders int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM orders)`).Scan(&products, &orders); err != nil {
		return err
	}
	// An order from the middle of the history, for the admin's order page
	// and an older page of the list.
	var mid int64
	var midPublic string
	if err := conn.QueryRow(ctx, `SELECT id, public_id FROM orders WHERE id >= (SELECT MAX(id) / 2 FROM orders) ORDER BY id LIMIT 1`).Scan(&mid, &midPublic); err != nil {
		return fmt.Errorf("an order from the middle of the history (is the shop seeded?): %w", err)
	}
	st, err := os.Stat(cf.log)
	if err != nil {
		return err
	}
	from := st.Size()
	mark := func(name string) error {
		// A literal, not a parameter: auto_explain logs the query text.
		_, err := conn.Exec(ctx, `SELECT 'page:`+strings.ReplaceAll(name, "'", "")+`' AS query_budget_marker`)
		return err
	}

	guest, shopper, admin := newClient(cf.target), newClient(cf.target), newClient(cf.target)
	var cartID, token string
	var productSlug, variantID, cursor, orderID string
	pages := []page{
		{"home", "GET /", func(c *client) error { return c.get("/", nil) }},
		{"category", "GET /c/scale-dept-3 (a department: its ten aisles, relevance order)", func(c *client) error { return c.get("/c/scale-dept-3", nil) }},
		{"category, sorted", "GET /c/scale-aisle-3-4?sort=price_asc", func(c *client) error { return c.get("/c/scale-aisle-3-4?sort=price_asc", nil) }},
		{"category, next page", "GET /c/scale-aisle-3-4?sort=price_asc&cursor=… (the cursor from the API's first page)", func(c *client) error {
			var p struct {
				NextCursor string `json:"next_cursor"`
			}
			if err := c.get("/api/v1/products?category=scale-aisle-3-4&sort=price_asc&limit=24", &p); err != nil {
				return err
			}
			cursor = p.NextCursor
			return c.get("/c/scale-aisle-3-4?sort=price_asc&cursor="+url.QueryEscape(cursor), nil)
		}},
		{"category, filtered", "GET /c/scale-dept-5?option.size=M&in_stock=true&min=100&max=900&sort=newest", func(c *client) error {
			return c.get("/c/scale-dept-5?option.size=M&in_stock=true&min=100&max=900&sort=newest", nil)
		}},
		{"search, one word", "GET /search?q=linen", func(c *client) error { return c.get("/search?q=linen", nil) }},
		{"search, two words", "GET /search?q=linen+shirt", func(c *client) error { return c.get("/search?q=linen+shirt", nil) }},
		{"search, sorted and filtered", "GET /search?q=jacket&sort=price_desc&option.size=L", func(c *client) error {
			return c.get("/search?q=jacket&sort=price_desc&option.size=L", nil)
		}},
		{"product", "GET /p/scale-product-N", func(c *client) error {
			var p struct {
				Items []struct {
					Slug string `json:"slug"`
				} `json:"items"`
			}
			if err := c.get("/api/v1/products?q=wool+coat&in_stock=true&limit=1", &p); err != nil {
				return err
			}
			if len(p.Items) == 0 {
				return errors.New("no wool coat in stock: is this a shop seeded with ocean seed --scale?")
			}
			productSlug = p.Items[0].Slug
			var prod struct {
				Variants []struct {
					ID        json.Number `json:"id"`
					Available json.Number `json:"available"`
				} `json:"variants"`
			}
			if err := c.get("/api/v1/products/"+productSlug, &prod); err != nil {
				return err
			}
			for _, v := range prod.Variants {
				if n, _ := v.Available.Int64(); n > 0 {
					variantID = v.ID.String()
				}
			}
			return c.get("/p/"+productSlug, nil)
		}},
		{"sign in", "POST /api/v1/auth/login (a generated customer)", func(c *client) error {
			var tk struct {
				AccessToken string `json:"access_token"`
			}
			err := c.send("POST", "/api/v1/auth/login", "", map[string]string{"email": cf.shopper, "password": cf.shopperPass}, 200, &tk)
			token = tk.AccessToken
			return err
		}},
		{"cart", "POST /api/v1/carts, POST …/items, GET /api/v1/carts/{id}", func(c *client) error {
			var cart struct {
				ID string `json:"id"`
			}
			if err := c.send("POST", "/api/v1/carts", token, nil, 201, &cart); err != nil {
				return err
			}
			cartID = cart.ID
			var vid any = variantID
			if n, err := strconv.ParseInt(variantID, 10, 64); err == nil {
				vid = n
			}
			if err := c.send("POST", "/api/v1/carts/"+cartID+"/items", token, map[string]any{"variant_id": vid, "quantity": 1}, 200, nil); err != nil {
				return err
			}
			return c.send("GET", "/api/v1/carts/"+cartID, token, nil, 200, nil)
		}},
		{"checkout", "POST /api/v1/carts/{id}/checkout (sandbox gateway, tok_visa)", func(c *client) error {
			var o struct {
				ID string `json:"id"`
			}
			body := map[string]any{"email": cf.shopper, "shipping_method": "standard", "payment": map[string]string{"gateway": "sandbox", "token": "tok_visa"},
				"shipping_address": map[string]string{"name": "Query Budget", "line1": "1 Long Street", "city": "Cape Town", "postal_code": "8001", "country": "ZA"}}
			c.header = map[string]string{"Idempotency-Key": fmt.Sprintf("qb-%d", time.Now().UnixNano())}
			defer func() { c.header = nil }()
			err := c.send("POST", "/api/v1/carts/"+cartID+"/checkout", token, body, 201, &o)
			orderID = o.ID
			return err
		}},
		{"order history", "GET /account/orders (signed in through the form)", func(c *client) error {
			if err := c.signIn(cf.shopper, cf.shopperPass); err != nil {
				return err
			}
			return c.get("/account/orders", nil)
		}},
		{"order page", "GET /api/v1/orders/{id} (the order just placed)", func(c *client) error {
			return c.send("GET", "/api/v1/orders/"+orderID, token, nil, 200, nil)
		}},
		{"admin dashboard", "GET /admin", func(c *client) error {
			if err := c.signIn(cf.adminEmail, cf.adminPass); err != nil {
				return err
			}
			return c.get("/admin", nil)
		}},
		{"admin orders", "GET /admin/orders", func(c *client) error { return c.get("/admin/orders", nil) }},
		{"admin orders, by status", "GET /admin/orders?status=paid", func(c *client) error { return c.get("/admin/orders?status=paid", nil) }},
		{"admin orders, older page", "GET /admin/orders?before=N (an order from the middle of the history)", func(c *client) error {
			return c.get(fmt.Sprintf("/admin/orders?before=%d", mid), nil)
		}},
		{"admin order", "GET /admin/orders/N (an order from the middle of the history)", func(c *client) error { return c.get("/admin/orders/"+midPublic, nil) }},
		{"admin products, search", "GET /admin/products?q=linen", func(c *client) error { return c.get("/admin/products?q=linen", nil) }},
		{"admin inventory", "GET /admin/inventory", func(c *client) error { return c.get("/admin/inventory", nil) }},
	}
	clients := map[string]*client{"sign in": shopper, "cart": shopper, "checkout": shopper, "order history": shopper, "order page": shopper}
	var visited []page
	for _, p := range pages {
		c := guest
		if strings.HasPrefix(p.name, "admin") {
			c = admin
		} else if cl, ok := clients[p.name]; ok {
			c = cl
		}
		if strings.HasPrefix(p.name, "admin") && cf.adminEmail == "" {
			continue
		}
		if err := mark(p.name); err != nil {
			return err
		}
		if err := p.visit(c); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		visited = append(visited, p)
	}
	if err := mark("end"); err != nil {
		return err
	}
	entries, err := readLog(cf.log, from, "page:end")
	if err != nil {
		return err
	}
	var lat []latency
	if cf.latency != "" {
		b, err := os.ReadFile(cf.latency)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &lat); err != nil {
			return err
		}
	}
	return os.WriteFile(cf.out, report(visited, entries, products, orders, lat), 0o644) //nolint:gosec // a document for the repository
}

// ---------------------------------------------------------------- HTTP

type client struct {
	base   string
	hc     *http.Client
	header map[string]string
}

func newClient(base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, hc: &http.Client{Jar: jar, Timeout: time.Minute}}
}

func (c *client) get(path string, out any) error { return c.send("GET", path, "", nil, 200, out) }

func (c *client) send(method, path, bearer string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %.300s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		return d.Decode(out)
	}
	return nil
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the storefront's form, so the client carries a
// session cookie like a browser.
func (c *client) signIn(email, password string) error {
	resp, err := c.hc.Get(c.base + "/account/signin")
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	m := reCSRF.FindSubmatch(b)
	if m == nil {
		return errors.New("the sign-in page has no csrf field")
	}
	resp, err = c.hc.PostForm(c.base+"/account/signin", url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || strings.HasSuffix(resp.Request.URL.Path, "/signin") {
		return fmt.Errorf("signing in as %s: %d at %s", email, resp.StatusCode, resp.Request.URL)
	}
	return nil
}

// ---------------------------------------------------------------- the log

// entry is one statement auto_explain logged.
type entry struct {
	page     string
	duration float64 // ms
	query    string
	plan     *node
}

type node struct {
	NodeType     string  `json:"Node Type"`
	Relation     string  `json:"Relation Name"`
	Index        string  `json:"Index Name"`
	CTE          string  `json:"CTE Name"`
	Strategy     string  `json:"Strategy"`
	Parent       string  `json:"Parent Relationship"`
	ActualTime   float64 `json:"Actual Total Time"`
	ActualRows   float64 `json:"Actual Rows"`
	Loops        float64 `json:"Actual Loops"`
	SharedHit    int64   `json:"Shared Hit Blocks"`
	SharedRead   int64   `json:"Shared Read Blocks"`
	RowsRemoved  float64 `json:"Rows Removed by Filter"`
	IndexCond    string  `json:"Index Cond"`
	Filter       string  `json:"Filter"`
	SortKey      []string
	SortMethod   string  `json:"Sort Method"`
	Plans        []*node `json:"Plans"`
	RecheckCond  string  `json:"Recheck Cond"`
	HashCond     string  `json:"Hash Cond"`
	Operation    string  `json:"Operation"`
	JoinType     string  `json:"Join Type"`
	SubplanName  string  `json:"Subplan Name"`
	HeapFetches  float64 `json:"Heap Fetches"`
	ExactHeapBlk float64 `json:"Exact Heap Blocks"`
}

var reStart = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
var reDuration = regexp.MustCompile(`LOG:  duration: ([0-9.]+) ms  plan:\s*$`)

// readLog reads the log from offset from until the end marker appears
// (the server writes it asynchronously), and returns the statements
// between the markers.
func readLog(path string, from int64, end string) ([]entry, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		es, done, err := parseLog(path, from, end)
		if err != nil || done {
			return es, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the end marker never reached %s: is auto_explain logging there (scripts/explain.sh)?", path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func parseLog(path string, from int64, end string) ([]entry, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = f.Close() }() // read only
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, false, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []entry
	cur := ""
	var dur float64
	var body strings.Builder
	inPlan := false
	flush := func() (bool, error) {
		if !inPlan {
			return false, nil
		}
		inPlan = false
		var doc struct {
			Query string `json:"Query Text"`
			Plan  *node  `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(body.String()), &doc); err != nil {
			return false, fmt.Errorf("an auto_explain entry is not JSON (auto_explain.log_format must be json): %w", err)
		}
		if m := markerOf(doc.Query); m != "" {
			if m == end {
				return true, nil
			}
			cur = strings.TrimPrefix(m, "page:")
			return false, nil
		}
		if cur != "" {
			out = append(out, entry{page: cur, duration: dur, query: doc.Query, plan: doc.Plan})
		}
		return false, nil
	}
	for sc.Scan() {
		line := sc.Text()
		if reStart.MatchString(line) {
			done, err := flush()
			if err != nil || done {
				return out, done, err
			}
			if m := reDuration.FindStringSubmatch(line); m != nil {
				dur, _ = strconv.ParseFloat(m[1], 64)
				inPlan = true
				body.Reset()
			}
			continue
		}
		if inPlan {
			body.WriteString(strings.TrimPrefix(line, "\t"))
			body.WriteByte('\n')
		}
	}
	done, err := flush()
	return out, done, err
}

// markerOf returns what a marker statement carries ("" for any other
// statement).
func markerOf(q string) string {
	const p = "query_budget_marker"
	if !strings.Contains(q, p) {
		return ""
	}
	i := strings.Index(q, "'")
	j := strings.LastIndex(q, "'")
	if i < 0 || j <= i {
		return ""
	}
	return q[i+1 : j]
}

// ---------------------------------------------------------------- report

func summary(n *node, depth int, b *strings.Builder) {
	if n == nil {
		return
	}
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(n.NodeType)
	if n.Strategy != "" && n.Strategy != "Plain" {
		b.WriteString(" (" + n.Strategy + ")")
	}
	if n.JoinType != "" && n.JoinType != "Inner" {
		b.WriteString(" " + n.JoinType)
	}
	if n.Index != "" {
		b.WriteString(" using " + n.Index)
	}
	if n.Relation != "" {
		b.WriteString(" on " + n.Relation)
	}
	if n.CTE != "" {
		b.WriteString(" on " + n.CTE)
	}
	if n.SubplanName != "" {
		b.WriteString(" [" + n.SubplanName + "]")
	}
	fmt.Fprintf(b, "  rows=%s", num(n.ActualRows))
	if n.Loops > 1 {
		fmt.Fprintf(b, " loops=%s", num(n.Loops))
	}
	fmt.Fprintf(b, " time=%.3f ms", n.ActualTime)
	if n.SharedHit+n.SharedRead > 0 {
		fmt.Fprintf(b, " buffers=%d", n.SharedHit+n.SharedRead)
		if n.SharedRead > 0 {
			fmt.Fprintf(b, " (read %d)", n.SharedRead)
		}
	}
	if n.RowsRemoved > 0 {
		fmt.Fprintf(b, " removed=%s", num(n.RowsRemoved))
	}
	for _, c := range []string{n.IndexCond, n.RecheckCond, n.HashCond, n.Filter} {
		if c != "" {
			b.WriteString("  " + shorten(c, 140))
			break
		}
	}
	b.WriteByte('\n')
	for _, c := range n.Plans {
		summary(c, depth+1, b)
	}
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// scans lists the sequential scans of a plan that read more than 1,000
// rows: what the budget does not allow on a big table.
func scans(n *node, out *[]string) {
	if n == nil {
		return
	}
	if n.NodeType == "Seq Scan" && (n.ActualRows+n.RowsRemoved)*max(n.Loops, 1) > 1000 {
		*out = append(*out, fmt.Sprintf("%s (%s rows read)", n.Relation, num((n.ActualRows+n.RowsRemoved)*max(n.Loops, 1))))
	}
	for _, c := range n.Plans {
		scans(c, out)
	}
}

var space = regexp.MustCompile(`\s+`)

func shorten(s string, n int) string {
	s = space.ReplaceAllString(strings.TrimSpace(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func report(pages []page, es []entry, products, orders int64, lat []latency) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Query budget\n\n")
	fmt.Fprintf(&b, "Every statement each page ran on PostgreSQL, with its plan, on a shop of %d products and %d orders made by `ocean seed --scale`. ", products, orders)
	fmt.Fprintf(&b, "Written by `scripts/explain.sh` (%s): PostgreSQL's auto_explain logged each statement the server ran with EXPLAIN (ANALYZE, BUFFERS), one page at a time, ", time.Now().UTC().Format("2006-01-02"))
	b.WriteString("with the catalog cache cold for that page (a cache hit runs no statement at all). Times are the database's own, on the machine the script ran on; ")
	b.WriteString("the budget: no sequential scan of a big table, search and listing under 20 ms p95. How to run it and what was changed for it: docs/performance.md.\n\n")
	if len(lat) > 0 {
		b.WriteString("## Latency over HTTP, cache missed\n\n")
		b.WriteString("Each request a query the catalog cache has not seen (a different word pair, aisle, sort or page), one at a time, through the whole server.\n\n")
		b.WriteString("| kind | requests | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n")
		for _, l := range lat {
			fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.1f | %.1f |\n", l.Kind, l.N, l.p(0.50), l.p(0.95), l.p(0.99), l.p(1))
		}
		b.WriteString("\n")
		statementTable(&b, lat)
	}
	b.WriteString("## Pages\n\n| page | statements | database ms | slowest ms | big sequential scans |\n|---|---|---|---|---|\n")
	byPage := map[string][]entry{}
	for _, e := range es {
		byPage[e.page] = append(byPage[e.page], e)
	}
	for _, p := range pages {
		var total, worst float64
		var sc []string
		for _, e := range byPage[p.name] {
			total += e.duration
			worst = max(worst, e.duration)
			scans(e.plan, &sc)
		}
		s := "none"
		if len(sc) > 0 {
			s = strings.Join(slices.Compact(sc), "; ")
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %d | %.1f | %.1f | %s |\n", p.name, anchor(p.name), len(byPage[p.name]), total, worst, s)
	}
	for _, p := range pages {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", p.name, p.note)
		// The same statement run more than once on a page is shown once.
		type group struct {
			e     entry
			n     int
			worst float64
		}
		var gs []*group
		seen := map[string]*group{}
		for _, e := range byPage[p.name] {
			k := shorten(e.query, 1<<20)
			if g, ok := seen[k]; ok {
				g.n++
				if e.duration > g.worst {
					g.worst, g.e = e.duration, e
				}
				continue
			}
			g := &group{e: e, n: 1, worst: e.duration}
			seen[k] = g
			gs = append(gs, g)
		}
		for i, g := range gs {
			times := ""
			if g.n > 1 {
				times = fmt.Sprintf(", run %d times (the slowest shown)", g.n)
			}
			fmt.Fprintf(&b, "\n%d. %.3f ms%s\n\n   ```sql\n   %s\n   ```\n\n", i+1, g.worst, times, shorten(g.e.query, 1500))
			var sb strings.Builder
			summary(g.e.plan, 0, &sb)
			b.WriteString("   ```\n")
			for _, l := range strings.Split(strings.TrimRight(sb.String(), "\n"), "\n") {
				b.WriteString("   " + l + "\n")
			}
			b.WriteString("   ```\n")
		}
	}
	return b.Bytes()
}

// statementTable writes each statement the measured requests ran, per
// kind, with the database's p50, p95 and slowest time for it.
func statementTable(b *bytes.Buffer, lat []latency) {
	has := false
	for _, l := range lat {
		has = has || len(l.Statements) > 0
	}
	if !has {
		return
	}
	b.WriteString("## Each statement of those requests, database time\n\n")
	b.WriteString("The same requests, each of the catalog's statements as PostgreSQL's auto_explain timed it (executing it; without ANALYZE, so the times are the statement's own). ")
	b.WriteString("Each run counts; a request whose facets were already cached (the same filter in another sort) runs no facet statement, and the shop's settings, shipping and tax are read once and cached, so they are left out. ")
	b.WriteString("One row per statement whatever the filter: an aisle (one category) and a department (eleven), with or without stock and size, share a row.\n\n")
	b.WriteString("| kind | statement | runs | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n")
	for _, l := range lat {
		for _, st := range l.Statements {
			fmt.Fprintf(b, "| %s | %s | %d | %.2f | %.2f | %.2f |\n", l.Kind, strings.ReplaceAll(st.Name, "|", "\\|"), len(st.MS), pct(st.MS, 0.50), pct(st.MS, 0.95), pct(st.MS, 1))
		}
	}
	b.WriteString("\n")
}

func anchor(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, ",", "")
	return strings.ReplaceAll(s, " ", "-")
}

// ---------------------------------------------------------------- latency

type latency struct {
	Kind       string      `json:"kind"`
	N          int         `json:"n"`
	MS         []float64   `json:"ms"`
	Statements []statement `json:"statements,omitempty"`
}

// statement is one query shape the requests of a kind ran, with the
// database's time for each run (auto_explain's duration: executing it,
// not planning or sending it).
type statement struct {
	Name  string    `json:"name"`
	Query string    `json:"query"`
	MS    []float64 `json:"ms"`
}

func (l latency) p(q float64) float64 { return pct(l.MS, q) }

// pct is the q-quantile of ms (nearest rank).
func pct(ms []float64, q float64) float64 {
	if len(ms) == 0 {
		return 0
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	i := int(q*float64(len(s)) + 0.5)
	return s[min(max(i-1, 0), len(s)-1)]
}

// measureStatements is measure with, when dbURL and logPath are given, a
// marker before each kind, and each kind's statements read back from
// PostgreSQL's log and grouped by shape (argument lists folded).
func measureStatements(ctx context.Context, c *client, n int, dbURL, logPath string) ([]latency, error) {
	if dbURL == "" || logPath == "" {
		return measure(c, n, nil), nil
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close(ctx) }()
	st, err := os.Stat(logPath)
	if err != nil {
		return nil, err
	}
	from := st.Size()
	mark := func(name string) error {
		_, err := conn.Exec(ctx, `SELECT 'page:`+strings.ReplaceAll(name, "'", "")+`' AS query_budget_marker`)
		return err
	}
	var markErr error
	lat := measure(c, n, func(kind string) {
		if err := mark(kind); err != nil && markErr == nil {
			markErr = err
		}
	})
	if markErr != nil {
		return nil, markErr
	}
	if err := mark("end"); err != nil {
		return nil, err
	}
	entries, err := readLog(logPath, from, "page:end")
	if err != nil {
		return nil, err
	}
	for i := range lat {
		lat[i].Statements = groupStatements(entries, lat[i].Kind)
	}
	return lat, nil
}

var reArgList = regexp.MustCompile(`\$\d+(\s*,\s*\$\d+)*`)

// shape folds a statement's argument lists ("IN ($3, $4, $5)") so the
// same query over one aisle and over a department count as one.
func shape(q string) string {
	return reArgList.ReplaceAllString(shorten(q, 1<<20), "$…")
}

// statementName says which of the catalog's statements q is ("" for any
// other: the shop's settings, shipping and tax, read once and cached, and
// whatever else ran on the database meanwhile, which the log cannot tell
// apart from the server's).
func statementName(q string) string {
	switch {
	case strings.Contains(q, "SELECT id, k FROM ("):
		switch {
		case strings.Contains(q, "ts_rank"):
			return "hits, by relevance (the first 1,000 matches ranked)"
		case strings.Contains(q, "p.price_min AS k"):
			return "hits, by price"
		case strings.Contains(q, "p.created_at AS k"):
			return "hits, newest first"
		}
		return "hits, in listing order"
	case strings.Contains(q, "matched AS MATERIALIZED"):
		return "facets: counts over the first 1,000 matches"
	case strings.HasPrefix(q, "SELECT c.id, (SELECT COUNT(*)"):
		return "facets: each category's count (capped)"
	case strings.HasPrefix(q, "SELECT COALESCE(MAX(price_max - price_min)"):
		return "price range: the widest spread"
	case strings.HasPrefix(q, "SELECT p.id, p.slug, p.name"):
		return "cards: the page's products"
	case strings.Contains(q, "FROM product_images"):
		return "cards: first photos"
	}
	return ""
}

// groupStatements gathers the catalog's statements of one kind by name
// (the shapes a filter gives one statement count as one).
func groupStatements(es []entry, kind string) []statement {
	var out []statement
	at := map[string]int{}
	for _, e := range es {
		if e.page != kind {
			continue
		}
		name := statementName(e.query)
		if name == "" {
			continue
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, statement{Name: name, Query: shape(e.query)})
		}
		out[i].MS = append(out[i].MS, e.duration)
	}
	return out
}

var (
	adjectives = []string{"breezy", "classic", "cosy", "everyday", "rugged", "slim", "relaxed", "vintage", "bold", "soft", "tailored", "light", "heavy", "urban", "coastal", "alpine", "sunny", "midnight", "quiet", "bright"}
	materials  = []string{"linen", "cotton", "wool", "denim", "leather", "canvas", "silk", "fleece", "corduroy", "suede", "bamboo", "hemp", "merino", "nylon", "velvet"}
	nouns      = []string{"shirt", "jacket", "trousers", "dress", "scarf", "hat", "sweater", "coat", "skirt", "shorts", "hoodie", "blazer", "vest", "cardigan", "jumpsuit", "tunic", "poncho", "parka", "blouse", "kimono", "overalls", "gilet", "anorak", "tote", "backpack", "belt", "gloves", "beanie", "socks", "sneakers"}
	sorts      = []string{"", "price_asc", "price_desc", "newest"}
)

// measure times up to n requests of each kind, one at a time, each a
// query the server has not been asked before (it must be fresh): the
// page misses the catalog cache; the facets, cached without the sort and
// cursor, may hit when the same filter came before with another sort.
func measure(c *client, n int, starting func(kind string)) []latency {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)) //nolint:gosec // picks test queries, no secret
	seen := map[string]bool{}
	fresh := func(gen func() string) (string, bool) {
		for range 1000 {
			p := gen()
			if !seen[p] {
				seen[p] = true
				return p, true
			}
		}
		return "", false // every query of this kind was asked already
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	kinds := []struct {
		name string
		gen  func() string
	}{
		{"search: adjective + noun, relevance", func() string { return "/search?q=" + pick(adjectives) + "+" + pick(nouns) }},
		{"search: material + noun, price sort", func() string {
			return "/search?q=" + pick(materials) + "+" + pick(nouns) + "&sort=" + pick(sorts[1:])
		}},
		{"search: one word", func() string {
			return "/search?q=" + pick(append(append(slices.Clone(adjectives), materials...), nouns...)) + "&sort=" + pick(sorts)
		}},
		{"listing: aisle (10,000 products), any sort", func() string {
			return fmt.Sprintf("/c/scale-aisle-%d-%d?sort=%s", rng.IntN(10), rng.IntN(10), pick(sorts))
		}},
		{"listing: aisle, size and stock filter", func() string {
			return fmt.Sprintf("/c/scale-aisle-%d-%d?sort=%s&option.size=%s&in_stock=true", rng.IntN(10), rng.IntN(10), pick(sorts), pick([]string{"S", "M", "L"}))
		}},
		{"listing: department (100,000 products), price range", func() string {
			lo := 50 + rng.IntN(1500)
			return fmt.Sprintf("/c/scale-dept-%d?sort=%s&min=%d&max=%d", rng.IntN(10), pick(sorts), lo, lo+100+rng.IntN(500))
		}},
	}
	var out []latency
	for _, k := range kinds {
		l := latency{Kind: k.name}
		if starting != nil {
			starting(k.name)
		}
		for range n {
			p, ok := fresh(k.gen)
			if !ok {
				break
			}
			start := time.Now()
			if err := c.get(p, nil); err != nil {
				fmt.Fprintln(os.Stderr, "querybudget:", err)
				continue
			}
			l.MS = append(l.MS, float64(time.Since(start).Microseconds())/1000)
			l.N++
		}
		out = append(out, l)
	}
	return out
}
