"""Full-text search: the query language readers type, and each database's index and SQL."""
