package mcp

import (
	"context"
	"fmt"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/knowledge"
)

type entitiesIn struct {
	Entities []knowledge.Entity `json:"entities" jsonschema:"entities to create; names that exist already are left alone"`
}

type entitiesOut struct {
	Entities []knowledge.Entity `json:"entities" jsonschema:"the entities created"`
}

func (o entitiesOut) Summary() string { return fmt.Sprintf("%d entities created.", len(o.Entities)) }

type relationsIn struct {
	Relations []knowledge.Relation `json:"relations" jsonschema:"relations between existing entities, in active voice"`
}

type relationsOut struct {
	Relations []knowledge.Relation `json:"relations" jsonschema:"the relations created (or, for delete_relations, asked to delete)"`
}

func (o relationsOut) Summary() string { return fmt.Sprintf("%d relations.", len(o.Relations)) }

type observationsItem struct {
	EntityName string   `json:"entity_name" jsonschema:"an existing entity"`
	Contents   []string `json:"contents" jsonschema:"facts to add"`
}

type observationsIn struct {
	Observations []observationsItem `json:"observations"`
}

type addedItem struct {
	EntityName        string   `json:"entity_name"`
	AddedObservations []string `json:"added_observations" jsonschema:"the contents that were new"`
}

type observationsOut struct {
	Results []addedItem `json:"results"`
}

type deleteEntitiesIn struct {
	EntityNames []string `json:"entity_names" jsonschema:"entities to delete with their observations and relations"`
}

type deletionItem struct {
	EntityName   string   `json:"entity_name"`
	Observations []string `json:"observations" jsonschema:"observations to remove, as they read"`
}

type deleteObservationsIn struct {
	Deletions []deletionItem `json:"deletions"`
}

type doneOut struct {
	Deleted int `json:"deleted" jsonschema:"how many items the call named (unknown ones are ignored)"`
}

type readIn struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"entities per page, 1 to 500 (default 100)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type searchNodesIn struct {
	Query  string `json:"query" jsonschema:"text to find in names, types and observations (any case)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"entities per page, 1 to 500 (default 100)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type openNodesIn struct {
	Names []string `json:"names" jsonschema:"entity names to open"`
}

type graphOut struct {
	knowledge.Graph
	NextCursor string `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page of entities"`
}

func (o graphOut) Summary() string {
	return fmt.Sprintf("%d entities and %d relations among them.", len(o.Entities), len(o.Relations))
}

func (s *Server) page(ctx context.Context, f knowledge.Filter) (graphOut, error) {
	if f.Limit == 0 {
		f.Limit = 100
	}
	want := f.Limit
	f.Limit++
	if want > 500 {
		f.Limit = want // the service refuses it
	}
	g, err := s.c.Knowledge.Read(ctx, f)
	if err != nil {
		return graphOut{}, err
	}
	out := graphOut{Graph: g}
	if len(g.Entities) > want {
		out.Entities = g.Entities[:want]
		out.NextCursor = out.Entities[want-1].Name
		keep := map[string]bool{}
		for _, e := range out.Entities {
			keep[e.Name] = true
		}
		rs := []knowledge.Relation{}
		for _, r := range g.Relations {
			if keep[r.From] && keep[r.To] {
				rs = append(rs, r)
			}
		}
		out.Relations = rs
	}
	return out, nil
}

func (s *Server) addGraphTools() error {
	if s.c.Knowledge == nil {
		return nil
	}
	k := s.c.Knowledge
	del := func(title string) *sdk.ToolAnnotations { return writes(title, true, true) }
	add := func(title string) *sdk.ToolAnnotations { return writes(title, false, true) }
	return firstErr(
		addTool(s, &sdk.Tool{Name: "create_entities", Description: "Create entities in the team's knowledge graph (decisions, packages, incidents, people…), each with observations.", Annotations: add("Create entities")},
			ScopeKnowledge, `{"entities":[{"name":"incident/2026-12-01-checkout-timeouts","entity_type":"incident","observations":["Checkout timed out for 4 minutes while Redis failed over"]}]}`,
			func(ctx context.Context, _ *caller, in entitiesIn) (entitiesOut, error) {
				es, err := k.CreateEntities(ctx, in.Entities)
				return entitiesOut{Entities: notNil(es)}, err
			}),
		addTool(s, &sdk.Tool{Name: "create_relations", Description: "Relate existing entities of the knowledge graph, in active voice (incident/… concerns internal/lock).", Annotations: add("Create relations")},
			ScopeKnowledge, `{"relations":[{"from":"decision/0014-locks","to":"internal/lock","relation_type":"concerns"}]}`,
			func(ctx context.Context, _ *caller, in relationsIn) (relationsOut, error) {
				rs, err := k.CreateRelations(ctx, in.Relations)
				return relationsOut{Relations: notNil(rs)}, err
			}),
		addTool(s, &sdk.Tool{Name: "add_observations", Description: "Add facts to existing entities of the knowledge graph.", Annotations: add("Add observations")},
			ScopeKnowledge, `{"observations":[{"entity_name":"internal/lock","contents":["Fencing tokens are floored by the Redis clock"]}]}`,
			func(ctx context.Context, _ *caller, in observationsIn) (observationsOut, error) {
				out := observationsOut{Results: []addedItem{}}
				for _, o := range in.Observations {
					added, err := k.AddObservations(ctx, o.EntityName, o.Contents)
					if err != nil {
						return observationsOut{}, err
					}
					out.Results = append(out.Results, addedItem{EntityName: o.EntityName, AddedObservations: notNil(added)})
				}
				return out, nil
			}),
		addTool(s, &sdk.Tool{Name: "delete_entities", Description: "Delete entities of the knowledge graph with their observations and relations.", Annotations: del("Delete entities")},
			ScopeKnowledge, `{"entity_names":["incident/2026-12-01-checkout-timeouts"]}`,
			func(ctx context.Context, _ *caller, in deleteEntitiesIn) (doneOut, error) {
				return doneOut{Deleted: len(in.EntityNames)}, k.DeleteEntities(ctx, in.EntityNames)
			}),
		addTool(s, &sdk.Tool{Name: "delete_observations", Description: "Remove observations from entities of the knowledge graph.", Annotations: del("Delete observations")},
			ScopeKnowledge, `{"deletions":[{"entity_name":"internal/lock","observations":["Fencing tokens are floored by the Redis clock"]}]}`,
			func(ctx context.Context, _ *caller, in deleteObservationsIn) (doneOut, error) {
				n := 0
				for _, d := range in.Deletions {
					if err := k.DeleteObservations(ctx, d.EntityName, d.Observations); err != nil {
						return doneOut{}, err
					}
					n += len(d.Observations)
				}
				return doneOut{Deleted: n}, nil
			}),
		addTool(s, &sdk.Tool{Name: "delete_relations", Description: "Remove relations from the knowledge graph.", Annotations: del("Delete relations")},
			ScopeKnowledge, `{"relations":[{"from":"decision/0014-locks","to":"internal/lock","relation_type":"concerns"}]}`,
			func(ctx context.Context, _ *caller, in relationsIn) (doneOut, error) {
				return doneOut{Deleted: len(in.Relations)}, k.DeleteRelations(ctx, in.Relations)
			}),
		addTool(s, &sdk.Tool{Name: "read_graph", Description: "The whole knowledge graph, a page of entities (by name) at a time with the relations among them.", Annotations: readOnly("Read the graph")},
			ScopeKnowledge, `{"limit":100}`,
			func(ctx context.Context, _ *caller, in readIn) (graphOut, error) {
				return s.page(ctx, knowledge.Filter{After: in.Cursor, Limit: in.Limit})
			}),
		addTool(s, &sdk.Tool{Name: "search_nodes", Description: "Entities of the knowledge graph whose name, type or observations contain the query, with the relations among them.", Annotations: readOnly("Search the graph")},
			ScopeKnowledge, `{"query":"fencing"}`,
			func(ctx context.Context, _ *caller, in searchNodesIn) (graphOut, error) {
				return s.page(ctx, knowledge.Filter{Query: in.Query, After: in.Cursor, Limit: in.Limit})
			}),
		addTool(s, &sdk.Tool{Name: "open_nodes", Description: "The named entities of the knowledge graph with the relations among them.", Annotations: readOnly("Open entities")},
			ScopeKnowledge, `{"names":["decision/0014-locks","internal/lock"]}`,
			func(ctx context.Context, _ *caller, in openNodesIn) (graphOut, error) {
				g, err := k.Read(ctx, knowledge.Filter{Names: notNil(in.Names), Limit: knowledge.MaxItems})
				return graphOut{Graph: g}, err
			}),
	)
}
