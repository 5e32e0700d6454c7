"""Conventions: conventions, payments, reports, amendments, deadlines, dashboard."""
