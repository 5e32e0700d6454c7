"""courriels : nouvel essai daté et service de chaque message ; connexions : plus de blocage par compte

Revision ID: 0006
Revises: 0005_index_liste_dossiers
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005_index_liste_dossiers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courriels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prochain_essai_le', sa.DateTime(), nullable=True))
    # Les messages déjà en file repartent au premier passage du travailleur.
    op.execute("UPDATE courriels SET prochain_essai_le = cree_le")
    with op.batch_alter_table('courriels', schema=None) as batch_op:
        batch_op.alter_column('prochain_essai_le', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index('ix_courriels_envoye_le')
        batch_op.create_index('ix_courriels_file', ['envoye_le', 'prochain_essai_le'], unique=False)
        batch_op.create_index(batch_op.f('ix_courriels_service_id'), ['service_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_courriels_service_id_services'), 'services', ['service_id'], ['id'])

    # Les échecs de connexion se comptent par adresse et par appareil (aap/comptes.py), plus par compte :
    # un tiers qui connaît une adresse ne bloque plus son titulaire.
    with op.batch_alter_table('utilisateurs', schema=None) as batch_op:
        batch_op.drop_column('bloque_jusqu_au')
        batch_op.drop_column('echecs_connexion')


def downgrade():
    with op.batch_alter_table('utilisateurs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('echecs_connexion', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('bloque_jusqu_au', sa.DateTime(), nullable=True))

    with op.batch_alter_table('courriels', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_courriels_service_id_services'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_courriels_service_id'))
        batch_op.drop_index('ix_courriels_file')
        batch_op.create_index('ix_courriels_envoye_le', ['envoye_le'], unique=False)
        batch_op.drop_column('prochain_essai_le')
        batch_op.drop_column('service_id')
