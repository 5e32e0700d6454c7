"""énumérations : chaque colonne d'état est un Enum de SQLAlchemy (VARCHAR et CHECK nommé ck_<table>_<colonne>),
à la place des CHECK écrits à la main ; les valeurs stockées ne changent pas

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 13:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, colonne, nom du CHECK écrit à la main, valeurs, NULL permis). Les valeurs sont recopiées ici : une migration
# ne lit pas les modèles, qui changeront après elle.
ENUMERATIONS = (
    ("utilisateurs", "role", "role", ("porteur", "copil", "agent", "admin", "national"), False),
    ("missions", "poste", "poste", ("facilitateur", "coordinateur"), False),
    ("structures", "statut_juridique", "statut", ("association", "collectivite", "epa", "reseau_emploi", "autre"), False),
    ("financements_existants", "poste", "poste", ("facilitateur", "coordinateur"), False),
    (
        "documents_structure",
        "type",
        "type",
        ("statuts", "comptes_annuels", "rapport_activite", "rapport_cac", "autre"),
        False,
    ),
    (
        "dossiers",
        "statut",
        "statut",
        ("brouillon", "depose", "complements_demandes", "recevable", "irrecevable", "retenu", "ajourne", "rejete"),
        False,
    ),
    ("dossiers", "avis_ctn", "avis_ctn", ("favorable", "reserve", "defavorable"), True),
    (
        "changements_statut",
        "statut",
        "statut",
        ("brouillon", "depose", "complements_demandes", "recevable", "irrecevable", "retenu", "ajourne", "rejete"),
        False,
    ),
    ("seances", "phase", "phase", ("preparation", "notation", "deliberation", "close"), False),
    ("feuilles_notation", "avis", "avis", ("favorable", "reserve", "defavorable"), True),
    ("decisions", "nature", "nature", ("retenu", "ajourne", "rejete"), False),
    ("conventions", "statut", "statut", ("a_signer", "en_cours", "close"), False),
    ("annees_convention", "renouvellement", "renouvellement", ("renouvelee", "non_renouvelee"), True),
    ("versements", "nature", "nature", ("avance", "solde"), False),
    ("versements", "etat", "etat", ("prevu", "a_payer", "paye", "annule"), False),
    ("reversements", "etat", "etat", ("a_emettre", "emis", "recouvre"), False),
    ("bilans", "type", "type", ("intermediaire", "annuel", "trimestriel", "financier"), False),
    ("bilans", "statut", "statut", ("a_deposer", "depose", "a_corriger", "approuve"), False),
)


def _dans(colonne, valeurs):
    return f"{colonne} IN ({', '.join(repr(v) for v in valeurs)})"


def _tables():
    tables = {}
    for table, colonne, ancien, valeurs, nul in ENUMERATIONS:
        tables.setdefault(table, []).append((colonne, ancien, valeurs, nul))
    return tables


def upgrade():
    # Le CHECK d'un Enum de SQLAlchemy : « colonne IN (...) », NULL passant de lui-même (un CHECK inconnu est vrai).
    for table, colonnes in _tables().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for colonne, ancien, valeurs, _ in colonnes:
                batch_op.drop_constraint(op.f(f"ck_{table}_{ancien}"), type_="check")
                batch_op.create_check_constraint(op.f(f"ck_{table}_{colonne}"), _dans(colonne, valeurs))


def downgrade():
    for table, colonnes in _tables().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for colonne, ancien, valeurs, nul in colonnes:
                batch_op.drop_constraint(op.f(f"ck_{table}_{colonne}"), type_="check")
                condition = f"{colonne} IS NULL OR {_dans(colonne, valeurs)}" if nul else _dans(colonne, valeurs)
                batch_op.create_check_constraint(op.f(f"ck_{table}_{ancien}"), condition)
