package knowledge

import (
	"bufio"
	"context"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Seed puts every decision record of docs/decisions (in fsys) into the
// graph: an entity "decision/NNNN-name" of type decision, whose
// observations are its title and its paragraphs and bullets, related
// ("concerns") to each package it names (internal/… or a backquoted
// path of one), an entity of type package. It adds what is missing and
// changes nothing else, so it runs at every start; the team's own
// additions stay. It returns the number of decisions read.
func (s *Service) Seed(ctx context.Context, fsys fs.FS) (int, error) {
	files, err := fs.Glob(fsys, "docs/decisions/*.md")
	if err != nil {
		return 0, err
	}
	var es []Entity
	var rs []Relation
	pkgs := map[string]bool{}
	n := 0
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return n, err
		}
		name := "decision/" + strings.TrimSuffix(path.Base(f), ".md")
		if path.Base(f) == "README.md" || path.Base(f) == "index.md" {
			continue
		}
		n++
		obs, named := parseDecision(string(b))
		if len(obs) > MaxItems {
			obs = obs[:MaxItems]
		}
		es = append(es, Entity{Name: name, EntityType: "decision", Observations: obs})
		for _, p := range named {
			pkgs[p] = true
			rs = append(rs, Relation{From: name, To: p, RelationType: "concerns"})
		}
	}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		es = append(es, Entity{Name: p, EntityType: "package", Observations: []string{"Go package " + p + " of the shop."}})
	}
	for i := 0; i < len(es); i += MaxItems {
		batch := es[i:min(i+MaxItems, len(es))]
		if _, err := s.CreateEntities(ctx, batch); err != nil {
			return n, err
		}
		// Observations added to a decision record since the last start.
		for _, e := range batch {
			if len(e.Observations) > 0 {
				if _, err := s.AddObservations(ctx, e.Name, e.Observations); err != nil {
					return n, err
				}
			}
		}
	}
	for i := 0; i < len(rs); i += MaxItems {
		if _, err := s.CreateRelations(ctx, rs[i:min(i+MaxItems, len(rs))]); err != nil {
			return n, err
		}
	}
	return n, nil
}

var pkgRef = regexp.MustCompile("internal/[a-z0-9_]+(?:/[a-z0-9_]+)*")

// parseDecision returns a record's observations (the title, then each
// paragraph and bullet as one line, cut to MaxObservation) and the
// packages it names.
func parseDecision(md string) (obs []string, pkgs []string) {
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if r := []rune(s); len(r) > MaxObservation {
			s = string(r[:MaxObservation-1]) + "…"
		}
		if s != "" && !seen[s] {
			seen[s] = true
			obs = append(obs, s)
		}
	}
	var para []string
	section := ""
	flush := func() {
		if len(para) > 0 {
			t := strings.Join(para, " ")
			if section != "" {
				t = section + ": " + t
			}
			add(t)
			para = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "# "):
			flush()
			add("Title: " + strings.TrimPrefix(line, "# "))
		case strings.HasPrefix(line, "#"):
			flush()
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
		case line == "":
			flush()
		case strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* "):
			flush()
			para = append(para, strings.TrimSpace(line[2:]))
		default:
			para = append(para, line)
		}
	}
	flush()
	found := map[string]bool{}
	for _, loc := range pkgRef.FindAllStringIndex(md, -1) {
		m := md[loc[0]:loc[1]]
		if rest := md[loc[1]:]; len(rest) > 1 && rest[0] == '.' && rest[1] >= 'a' && rest[1] <= 'z' {
			// internal/cli/app.go names a file: its package is the directory.
			m = path.Dir(m)
		}
		if m != "internal" && !found[m] {
			found[m] = true
			pkgs = append(pkgs, m)
		}
	}
	sort.Strings(pkgs)
	return obs, pkgs
}
