"""The knowledge repository: resources, versions, reviews and the knowledge-management cycle (issue #7)."""
