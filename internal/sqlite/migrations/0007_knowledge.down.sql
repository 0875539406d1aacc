DROP TABLE kg_relations;
DROP TABLE kg_observations;
DROP TABLE kg_entities;
