package knowledge_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	ocean "github.com/oceanshop/ocean"
	"github.com/oceanshop/ocean/internal/knowledge"
	oc "github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/postgres/postgrestest"
	"github.com/oceanshop/ocean/internal/sqldb"
	"github.com/oceanshop/ocean/internal/sqlite/sqlitetest"
)

func TestGraphSQLite(t *testing.T) { testGraph(t, sqlitetest.Open(t)) }

func TestGraphPostgres(t *testing.T) { testGraph(t, postgrestest.Open(t)) }

func testGraph(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	k := knowledge.NewService(db.Knowledge())
	es, err := k.CreateEntities(ctx, []knowledge.Entity{
		{Name: "internal/lock", EntityType: "package", Observations: []string{"Fencing tokens", "Fencing tokens", " Leases "}},
		{Name: "decision/0014-locks", EntityType: "decision", Observations: []string{"One lock engine over two backends"}},
	})
	if err != nil || len(es) != 2 || len(es[0].Observations) != 2 || es[0].Observations[1] != "Leases" {
		t.Fatalf("create: %+v, %v", es, err)
	}
	// A second create of the same name changes nothing.
	if es, err := k.CreateEntities(ctx, []knowledge.Entity{{Name: "internal/lock", EntityType: "other"}}); err != nil || len(es) != 0 {
		t.Fatalf("re-create: %+v, %v", es, err)
	}
	rel := knowledge.Relation{From: "decision/0014-locks", To: "internal/lock", RelationType: "concerns"}
	if rs, err := k.CreateRelations(ctx, []knowledge.Relation{rel, rel}); err != nil || len(rs) != 1 {
		t.Fatalf("relations: %+v, %v", rs, err)
	}
	// A relation to a missing entity fails as a whole: nothing is added.
	_, err = k.CreateRelations(ctx, []knowledge.Relation{{From: "internal/lock", To: "decision/0014-locks", RelationType: "implements"}, {From: "internal/lock", To: "nowhere", RelationType: "x"}})
	if oc.ErrorCode(err) != oc.ENOTFOUND || !strings.Contains(oc.ErrorMessage(err), "nowhere") {
		t.Fatalf("relation to a missing entity: %v", err)
	}
	added, err := k.AddObservations(ctx, "internal/lock", []string{"Leases", "Watchdog 100% reliable_ish"})
	if err != nil || len(added) != 1 {
		t.Fatalf("add observations: %v, %v", added, err)
	}
	if _, err := k.AddObservations(ctx, "ghost", []string{"x"}); oc.ErrorCode(err) != oc.ENOTFOUND {
		t.Fatalf("observation of a missing entity: %v", err)
	}
	for _, bad := range [][]knowledge.Entity{nil, {{Name: "", EntityType: "x"}}, {{Name: "x", EntityType: strings.Repeat("t", 201)}}} {
		if _, err := k.CreateEntities(ctx, bad); oc.ErrorCode(err) != oc.EINVALID {
			t.Errorf("bad entities %v: %v", bad, err)
		}
	}

	g, err := k.Read(ctx, knowledge.Filter{})
	if err != nil || len(g.Entities) != 2 || len(g.Relations) != 1 {
		t.Fatalf("read: %+v, %v", g, err)
	}
	// LIKE's wildcards are text: "100%" finds the one observation with it.
	for q, want := range map[string]int{"FENCING": 1, "100%": 1, "_ish": 1, "%": 1, "decision": 1, "nothing like it": 0} {
		g, err := k.Read(ctx, knowledge.Filter{Query: q})
		if err != nil || len(g.Entities) != want {
			t.Errorf("search %q: %d entities, %v; want %d", q, len(g.Entities), err, want)
		}
	}
	g, err = k.Read(ctx, knowledge.Filter{Limit: 1})
	if err != nil || len(g.Entities) != 1 || g.Entities[0].Name != "decision/0014-locks" || len(g.Relations) != 0 {
		t.Fatalf("first page: %+v", g)
	}
	g, _ = k.Read(ctx, knowledge.Filter{After: g.Entities[0].Name, Limit: 1})
	if len(g.Entities) != 1 || g.Entities[0].Name != "internal/lock" {
		t.Fatalf("second page: %+v", g)
	}
	g, _ = k.Read(ctx, knowledge.Filter{Names: []string{"internal/lock", "decision/0014-locks", "ghost"}})
	if len(g.Entities) != 2 || len(g.Relations) != 1 {
		t.Fatalf("open: %+v", g)
	}

	if err := k.DeleteObservations(ctx, "internal/lock", []string{"Leases"}); err != nil {
		t.Fatal(err)
	}
	if err := k.DeleteRelations(ctx, []knowledge.Relation{rel}); err != nil {
		t.Fatal(err)
	}
	g, _ = k.Read(ctx, knowledge.Filter{Names: []string{"internal/lock"}})
	if len(g.Entities[0].Observations) != 2 {
		t.Fatalf("after deleting an observation: %+v", g.Entities[0])
	}
	k.CreateRelations(ctx, []knowledge.Relation{rel})
	if err := k.DeleteEntities(ctx, []string{"internal/lock", "ghost"}); err != nil {
		t.Fatal(err)
	}
	g, _ = k.Read(ctx, knowledge.Filter{})
	if len(g.Entities) != 1 || len(g.Relations) != 0 {
		t.Fatalf("after deleting an entity: %+v", g)
	}
}

// TestSeed: every decision record becomes an entity related to the
// packages it names; a second seed adds nothing; the team's additions stay.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	k := knowledge.NewService(sqlitetest.Open(t).Knowledge())
	fs := fstest.MapFS{
		"docs/decisions/0001-one.md": {Data: []byte("# 0001 One store\n\n## Decision\n\n`internal/sqldb` holds the SQL;\ninternal/sqlite and internal/cli/app.go open it.\n\n## Why\n\n- one place\n- both databases\n")},
		"docs/decisions/0002-two.md": {Data: []byte("# 0002 Locks\n\nSee internal/lock/redis.\n")},
	}
	n, err := k.Seed(ctx, fs)
	if err != nil || n != 2 {
		t.Fatalf("seed: %d, %v", n, err)
	}
	k.AddObservations(ctx, "decision/0001-one", []string{"Revisit when we shard"})
	if _, err := k.Seed(ctx, fs); err != nil {
		t.Fatal(err)
	}
	g, _ := k.Read(ctx, knowledge.Filter{Names: []string{"decision/0001-one", "internal/sqldb", "internal/sqlite", "internal/cli"}})
	if len(g.Entities) != 4 || len(g.Relations) != 3 {
		t.Fatalf("seeded graph: %+v", g)
	}
	obs := strings.Join(g.Entities[0].Observations, "|")
	for _, want := range []string{"Title: 0001 One store", "Decision: `internal/sqldb` holds the SQL; internal/sqlite and internal/cli/app.go open it.", "Why: one place", "Revisit when we shard"} {
		if !strings.Contains(obs, want) {
			t.Errorf("observations %q lack %q", obs, want)
		}
	}
	if strings.Count(obs, "Why: one place") != 1 {
		t.Errorf("a second seed repeated observations: %q", obs)
	}
	// The project's own records seed without error.
	n, err = k.Seed(ctx, ocean.Docs)
	if err != nil || n < 10 {
		t.Fatalf("seeding docs/decisions: %d, %v", n, err)
	}
	g, _ = k.Read(ctx, knowledge.Filter{Names: []string{"internal/lock"}})
	if len(g.Entities) != 1 {
		t.Fatalf("internal/lock is not in the seeded graph")
	}
}
