"""Outcome mapping for coaching: boundary partners, outcome challenges, progress markers and the outcome journal."""
