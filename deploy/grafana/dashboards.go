// Package grafana generates Ocean's Grafana dashboards (the JSON files in
// this directory) from code, so every panel is reviewed as a query and the
// files cannot drift from it: the test fails when a committed file differs
// from what Dashboards renders; `go test ./deploy/grafana -update`
// rewrites them. deploy/prometheus's tests check that every metric a panel
// reads is one a running Ocean exports.
package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Dashboard is the part of Grafana's dashboard model Ocean uses.
type Dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Tags          []string   `json:"tags"`
	Timezone      string     `json:"timezone"`
	Editable      bool       `json:"editable"`
	GraphTooltip  int        `json:"graphTooltip"`
	SchemaVersion int        `json:"schemaVersion"`
	Version       int        `json:"version"`
	Refresh       string     `json:"refresh"`
	Time          timeRange  `json:"time"`
	Templating    templating `json:"templating"`
	Annotations   struct {
		List []any `json:"list"`
	} `json:"annotations"`
	Links  []any    `json:"links"`
	Panels []*Panel `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	Name       string      `json:"name"`
	Label      string      `json:"label"`
	Type       string      `json:"type"`
	Query      any         `json:"query"`
	Datasource *datasource `json:"datasource,omitempty"`
	Refresh    int         `json:"refresh,omitempty"`
	IncludeAll bool        `json:"includeAll"`
	Multi      bool        `json:"multi"`
	AllValue   string      `json:"allValue,omitempty"`
	Current    struct{}    `json:"current"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

var prometheusDS = &datasource{Type: "prometheus", UID: "${datasource}"}

// Panel is one panel: a row, a time series, a stat or a table.
type Panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	GridPos     gridPos     `json:"gridPos"`
	Datasource  *datasource `json:"datasource,omitempty"`
	Targets     []Target    `json:"targets,omitempty"`
	FieldConfig *fieldCfg   `json:"fieldConfig,omitempty"`
	Options     any         `json:"options,omitempty"`
	Collapsed   *bool       `json:"collapsed,omitempty"`
	Panels      []any       `json:"panels,omitempty"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat,omitempty"`
	Instant      bool   `json:"instant,omitempty"`
	Format       string `json:"format,omitempty"`
}

type fieldCfg struct {
	Defaults  fieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

type fieldDefaults struct {
	Unit       string      `json:"unit,omitempty"`
	Decimals   *int        `json:"decimals,omitempty"`
	Min        *float64    `json:"min,omitempty"`
	Max        *float64    `json:"max,omitempty"`
	Thresholds *thresholds `json:"thresholds,omitempty"`
	Color      *struct {
		Mode string `json:"mode"`
	} `json:"color,omitempty"`
}

type thresholds struct {
	Mode  string `json:"mode"`
	Steps []step `json:"steps"`
}

type step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// q is a query with its legend.
type q struct{ expr, legend string }

// board builds a dashboard panel by panel, laying panels out left to
// right, 24 columns wide.
type board struct {
	d      *Dashboard
	x, y   int
	rowH   int
	nextID int
}

func newBoard(uid, title, description string) *board {
	d := &Dashboard{UID: uid, Title: title, Description: description, Tags: []string{"ocean"}, Timezone: "utc",
		Editable: true, GraphTooltip: 1, SchemaVersion: 39, Version: 1, Refresh: "30s",
		Time: timeRange{From: "now-6h", To: "now"}, Links: []any{}}
	d.Annotations.List = []any{}
	d.Templating.List = []variable{
		{Name: "datasource", Label: "Prometheus", Type: "datasource", Query: "prometheus"},
		{Name: "job", Label: "Job", Type: "query", Datasource: prometheusDS, Refresh: 2,
			Query: map[string]string{"query": "label_values(up, job)", "refId": "job"}, Multi: false},
		{Name: "instance", Label: "Instance", Type: "query", Datasource: prometheusDS, Refresh: 2, IncludeAll: true, Multi: true, AllValue: ".*",
			Query: map[string]string{"query": `label_values(up{job="$job"}, instance)`, "refId": "instance"}},
	}
	return &board{d: d, nextID: 1}
}

// row starts a new row of panels under a heading.
func (b *board) row(title string) {
	b.newline()
	f := false
	b.d.Panels = append(b.d.Panels, &Panel{ID: b.id(), Type: "row", Title: title, Collapsed: &f, Panels: []any{},
		GridPos: gridPos{H: 1, W: 24, X: 0, Y: b.y}})
	b.y++
}

func (b *board) newline() {
	if b.x > 0 {
		b.y += b.rowH
		b.x, b.rowH = 0, 0
	}
}

func (b *board) id() int { b.nextID++; return b.nextID - 1 }

func (b *board) place(p *Panel, w, h int) {
	if b.x+w > 24 {
		b.newline()
	}
	p.ID, p.GridPos, p.Datasource = b.id(), gridPos{H: h, W: w, X: b.x, Y: b.y}, prometheusDS
	b.x += w
	if h > b.rowH {
		b.rowH = h
	}
	b.d.Panels = append(b.d.Panels, p)
}

func targets(qs []q, instant bool) []Target {
	out := make([]Target, len(qs))
	for i, x := range qs {
		out[i] = Target{RefID: string(rune('A' + i)), Expr: x.expr, LegendFormat: x.legend, Instant: instant}
	}
	return out
}

// graph adds a time series panel.
func (b *board) graph(w int, title, unit, description string, qs ...q) {
	b.place(&Panel{Type: "timeseries", Title: title, Description: description, Targets: targets(qs, false),
		FieldConfig: &fieldCfg{Defaults: fieldDefaults{Unit: unit}, Overrides: []any{}},
		Options: map[string]any{"legend": map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"}}}, w, 8)
}

// stat adds a single-value panel; th are the values at which the colour
// turns from green to orange to red (or red to orange to green when
// higherIsBetter).
func (b *board) stat(w int, title, unit, description string, higherIsBetter bool, th []float64, qs ...q) {
	colors := []string{"green", "orange", "red"}
	if higherIsBetter {
		colors = []string{"red", "orange", "green"}
	}
	steps := []step{{Color: colors[0]}}
	for i, v := range th {
		steps = append(steps, step{Color: colors[i+1], Value: &v})
	}
	b.place(&Panel{Type: "stat", Title: title, Description: description, Targets: targets(qs, true),
		FieldConfig: &fieldCfg{Defaults: fieldDefaults{Unit: unit, Thresholds: &thresholds{Mode: "absolute", Steps: steps}}, Overrides: []any{}},
		Options: map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode": "value", "graphMode": "area", "textMode": "auto"}}, w, 4)
}

// table adds an instant table panel.
func (b *board) table(w int, title, description string, qs ...q) {
	t := targets(qs, true)
	for i := range t {
		t[i].Format = "table"
	}
	b.place(&Panel{Type: "table", Title: title, Description: description, Targets: t,
		FieldConfig: &fieldCfg{Overrides: []any{}}, Options: map[string]any{"showHeader": true}}, w, 6)
}

// sel is the label selector every panel applies: the chosen job and
// instances.
const sel = `job="$job", instance=~"$instance"`

// Render returns a dashboard as Grafana imports it: indented JSON, with a
// final newline.
func Render(d *Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	return buf.Bytes(), nil
}

// Dashboards returns every dashboard by file name.
func Dashboards() map[string]*Dashboard {
	return map[string]*Dashboard{
		"ocean-service.json":     service(),
		"ocean-business.json":    business(),
		"ocean-locks-cache.json": locksAndCache(),
		"ocean-web-vitals.json":  webVitals(),
	}
}
