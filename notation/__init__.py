"""Notation: COPIL sessions, conflicts of interest, scores, aggregation, ranking, decisions, minutes."""
