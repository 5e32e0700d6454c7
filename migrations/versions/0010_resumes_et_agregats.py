"""performance : résumé des constats de chaque dossier, agrégats des séances par dossier et critère

Les lignes se calculent par l'application (`flask candidatures resumes`, `flask notation agregats`), pas ici : une migration n'importe pas le code de
l'application ; d'ici là, une liste calcule le résumé d'un dossier qui n'en a pas, un classement les agrégats d'une séance
qui n'en a pas.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 13:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
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
        sa.Column("part_etat_annee1", sa.BigInteger(), nullable=False),
        sa.Column("taux_etat_annee1", sa.BigInteger(), nullable=True),
        sa.Column("cofinancement_annee1", sa.BigInteger(), nullable=False),
        sa.Column("heures_insertion", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_resumes_dossiers_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_resumes_dossiers")),
    )
    op.create_table(
        "agregats_seances",
        sa.Column("seance_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("genre", sa.String(length=10), nullable=False),
        sa.Column("cle", sa.String(length=120), nullable=False),
        sa.Column("moyenne", sa.BigInteger(), nullable=True),
        sa.Column("mediane", sa.BigInteger(), nullable=True),
        sa.Column("minimum", sa.BigInteger(), nullable=True),
        sa.Column("plus_haute", sa.BigInteger(), nullable=True),
        sa.Column("ecart_type", sa.BigInteger(), nullable=True),
        sa.Column("desaccord", sa.Boolean(), nullable=False),
        sa.Column("recues", sa.Integer(), nullable=True),
        sa.Column("attendues", sa.Integer(), nullable=True),
        sa.Column("normalise", sa.BigInteger(), nullable=True),
        sa.Column("avis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_agregats_seances_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seance_id"], ["seances.id"], name=op.f("fk_agregats_seances_seance_id_seances"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seance_id", "dossier_id", "genre", "cle", name=op.f("pk_agregats_seances")),
    )


def downgrade():
    op.drop_table("agregats_seances")
    op.drop_table("resumes_dossiers")
