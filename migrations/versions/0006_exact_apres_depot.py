"""exact après le dépôt : bénéficiaire figé à la signature

Revision ID: 0006
Revises: 0005_index_liste_dossiers
Create Date: 2026-12-05 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005_index_liste_dossiers"
branch_labels = None
depends_on = None

BENEFICIAIRE = (
    ("beneficiaire_raison_sociale", sa.String(length=250), "raison_sociale"),
    ("beneficiaire_siret", sa.String(length=14), "siret"),
    ("beneficiaire_statut_juridique", sa.String(length=20), "statut_juridique"),
    ("beneficiaire_adresse", sa.Text(), "adresse"),
    ("beneficiaire_representant_nom", sa.String(length=200), "representant_nom"),
    ("beneficiaire_representant_qualite", sa.String(length=200), "representant_qualite"),
)


def upgrade():
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        for nom, type_, _ in BENEFICIAIRE:
            batch_op.add_column(sa.Column(nom, type_, nullable=True))
    # Les conventions déjà signées : le bénéficiaire tel que la structure est aujourd'hui (le mieux connu).
    for nom, _, champ in BENEFICIAIRE:
        op.execute(
            f"UPDATE conventions SET {nom} = (SELECT structures.{champ} FROM structures "
            "WHERE structures.id = conventions.structure_id) WHERE statut <> 'a_signer'"
        )


def downgrade():
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        for nom, _, _ in reversed(BENEFICIAIRE):
            batch_op.drop_column(nom)
