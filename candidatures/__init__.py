"""Candidatures: structures, dossiers, pieces, budget, checks, filing, completeness decisions."""
