"""Administration of campaigns: calendar, caps, envelope, required pieces, missions, scoring grid.

Once a campaign has received a filed dossier, its rules (caps, minimum ETP, pieces, missions, grid)
are frozen: a change is refused with the reason, so that every dossier is judged by the rules it was
filed under. The calendar, the envelope, the texts and the publication stay editable, and every
change is written to the audit log with its before and after.
"""
