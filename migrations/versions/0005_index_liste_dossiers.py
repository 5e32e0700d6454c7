"""performance : index couvrant de la liste d'instruction (tri par date de dépôt, statut, structure)

Revision ID: 0005_index_liste_dossiers
Revises: 0004_conventions
Create Date: 2026-11-22 06:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_index_liste_dossiers'
down_revision = '0004_conventions'
branch_labels = None
depends_on = None


def upgrade():
    # La liste nationale (et son total) se lit dans l'index seul, sans parcourir les lignes des dossiers.
    op.create_index('ix_dossiers_liste', 'dossiers', ['depose_le', 'statut', 'structure_id'], unique=False)


def downgrade():
    op.drop_index('ix_dossiers_liste', table_name='dossiers')
