"""Sports knowledge graph and QA store (embedded default, Neo4j at scale)."""
