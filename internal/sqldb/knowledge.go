package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/oceanshop/ocean/internal/knowledge"
	"github.com/oceanshop/ocean/internal/ocean"
)

// KnowledgeStore implements knowledge.Store.
type KnowledgeStore struct{ db *DB }

// Knowledge returns the knowledge graph store.
func (db *DB) Knowledge() *KnowledgeStore { return &KnowledgeStore{db: db} }

var _ knowledge.Store = (*KnowledgeStore)(nil)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func nowMillis() int64 { return time.Now().UnixMilli() }

func entityID(ctx context.Context, tx *Tx, name string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM kg_entities WHERE name = ?`, name).Scan(&id)
	if err != nil && isNoRows(err) {
		return 0, ocean.Errorf(ocean.ENOTFOUND, "There is no entity named %q; create it first.", name)
	}
	return id, err
}

func addObservations(ctx context.Context, tx *Tx, id int64, contents []string) ([]string, error) {
	added := []string{}
	for _, c := range contents {
		res, err := tx.exec(ctx, `INSERT INTO kg_observations (entity_id, content, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, c, nowMillis())
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, c)
		}
	}
	return added, nil
}

func (s *KnowledgeStore) CreateEntities(ctx context.Context, es []knowledge.Entity) ([]knowledge.Entity, error) {
	created := []knowledge.Entity{}
	err := s.db.InTx(ctx, func(tx *Tx) error {
		for _, e := range es {
			var id int64
			err := tx.queryRow(ctx, `INSERT INTO kg_entities (name, entity_type, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
				e.Name, e.EntityType, nowMillis()).Scan(&id)
			if isNoRows(err) {
				continue // exists
			}
			if err != nil {
				return err
			}
			obs, err := addObservations(ctx, tx, id, e.Observations)
			if err != nil {
				return err
			}
			created = append(created, knowledge.Entity{Name: e.Name, EntityType: e.EntityType, Observations: obs})
		}
		return nil
	})
	return created, err
}

func (s *KnowledgeStore) CreateRelations(ctx context.Context, rs []knowledge.Relation) ([]knowledge.Relation, error) {
	created := []knowledge.Relation{}
	err := s.db.InTx(ctx, func(tx *Tx) error {
		for _, r := range rs {
			from, err := entityID(ctx, tx, r.From)
			if err != nil {
				return err
			}
			to, err := entityID(ctx, tx, r.To)
			if err != nil {
				return err
			}
			res, err := tx.exec(ctx, `INSERT INTO kg_relations (from_id, to_id, relation_type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, from, to, r.RelationType, nowMillis())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				created = append(created, r)
			}
		}
		return nil
	})
	return created, err
}

func (s *KnowledgeStore) AddObservations(ctx context.Context, entity string, contents []string) ([]string, error) {
	var added []string
	err := s.db.InTx(ctx, func(tx *Tx) error {
		id, err := entityID(ctx, tx, entity)
		if err != nil {
			return err
		}
		added, err = addObservations(ctx, tx, id, contents)
		return err
	})
	return added, err
}

func (s *KnowledgeStore) DeleteEntities(ctx context.Context, names []string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, n := range names {
			// Observations and relations go with it (ON DELETE CASCADE);
			// they are deleted here too for a SQLite without foreign keys.
			if _, err := tx.exec(ctx, `DELETE FROM kg_observations WHERE entity_id IN (SELECT id FROM kg_entities WHERE name = ?)`, n); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM kg_relations WHERE from_id IN (SELECT id FROM kg_entities WHERE name = ?) OR to_id IN (SELECT id FROM kg_entities WHERE name = ?)`, n, n); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM kg_entities WHERE name = ?`, n); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *KnowledgeStore) DeleteObservations(ctx context.Context, entity string, contents []string) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, c := range contents {
			if _, err := tx.exec(ctx, `DELETE FROM kg_observations WHERE content = ? AND entity_id IN (SELECT id FROM kg_entities WHERE name = ?)`, c, entity); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *KnowledgeStore) DeleteRelations(ctx context.Context, rs []knowledge.Relation) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		for _, r := range rs {
			if _, err := tx.exec(ctx, `DELETE FROM kg_relations WHERE relation_type = ?
 AND from_id IN (SELECT id FROM kg_entities WHERE name = ?) AND to_id IN (SELECT id FROM kg_entities WHERE name = ?)`, r.RelationType, r.From, r.To); err != nil {
				return err
			}
		}
		return nil
	})
}

// likePattern escapes s for LIKE … ESCAPE '\'.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func (s *KnowledgeStore) Graph(ctx context.Context, f knowledge.Filter) (knowledge.Graph, error) {
	where, args := "name > ?", []any{f.After}
	switch {
	case f.Names != nil:
		if len(f.Names) == 0 {
			return knowledge.Graph{}, nil
		}
		where += " AND name IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(f.Names)), ", ") + ")"
		for _, n := range f.Names {
			args = append(args, n)
		}
	case f.Query != "":
		p := likePattern(f.Query)
		where += ` AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(entity_type) LIKE ? ESCAPE '\'
 OR EXISTS (SELECT 1 FROM kg_observations o WHERE o.entity_id = kg_entities.id AND LOWER(o.content) LIKE ? ESCAPE '\'))`
		args = append(args, p, p, p)
	}
	rows, err := s.db.query(ctx, `SELECT id, name, entity_type FROM kg_entities WHERE `+where+` ORDER BY name LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return knowledge.Graph{}, err
	}
	var g knowledge.Graph
	ids := []any{}
	index := map[int64]int{}
	if err := EachRow(rows, func() error {
		var id int64
		var e knowledge.Entity
		if err := rows.Scan(&id, &e.Name, &e.EntityType); err != nil {
			return err
		}
		e.Observations = []string{}
		index[id] = len(g.Entities)
		ids = append(ids, id)
		g.Entities = append(g.Entities, e)
		return nil
	}); err != nil || len(ids) == 0 {
		return g, err
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	rows, err = s.db.query(ctx, `SELECT entity_id, content FROM kg_observations WHERE entity_id IN `+in+` ORDER BY id`, ids...)
	if err != nil {
		return g, err
	}
	if err := EachRow(rows, func() error {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return err
		}
		e := &g.Entities[index[id]]
		e.Observations = append(e.Observations, c)
		return nil
	}); err != nil {
		return g, err
	}
	rows, err = s.db.query(ctx, `SELECT f.name, t.name, r.relation_type FROM kg_relations r JOIN kg_entities f ON f.id = r.from_id JOIN kg_entities t ON t.id = r.to_id
WHERE r.from_id IN `+in+` AND r.to_id IN `+in+` ORDER BY r.id`, append(ids, ids...)...)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	for rows.Next() {
		var r knowledge.Relation
		if err := rows.Scan(&r.From, &r.To, &r.RelationType); err != nil {
			return g, err
		}
		g.Relations = append(g.Relations, r)
	}
	return g, rows.Err()
}
