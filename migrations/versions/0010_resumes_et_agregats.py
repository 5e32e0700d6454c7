"""performance : résumé des constats de chaque dossier, agrégats des séances par dossier et critère

Les lignes se calculent par l'application (`flask resumes`), pas ici : une migration n'importe pas le code de
l'application ; d'ici là, une liste calcule le résumé d'un dossier qui n'en a pas.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 13:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resumes_dossiers",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("bloquants", sa.Integer(), nullable=False),
        sa.Column("avertissements", sa.Integer(), nullable=False),
        sa.Column("limite_complements", sa.Date(), nullable=True),
        sa.Column("charges_annee1", sa.BigInteger(), nullable=False),
        sa.Column("cofinancement_annee1", sa.BigInteger(), nullable=False),
        sa.Column("heures_insertion", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_resumes_dossiers_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_resumes_dossiers")),
    )


def downgrade():
    op.drop_table("resumes_dossiers")
