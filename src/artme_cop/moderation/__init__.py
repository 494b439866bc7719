"""Reports, the review queue and the append-only audit log."""
