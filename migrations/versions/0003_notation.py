"""notation : séances du COPIL, membres, ordre du jour, déclarations d'intérêts, feuilles de notation, notes, décisions

Revision ID: 0003_notation
Revises: 0002_candidatures
Create Date: 2026-11-22 02:51:39.015870

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_notation'
down_revision = '0002_candidatures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campagne_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('tenue_le', sa.DateTime(), nullable=False),
    sa.Column('lieu', sa.String(length=300), nullable=False),
    sa.Column('lien_visio', sa.String(length=500), nullable=False),
    sa.Column('annee', sa.Integer(), nullable=False),
    sa.Column('trimestre', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('president_id', sa.Integer(), nullable=False),
    sa.Column('seuil_desaccord', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('cree_le', sa.DateTime(), nullable=False),
    sa.Column('cree_par_id', sa.Integer(), nullable=True),
    sa.Column('notation_ouverte_le', sa.DateTime(), nullable=True),
    sa.Column('deliberation_le', sa.DateTime(), nullable=True),
    sa.Column('close_le', sa.DateTime(), nullable=True),
    sa.Column('close_par_id', sa.Integer(), nullable=True),
    sa.Column('proces_verbal_id', sa.Integer(), nullable=True),
    sa.Column('classeur_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("lieu <> '' OR lien_visio <> ''", name=op.f('ck_seances_lieu_ou_visio')),
    sa.CheckConstraint("phase IN ('preparation', 'notation', 'deliberation', 'close')", name=op.f('ck_seances_phase')),
    sa.CheckConstraint('annee >= 2000 AND annee <= 2200', name=op.f('ck_seances_annee')),
    sa.CheckConstraint('seuil_desaccord > 0 AND seuil_desaccord <= 100', name=op.f('ck_seances_seuil_desaccord')),
    sa.CheckConstraint('trimestre >= 1 AND trimestre <= 4', name=op.f('ck_seances_trimestre')),
    sa.ForeignKeyConstraint(['campagne_id'], ['campagnes.id'], name=op.f('fk_seances_campagne_id_campagnes')),
    sa.ForeignKeyConstraint(['classeur_id'], ['fichiers.id'], name=op.f('fk_seances_classeur_id_fichiers')),
    sa.ForeignKeyConstraint(['close_par_id'], ['utilisateurs.id'], name=op.f('fk_seances_close_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['cree_par_id'], ['utilisateurs.id'], name=op.f('fk_seances_cree_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['president_id'], ['utilisateurs.id'], name=op.f('fk_seances_president_id_utilisateurs')),
    sa.ForeignKeyConstraint(['proces_verbal_id'], ['fichiers.id'], name=op.f('fk_seances_proces_verbal_id_fichiers')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_seances_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seances'))
    )
    with op.batch_alter_table('seances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seances_campagne_id'), ['campagne_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seances_service_id'), ['service_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('nature', sa.String(length=20), nullable=False),
    sa.Column('montant_accorde', sa.BigInteger(), nullable=True),
    sa.Column('etp_facilitateur', sa.BigInteger(), nullable=False),
    sa.Column('etp_coordinateur', sa.BigInteger(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('motif', sa.Text(), nullable=False),
    sa.Column('decide_le', sa.DateTime(), nullable=False),
    sa.Column('decide_par_id', sa.Integer(), nullable=True),
    sa.Column('notifie_le', sa.DateTime(), nullable=True),
    sa.Column('lettre_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(nature = 'retenu' AND montant_accorde IS NOT NULL AND montant_accorde > 0) OR (nature <> 'retenu' AND montant_accorde IS NULL)", name=op.f('ck_decisions_montant_accorde')),
    sa.CheckConstraint("nature = 'retenu' OR (etp_facilitateur = 0 AND etp_coordinateur = 0)", name=op.f('ck_decisions_etp_si_retenu')),
    sa.CheckConstraint("nature = 'retenu' OR motif <> ''", name=op.f('ck_decisions_motif')),
    sa.CheckConstraint("nature IN ('retenu', 'ajourne', 'rejete')", name=op.f('ck_decisions_nature')),
    sa.CheckConstraint('etp_facilitateur >= 0 AND etp_coordinateur >= 0', name=op.f('ck_decisions_etp')),
    sa.ForeignKeyConstraint(['decide_par_id'], ['utilisateurs.id'], name=op.f('fk_decisions_decide_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_decisions_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['lettre_id'], ['fichiers.id'], name=op.f('fk_decisions_lettre_id_fichiers')),
    sa.ForeignKeyConstraint(['seance_id'], ['seances.id'], name=op.f('fk_decisions_seance_id_seances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('seance_id', 'dossier_id', name=op.f('uq_decisions_seance_id_dossier_id'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_notifie_le'), ['notifie_le'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_seance_id'), ['seance_id'], unique=False)

    op.create_table('declarations_interet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('membre_id', sa.Integer(), nullable=False),
    sa.Column('conflit', sa.Boolean(), nullable=False),
    sa.Column('nature', sa.Text(), nullable=False),
    sa.Column('declaree_le', sa.DateTime(), nullable=False),
    sa.Column('modifiee_le', sa.DateTime(), nullable=True),
    sa.CheckConstraint("NOT conflit OR nature <> ''", name=op.f('ck_declarations_interet_nature')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_declarations_interet_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['membre_id'], ['utilisateurs.id'], name=op.f('fk_declarations_interet_membre_id_utilisateurs')),
    sa.ForeignKeyConstraint(['seance_id'], ['seances.id'], name=op.f('fk_declarations_interet_seance_id_seances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declarations_interet')),
    sa.UniqueConstraint('seance_id', 'dossier_id', 'membre_id', name=op.f('uq_declarations_interet_seance_id_dossier_id_membre_id'))
    )
    with op.batch_alter_table('declarations_interet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declarations_interet_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declarations_interet_membre_id'), ['membre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declarations_interet_seance_id'), ['seance_id'], unique=False)

    op.create_table('feuilles_notation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('membre_id', sa.Integer(), nullable=False),
    sa.Column('avis', sa.String(length=20), nullable=True),
    sa.Column('commentaire', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('creee_le', sa.DateTime(), nullable=False),
    sa.Column('modifiee_le', sa.DateTime(), nullable=False),
    sa.Column('soumise_le', sa.DateTime(), nullable=True),
    sa.Column('rouverte_le', sa.DateTime(), nullable=True),
    sa.Column('rouverte_par_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("avis IS NULL OR avis IN ('favorable', 'reserve', 'defavorable')", name=op.f('ck_feuilles_notation_avis')),
    sa.CheckConstraint('soumise_le IS NULL OR avis IS NOT NULL', name=op.f('ck_feuilles_notation_avis_a_la_soumission')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_feuilles_notation_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['membre_id'], ['utilisateurs.id'], name=op.f('fk_feuilles_notation_membre_id_utilisateurs')),
    sa.ForeignKeyConstraint(['rouverte_par_id'], ['utilisateurs.id'], name=op.f('fk_feuilles_notation_rouverte_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['seance_id'], ['seances.id'], name=op.f('fk_feuilles_notation_seance_id_seances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feuilles_notation')),
    sa.UniqueConstraint('seance_id', 'dossier_id', 'membre_id', name=op.f('uq_feuilles_notation_seance_id_dossier_id_membre_id'))
    )
    with op.batch_alter_table('feuilles_notation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feuilles_notation_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feuilles_notation_membre_id'), ['membre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feuilles_notation_seance_id'), ['seance_id'], unique=False)

    op.create_table('membres_seance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('utilisateur_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('ajoute_le', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seance_id'], ['seances.id'], name=op.f('fk_membres_seance_seance_id_seances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['utilisateur_id'], ['utilisateurs.id'], name=op.f('fk_membres_seance_utilisateur_id_utilisateurs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membres_seance')),
    sa.UniqueConstraint('seance_id', 'utilisateur_id', name=op.f('uq_membres_seance_seance_id_utilisateur_id'))
    )
    with op.batch_alter_table('membres_seance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membres_seance_seance_id'), ['seance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membres_seance_utilisateur_id'), ['utilisateur_id'], unique=False)

    op.create_table('ordre_du_jour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seance_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('rang', sa.Integer(), nullable=False),
    sa.Column('inscrit_le', sa.DateTime(), nullable=False),
    sa.Column('inscrit_par_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rang >= 1', name=op.f('ck_ordre_du_jour_rang')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_ordre_du_jour_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['inscrit_par_id'], ['utilisateurs.id'], name=op.f('fk_ordre_du_jour_inscrit_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['seance_id'], ['seances.id'], name=op.f('fk_ordre_du_jour_seance_id_seances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ordre_du_jour')),
    sa.UniqueConstraint('seance_id', 'dossier_id', name=op.f('uq_ordre_du_jour_seance_id_dossier_id'))
    )
    with op.batch_alter_table('ordre_du_jour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ordre_du_jour_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ordre_du_jour_seance_id'), ['seance_id'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feuille_id', sa.Integer(), nullable=False),
    sa.Column('critere_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('maximum', sa.Integer(), nullable=False),
    sa.Column('commentaire', sa.Text(), nullable=False),
    sa.CheckConstraint('maximum > 0 AND maximum <= 200', name=op.f('ck_notes_maximum')),
    sa.CheckConstraint('points IS NULL OR (points >= 0 AND points <= maximum)', name=op.f('ck_notes_points')),
    sa.ForeignKeyConstraint(['critere_id'], ['criteres.id'], name=op.f('fk_notes_critere_id_criteres')),
    sa.ForeignKeyConstraint(['feuille_id'], ['feuilles_notation.id'], name=op.f('fk_notes_feuille_id_feuilles_notation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes')),
    sa.UniqueConstraint('feuille_id', 'critere_id', name=op.f('uq_notes_feuille_id_critere_id'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_feuille_id'), ['feuille_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_feuille_id'))

    op.drop_table('notes')
    with op.batch_alter_table('ordre_du_jour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ordre_du_jour_seance_id'))
        batch_op.drop_index(batch_op.f('ix_ordre_du_jour_dossier_id'))

    op.drop_table('ordre_du_jour')
    with op.batch_alter_table('membres_seance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membres_seance_utilisateur_id'))
        batch_op.drop_index(batch_op.f('ix_membres_seance_seance_id'))

    op.drop_table('membres_seance')
    with op.batch_alter_table('feuilles_notation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feuilles_notation_seance_id'))
        batch_op.drop_index(batch_op.f('ix_feuilles_notation_membre_id'))
        batch_op.drop_index(batch_op.f('ix_feuilles_notation_dossier_id'))

    op.drop_table('feuilles_notation')
    with op.batch_alter_table('declarations_interet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declarations_interet_seance_id'))
        batch_op.drop_index(batch_op.f('ix_declarations_interet_membre_id'))
        batch_op.drop_index(batch_op.f('ix_declarations_interet_dossier_id'))

    op.drop_table('declarations_interet')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_seance_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_notifie_le'))
        batch_op.drop_index(batch_op.f('ix_decisions_dossier_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('seances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seances_service_id'))
        batch_op.drop_index(batch_op.f('ix_seances_campagne_id'))

    op.drop_table('seances')
