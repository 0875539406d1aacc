package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/oceanshop/ocean/internal/observe"
)

func (s *buyShop) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", s.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, b)
	}
	return parseMetrics(t, string(b))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// labelValues lists the values of label across the families named prefix….
func labelValues(mfs map[string]*dto.MetricFamily, prefix, label string) (values []string, series int) {
	seen := map[string]bool{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, m := range mf.GetMetric() {
			series++
			for _, l := range m.GetLabel() {
				if l.GetName() == label && !seen[l.GetValue()] {
					seen[l.GetValue()] = true
					values = append(values, l.GetValue())
				}
			}
		}
	}
	sort.Strings(values)
	return values, series
}

// TestMetricsLabelsStayBounded: requests to many addresses nobody
// planned (random product slugs, cart and order ids, made-up paths with
// queries) add no series: the route label holds route patterns only, the
// query label store method names only.
func TestMetricsLabelsStayBounded(t *testing.T) {
	s := newBuyShopEnv(t, false, map[string]string{"OCEAN_METRICS_TOKEN": metricsToken})
	v := s.product(t, 5, 1000, "ZAR")
	var tokens []string
	get := func(path string) {
		res, err := s.srv.Client().Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	round := func(n int) {
		for range n {
			tok := randomHex(6)
			tokens = append(tokens, tok)
			for _, p := range []string{"/p/" + tok, "/c/" + tok, "/api/v1/products/" + tok, "/api/v1/carts/" + tok + tok + tok,
				"/api/v1/orders/" + tok, "/" + tok + "/x/" + tok + "?q=" + tok, "/static/" + tok + ".css", "/search?q=" + tok} {
				get(p)
			}
			s.do(t, "POST", "/api/v1/carts/"+tok+"/items", "", nil, map[string]any{"variant_id": v, "quantity": 1})
		}
	}
	round(5)
	s.scrape(t) // the scrape's own route is counted from now on
	mfs := s.scrape(t)
	routes, httpSeries := labelValues(mfs, "ocean_http_", "route")
	queries, querySeries := labelValues(mfs, "ocean_db_query_", "query")
	round(40)
	mfs = s.scrape(t)
	routes2, httpSeries2 := labelValues(mfs, "ocean_http_", "route")
	queries2, querySeries2 := labelValues(mfs, "ocean_db_query_", "query")
	if httpSeries2 != httpSeries || !slices.Equal(routes, routes2) {
		t.Errorf("40 more rounds of new addresses grew the HTTP series from %d to %d (routes %q → %q)", httpSeries, httpSeries2, routes, routes2)
	}
	if querySeries2 != querySeries || !slices.Equal(queries, queries2) {
		t.Errorf("query series grew from %d to %d (%q → %q)", querySeries, querySeries2, queries, queries2)
	}
	pattern := regexp.MustCompile(`^((GET|HEAD|POST|PUT|PATCH|DELETE) )?/[A-Za-z0-9_./{}$-]*$|^unrouted$`)
	for _, r := range routes2 {
		if !pattern.MatchString(r) {
			t.Errorf("route label %q is not a route pattern", r)
		}
	}
	name := regexp.MustCompile(`^([a-z]+\.)?[A-Za-z]+$`)
	for _, q := range queries2 {
		if !name.MatchString(q) {
			t.Errorf("query label %q is not a store method name", q)
		}
	}
	body := fmt.Sprint(mfs)
	for _, tok := range tokens {
		if strings.Contains(body, tok) {
			t.Fatalf("the address part %q became a label value", tok)
		}
	}
	if len(routes2) < 4 || len(queries2) < 3 {
		t.Errorf("too few routes %q or queries %q: the test drove nothing", routes2, queries2)
	}
}

// TestMetricsOfACheckout: one declined and one paid checkout through the
// API show in the business, payment, pool, query and build metrics.
func TestMetricsOfACheckout(t *testing.T) {
	s := newBuyShopEnv(t, false, map[string]string{"OCEAN_METRICS_TOKEN": metricsToken})
	v := s.product(t, 5, 40000, "ZAR")
	id := s.cartWith(t, v, 1)
	if st, b := s.do(t, "POST", "/api/v1/carts/"+id+"/checkout", "", key("metrics", 1), checkoutBody("tok_chargeDeclinedInsufficientFunds")); st != 402 {
		t.Fatalf("declined checkout: %d %s", st, b)
	}
	var o orderOut
	s.must(t, 201, "POST", "/api/v1/carts/"+id+"/checkout", "", key("metrics", 2), checkoutBody("tok_visa"), &o)
	mfs := s.scrape(t)
	want := func(name string, labels map[string]string, exactly float64) {
		t.Helper()
		got, ok := value(mfs, name, labels)
		if !ok || got != exactly {
			t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, exactly)
		}
	}
	atLeast := func(name string, labels map[string]string, min float64) {
		t.Helper()
		if got, ok := value(mfs, name, labels); !ok || got < min {
			t.Errorf("%s%v = %v (present %v), want at least %v", name, labels, got, ok, min)
		}
	}
	want("ocean_carts_created_total", nil, 1)
	want("ocean_checkouts_started_total", nil, 2)
	want("ocean_checkouts_completed_total", nil, 1)
	want("ocean_orders_placed_total", map[string]string{"currency": "ZAR"}, 1)
	want("ocean_revenue_minor_units_total", map[string]string{"currency": "ZAR"}, float64(o.Totals.Total.Amount))
	want("ocean_payments_total", map[string]string{"gateway": "sandbox", "outcome": "succeeded", "reason": "none"}, 1)
	want("ocean_payments_total", map[string]string{"gateway": "sandbox", "outcome": "declined", "reason": "insufficient_funds"}, 1)
	want("ocean_payment_failures_total", map[string]string{"gateway": "sandbox", "reason": "insufficient_funds"}, 1)
	want("ocean_build_info", nil, 1)
	for _, pool := range []string{"write", "read"} {
		atLeast("ocean_db_pool_open_connections", map[string]string{"pool": pool}, 1)
		atLeast("ocean_db_pool_max_open_connections", map[string]string{"pool": pool}, 1)
		atLeast("ocean_db_pool_idle_connections", map[string]string{"pool": pool}, 0)
		atLeast("ocean_db_pool_in_use_connections", map[string]string{"pool": pool}, 0)
		atLeast("ocean_db_pool_wait_count_total", map[string]string{"pool": pool}, 0)
		atLeast("ocean_db_pool_wait_duration_seconds_total", map[string]string{"pool": pool}, 0)
	}
	atLeast("ocean_db_query_duration_seconds", map[string]string{"query": "commerce.Reserve"}, 2)
	atLeast("ocean_db_query_duration_seconds", map[string]string{"query": "commerce.MarkPaid"}, 1)
	if mf := mfs["ocean_build_info"]; mf != nil {
		labels := map[string]string{}
		for _, l := range mf.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["version"] == "" || !strings.HasPrefix(labels["goversion"], "go") {
			t.Errorf("ocean_build_info labels %v", labels)
		}
	}
}

// otlpReceiver is an OTLP/HTTP trace receiver: what a collector would get.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []span
}

type span struct {
	trace, id, parent, name string
	attrs                   map[string]string
	failed                  bool
}

func (rcv *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				attrs := map[string]string{}
				for _, kv := range sp.GetAttributes() {
					attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
				}
				rcv.spans = append(rcv.spans, span{hex.EncodeToString(sp.GetTraceId()), hex.EncodeToString(sp.GetSpanId()),
					hex.EncodeToString(sp.GetParentSpanId()), sp.GetName(), attrs, sp.GetStatus().GetCode() == 2})
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// tree renders the spans of one trace under root, children in start order
// as exported (the batcher keeps end order; sort by name for stability).
func tree(spans []span, root span, depth int, b *strings.Builder) {
	fmt.Fprintf(b, "%s%s", strings.Repeat("  ", depth), root.name)
	if k := root.attrs["lock.key"]; k != "" {
		fmt.Fprintf(b, " [%s]", strings.SplitN(k, ":", 2)[0])
	}
	if o := root.attrs["payment.outcome"]; o != "" {
		fmt.Fprintf(b, " [%s]", o)
	}
	b.WriteString("\n")
	for _, s := range spans {
		if s.parent == root.id {
			tree(spans, s, depth+1, b)
		}
	}
}

// TestTraceOfACheckout: with an OTLP endpoint set, one checkout through the
// real handler stack is one trace continuing the caller's traceparent:
// the server span, the checkout under it, and under that the SQL
// statements, the locks and the gateway calls.
func TestTraceOfACheckout(t *testing.T) {
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "ocean-test")
	s := newBuyShopEnv(t, false, nil)
	if !s.app.Tracing.Enabled() {
		t.Fatal("OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is off")
	}
	v := s.product(t, 5, 40000, "ZAR")
	id := s.cartWith(t, v, 1)
	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	hdr := key("trace", 1)
	hdr["Traceparent"] = "00-" + caller + "-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("POST", s.srv.URL+"/api/v1/carts/"+id+"/checkout", strings.NewReader(mustJSON(t, checkoutBody("tok_visa"))))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("checkout: %d", res.StatusCode)
	}
	if got := res.Header.Get(observe.TraceResponseHeader); !strings.HasPrefix(got, "00-"+caller+"-") {
		t.Errorf("Traceresponse %q does not name the caller's trace", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.Tracing.Shutdown(ctx); err != nil { // flushes to the receiver
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var inTrace []span
	var server *span
	for _, sp := range rcv.spans {
		if sp.trace != caller {
			continue
		}
		inTrace = append(inTrace, sp)
		if sp.name == "POST /api/v1/carts/{id}/checkout" {
			server = &sp
		}
	}
	if server == nil {
		t.Fatalf("no server span in the caller's trace; %d spans exported", len(rcv.spans))
	}
	if server.parent != "00f067aa0ba902b7" || server.attrs["http.route"] != "POST /api/v1/carts/{id}/checkout" {
		t.Errorf("server span %+v: want the caller's span as parent and the route", server)
	}
	var b strings.Builder
	tree(inTrace, *server, 0, &b)
	t.Logf("the span tree of one checkout:\n%s", b.String())
	var checkout *span
	for _, sp := range inTrace {
		if sp.name == "checkout" && sp.parent == server.id {
			checkout = &sp
		}
	}
	if checkout == nil {
		t.Fatal("no checkout span under the server span")
	}
	under := map[string]int{}
	var walk func(id string)
	walk = func(id string) {
		for _, sp := range inTrace {
			if sp.parent == id {
				under[sp.name]++
				if sp.failed {
					t.Errorf("span %s failed in a good checkout", sp.name)
				}
				walk(sp.id)
			}
		}
	}
	walk(checkout.id)
	for _, name := range []string{"lock.acquire", "lock.release", "commerce.Cart", "commerce.Reserve", "commerce.MarkPaid",
		"payment.authorize", "payment.capture"} {
		if under[name] == 0 {
			t.Errorf("no %s span under the checkout; under it: %v", name, under)
		}
	}
	for _, sp := range inTrace {
		if strings.Contains(sp.name, id) || strings.Contains(sp.name, "SELECT") || strings.Contains(sp.name, "INSERT") {
			t.Errorf("span name %q holds an id or SQL", sp.name)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
