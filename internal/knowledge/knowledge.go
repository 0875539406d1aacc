// Package knowledge is the team's knowledge graph: named entities of a
// type, each with observations (short facts), and typed, directed
// relations between entities. It is the shape of the reference MCP
// "memory" server, kept in the shop's own database, so every assistant of
// the team reads and writes one shared memory. The operators' MCP tools
// are its front door; Seed fills it from the project's decision records.
package knowledge

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/oceanshop/ocean/internal/ocean"
)

// Entity is a node: a unique name, a type, and its observations.
type Entity struct {
	Name         string   `json:"name" jsonschema:"unique name, e.g. decision/0014-locks or internal/lock"`
	EntityType   string   `json:"entity_type" jsonschema:"what kind of thing: decision, package, person, incident…"`
	Observations []string `json:"observations" jsonschema:"short facts about it"`
}

// Relation is a directed edge, in active voice: From RelationType To.
type Relation struct {
	From         string `json:"from" jsonschema:"the name of the entity the relation starts at"`
	To           string `json:"to" jsonschema:"the name of the entity it points to"`
	RelationType string `json:"relation_type" jsonschema:"in active voice, e.g. concerns, depends_on, supersedes"`
}

// Graph is a set of entities and the relations among them.
type Graph struct {
	Entities  []Entity   `json:"entities"`
	Relations []Relation `json:"relations"`
}

// Store keeps the graph. Writes of one call are one transaction: an error
// leaves the graph as it was.
type Store interface {
	// CreateEntities adds the entities whose names are new, with their
	// observations, and returns those it added (existing names are left
	// alone).
	CreateEntities(ctx context.Context, es []Entity) ([]Entity, error)
	// CreateRelations adds the relations that are new and returns them;
	// ENOTFOUND names an entity that does not exist.
	CreateRelations(ctx context.Context, rs []Relation) ([]Relation, error)
	// AddObservations adds the new contents to the entity and returns
	// them; ENOTFOUND if there is no such entity.
	AddObservations(ctx context.Context, entity string, contents []string) ([]string, error)
	// DeleteEntities deletes the entities with their observations and
	// relations; unknown names are ignored.
	DeleteEntities(ctx context.Context, names []string) error
	// DeleteObservations removes contents from the entity; unknown ones
	// are ignored.
	DeleteObservations(ctx context.Context, entity string, contents []string) error
	// DeleteRelations removes the relations; unknown ones are ignored.
	DeleteRelations(ctx context.Context, rs []Relation) error
	// Graph returns the entities the filter selects, at most limit of
	// them in name order after the name after, and the relations among
	// them.
	Graph(ctx context.Context, f Filter) (Graph, error)
}

// Filter selects entities: all of them, those with the given names, or
// those whose name, type or an observation contains Query (any case).
type Filter struct {
	Names []string
	Query string
	After string
	Limit int
}

// Limits.
const (
	MaxItems       = 100  // entities, relations or observations per call
	MaxNameRunes   = 200  // names and types
	MaxObservation = 2000 // runes per observation
)

// Service is the graph's rules over a Store.
type Service struct{ store Store }

// NewService returns the service.
func NewService(s Store) *Service { return &Service{store: s} }

func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", ocean.Invalid("A value is missing or too long.", ocean.FieldError{Field: field, Message: fmt.Sprintf("must be 1 to %d characters", max)})
	}
	return s, nil
}

func count(field string, n int) error {
	if n == 0 || n > MaxItems {
		return ocean.Invalid("Too few or too many items.", ocean.FieldError{Field: field, Message: fmt.Sprintf("must hold 1 to %d items", MaxItems)})
	}
	return nil
}

func observations(field string, in []string) ([]string, error) {
	if len(in) > MaxItems {
		return nil, count(field, len(in))
	}
	out := []string{}
	seen := map[string]bool{}
	for i, o := range in {
		o, err := text(fmt.Sprintf("%s[%d]", field, i), o, MaxObservation)
		if err != nil {
			return nil, err
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Service) relations(field string, rs []Relation) ([]Relation, error) {
	if err := count(field, len(rs)); err != nil {
		return nil, err
	}
	out := make([]Relation, len(rs))
	for i, r := range rs {
		var err error
		p := fmt.Sprintf("%s[%d].", field, i)
		if r.From, err = text(p+"from", r.From, MaxNameRunes); err != nil {
			return nil, err
		}
		if r.To, err = text(p+"to", r.To, MaxNameRunes); err != nil {
			return nil, err
		}
		if r.RelationType, err = text(p+"relation_type", r.RelationType, MaxNameRunes); err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// CreateEntities validates and adds entities; see Store.
func (s *Service) CreateEntities(ctx context.Context, es []Entity) ([]Entity, error) {
	if err := count("entities", len(es)); err != nil {
		return nil, err
	}
	out := make([]Entity, len(es))
	for i, e := range es {
		var err error
		p := fmt.Sprintf("entities[%d].", i)
		if e.Name, err = text(p+"name", e.Name, MaxNameRunes); err != nil {
			return nil, err
		}
		if e.EntityType, err = text(p+"entity_type", e.EntityType, MaxNameRunes); err != nil {
			return nil, err
		}
		if e.Observations, err = observations(p+"observations", e.Observations); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return s.store.CreateEntities(ctx, out)
}

// CreateRelations validates and adds relations; see Store.
func (s *Service) CreateRelations(ctx context.Context, rs []Relation) ([]Relation, error) {
	rs, err := s.relations("relations", rs)
	if err != nil {
		return nil, err
	}
	return s.store.CreateRelations(ctx, rs)
}

// AddObservations validates and adds observations; see Store.
func (s *Service) AddObservations(ctx context.Context, entity string, contents []string) ([]string, error) {
	entity, err := text("entity_name", entity, MaxNameRunes)
	if err != nil {
		return nil, err
	}
	if err := count("contents", len(contents)); err != nil {
		return nil, err
	}
	cs, err := observations("contents", contents)
	if err != nil {
		return nil, err
	}
	return s.store.AddObservations(ctx, entity, cs)
}

// DeleteEntities deletes entities; see Store.
func (s *Service) DeleteEntities(ctx context.Context, names []string) error {
	if err := count("entity_names", len(names)); err != nil {
		return err
	}
	return s.store.DeleteEntities(ctx, names)
}

// DeleteObservations deletes observations; see Store.
func (s *Service) DeleteObservations(ctx context.Context, entity string, contents []string) error {
	if err := count("observations", len(contents)); err != nil {
		return err
	}
	return s.store.DeleteObservations(ctx, strings.TrimSpace(entity), contents)
}

// DeleteRelations deletes relations; see Store.
func (s *Service) DeleteRelations(ctx context.Context, rs []Relation) error {
	rs, err := s.relations("relations", rs)
	if err != nil {
		return err
	}
	return s.store.DeleteRelations(ctx, rs)
}

// Read returns a page of the graph (Filter.Limit 1 to 500, default 100).
func (s *Service) Read(ctx context.Context, f Filter) (Graph, error) {
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Limit < 1 || f.Limit > 500 {
		return Graph{}, ocean.Invalid("The limit is out of range.", ocean.FieldError{Field: "limit", Message: "must be from 1 to 500"})
	}
	if len(f.Names) > MaxItems {
		return Graph{}, count("names", len(f.Names))
	}
	if utf8.RuneCountInString(f.Query) > MaxNameRunes {
		return Graph{}, ocean.Invalid("The query is too long.", ocean.FieldError{Field: "query", Message: fmt.Sprintf("must be at most %d characters", MaxNameRunes)})
	}
	g, err := s.store.Graph(ctx, f)
	if g.Entities == nil {
		g.Entities = []Entity{}
	}
	if g.Relations == nil {
		g.Relations = []Relation{}
	}
	return g, err
}
