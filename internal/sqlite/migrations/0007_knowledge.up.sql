-- The team's knowledge graph (the MCP memory tools): entities with
-- observations, and typed relations between entities. Names are unique;
-- deleting an entity deletes its observations and relations.
CREATE TABLE kg_entities (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    entity_type TEXT NOT NULL,
    created_at  INTEGER NOT NULL -- Unix milliseconds
);
CREATE TABLE kg_observations (
    id         INTEGER PRIMARY KEY,
    entity_id  INTEGER NOT NULL REFERENCES kg_entities(id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (entity_id, content)
);
CREATE TABLE kg_relations (
    id            INTEGER PRIMARY KEY,
    from_id       INTEGER NOT NULL REFERENCES kg_entities(id) ON DELETE CASCADE,
    to_id         INTEGER NOT NULL REFERENCES kg_entities(id) ON DELETE CASCADE,
    relation_type TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (from_id, to_id, relation_type)
);
CREATE INDEX kg_relations_to ON kg_relations (to_id);
