"""candidatures : fichiers, profils des structures, dossiers, budget, pièces, dépôts, historique, compléments

Revision ID: 0002_candidatures
Revises: 0001_socle
Create Date: 2026-11-22 02:37:56.168918

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_candidatures'
down_revision = '0001_socle'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('financements_existants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('poste', sa.String(length=20), nullable=False),
    sa.Column('financeur', sa.String(length=30), nullable=False),
    sa.Column('nom_financeur', sa.String(length=200), nullable=False),
    sa.Column('montant_annee_precedente', sa.BigInteger(), nullable=False),
    sa.Column('montant_annee_courante', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("financeur IN ('etat', 'fse', 'collectivites', 'epa', 'acheteurs_prives', 'fonds_propres', 'autres')", name=op.f('ck_financements_existants_financeur')),
    sa.CheckConstraint("poste IN ('facilitateur', 'coordinateur')", name=op.f('ck_financements_existants_poste')),
    sa.CheckConstraint('montant_annee_precedente >= 0 AND montant_annee_courante >= 0', name=op.f('ck_financements_existants_montants')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_financements_existants_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financements_existants'))
    )
    with op.batch_alter_table('financements_existants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financements_existants_structure_id'), ['structure_id'], unique=False)

    op.create_table('dossiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campagne_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('numero', sa.String(length=40), nullable=True),
    sa.Column('titre', sa.String(length=250), nullable=False),
    sa.Column('statut', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('cree_le', sa.DateTime(), nullable=False),
    sa.Column('cree_par_id', sa.Integer(), nullable=True),
    sa.Column('modifie_le', sa.DateTime(), nullable=False),
    sa.Column('depose_le', sa.DateTime(), nullable=True),
    sa.Column('recevable_le', sa.Date(), nullable=True),
    sa.Column('irrecevable_le', sa.DateTime(), nullable=True),
    sa.Column('motif_irrecevabilite', sa.Text(), nullable=False),
    sa.Column('etp_facilitateur', sa.BigInteger(), nullable=False),
    sa.Column('etp_coordinateur', sa.BigInteger(), nullable=False),
    sa.Column('zone_blanche', sa.Boolean(), nullable=False),
    sa.Column('zone_blanche_justification', sa.Text(), nullable=False),
    sa.Column('diagnostic', sa.Text(), nullable=False),
    sa.Column('objectifs', sa.Text(), nullable=False),
    sa.Column('strategie', sa.Text(), nullable=False),
    sa.Column('calendrier', sa.Text(), nullable=False),
    sa.Column('engagement_non_baisse', sa.Boolean(), nullable=False),
    sa.Column('declaration_honneur', sa.Boolean(), nullable=False),
    sa.Column('signataire_nom', sa.String(length=200), nullable=False),
    sa.Column('signataire_qualite', sa.String(length=200), nullable=False),
    sa.Column('engagements_le', sa.DateTime(), nullable=True),
    sa.Column('montant_demande', sa.BigInteger(), nullable=False),
    sa.Column('avis_ctn', sa.String(length=20), nullable=True),
    sa.Column('avis_ctn_le', sa.Date(), nullable=True),
    sa.Column('avis_ctn_commentaire', sa.Text(), nullable=False),
    sa.CheckConstraint("avis_ctn IS NULL OR avis_ctn IN ('favorable', 'reserve', 'defavorable')", name=op.f('ck_dossiers_avis_ctn')),
    sa.CheckConstraint("statut = 'brouillon' OR depose_le IS NOT NULL", name=op.f('ck_dossiers_depot')),
    sa.CheckConstraint("statut = 'brouillon' OR numero IS NOT NULL", name=op.f('ck_dossiers_numero')),
    sa.CheckConstraint("statut IN ('brouillon', 'depose', 'complements_demandes', 'recevable', 'irrecevable', 'retenu', 'ajourne', 'rejete')", name=op.f('ck_dossiers_statut')),
    sa.CheckConstraint('etp_coordinateur >= 0 AND etp_coordinateur <= 1000', name=op.f('ck_dossiers_etp_coordinateur')),
    sa.CheckConstraint('etp_facilitateur >= 0 AND etp_facilitateur <= 1000', name=op.f('ck_dossiers_etp_facilitateur')),
    sa.CheckConstraint('montant_demande >= 0', name=op.f('ck_dossiers_montant_demande')),
    sa.ForeignKeyConstraint(['campagne_id'], ['campagnes.id'], name=op.f('fk_dossiers_campagne_id_campagnes')),
    sa.ForeignKeyConstraint(['cree_par_id'], ['utilisateurs.id'], name=op.f('fk_dossiers_cree_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_dossiers_service_id_services')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_dossiers_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('numero', name=op.f('uq_dossiers_numero'))
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_campagne_id'), ['campagne_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_depose_le'), ['depose_le'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_statut'), ['statut'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_structure_id'), ['structure_id'], unique=False)

    op.create_table('fichiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('nom', sa.String(length=200), nullable=False),
    sa.Column('extension', sa.String(length=10), nullable=False),
    sa.Column('type_mime', sa.String(length=100), nullable=False),
    sa.Column('taille', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('chemin', sa.String(length=200), nullable=False),
    sa.Column('alerte', sa.String(length=300), nullable=False),
    sa.Column('depose_le', sa.DateTime(), nullable=False),
    sa.Column('depose_par_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['depose_par_id'], ['utilisateurs.id'], name=op.f('fk_fichiers_depose_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_fichiers_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fichiers')),
    sa.UniqueConstraint('chemin', name=op.f('uq_fichiers_chemin'))
    )
    with op.batch_alter_table('fichiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fichiers_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fichiers_sha256'), ['sha256'], unique=False)

    op.create_table('changements_statut',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('le', sa.DateTime(), nullable=False),
    sa.Column('statut', sa.String(length=30), nullable=False),
    sa.Column('par_id', sa.Integer(), nullable=True),
    sa.Column('commentaire', sa.Text(), nullable=False),
    sa.CheckConstraint("statut IN ('brouillon', 'depose', 'complements_demandes', 'recevable', 'irrecevable', 'retenu', 'ajourne', 'rejete')", name=op.f('ck_changements_statut_statut')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_changements_statut_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['par_id'], ['utilisateurs.id'], name=op.f('fk_changements_statut_par_id_utilisateurs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changements_statut'))
    )
    with op.batch_alter_table('changements_statut', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changements_statut_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('courriels_pieces_jointes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('courriel_id', sa.Integer(), nullable=False),
    sa.Column('fichier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['courriel_id'], ['courriels.id'], name=op.f('fk_courriels_pieces_jointes_courriel_id_courriels')),
    sa.ForeignKeyConstraint(['fichier_id'], ['fichiers.id'], name=op.f('fk_courriels_pieces_jointes_fichier_id_fichiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courriels_pieces_jointes'))
    )
    with op.batch_alter_table('courriels_pieces_jointes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courriels_pieces_jointes_courriel_id'), ['courriel_id'], unique=False)

    op.create_table('demandes_complements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('demandee_le', sa.DateTime(), nullable=False),
    sa.Column('par_id', sa.Integer(), nullable=True),
    sa.Column('date_limite', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('close_le', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_demandes_complements_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['par_id'], ['utilisateurs.id'], name=op.f('fk_demandes_complements_par_id_utilisateurs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demandes_complements'))
    )
    with op.batch_alter_table('demandes_complements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demandes_complements_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('depots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('rang', sa.Integer(), nullable=False),
    sa.Column('depose_le', sa.DateTime(), nullable=False),
    sa.Column('depose_par_id', sa.Integer(), nullable=True),
    sa.Column('instantane', sa.Text(), nullable=False),
    sa.Column('empreinte', sa.String(length=64), nullable=False),
    sa.Column('accuse_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rang >= 1', name=op.f('ck_depots_rang')),
    sa.ForeignKeyConstraint(['accuse_id'], ['fichiers.id'], name=op.f('fk_depots_accuse_id_fichiers')),
    sa.ForeignKeyConstraint(['depose_par_id'], ['utilisateurs.id'], name=op.f('fk_depots_depose_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_depots_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
    sa.UniqueConstraint('dossier_id', 'rang', name=op.f('uq_depots_dossier_id_rang'))
    )
    with op.batch_alter_table('depots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_depots_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('documents_structure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('annee', sa.Integer(), nullable=False),
    sa.Column('libelle', sa.String(length=200), nullable=False),
    sa.Column('fichier_id', sa.Integer(), nullable=False),
    sa.Column('ajoute_le', sa.DateTime(), nullable=False),
    sa.Column('ajoute_par_id', sa.Integer(), nullable=True),
    sa.Column('retire_le', sa.DateTime(), nullable=True),
    sa.CheckConstraint("type IN ('statuts', 'comptes_annuels', 'rapport_activite', 'rapport_cac', 'autre')", name=op.f('ck_documents_structure_type')),
    sa.CheckConstraint('annee >= 1900 AND annee <= 2200', name=op.f('ck_documents_structure_annee')),
    sa.ForeignKeyConstraint(['ajoute_par_id'], ['utilisateurs.id'], name=op.f('fk_documents_structure_ajoute_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['fichier_id'], ['fichiers.id'], name=op.f('fk_documents_structure_fichier_id_fichiers')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_documents_structure_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents_structure'))
    )
    with op.batch_alter_table('documents_structure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_structure_structure_id'), ['structure_id'], unique=False)

    op.create_table('dossiers_communes',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_dossiers_communes_commune_code_communes')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossiers_communes_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', 'commune_code', name=op.f('pk_dossiers_communes'))
    )
    op.create_table('dossiers_missions',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossiers_missions_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_dossiers_missions_mission_id_missions')),
    sa.PrimaryKeyConstraint('dossier_id', 'mission_id', name=op.f('pk_dossiers_missions'))
    )
    op.create_table('lignes_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('categorie', sa.String(length=30), nullable=False),
    sa.Column('precision', sa.String(length=300), nullable=False),
    sa.Column('montant_annee1', sa.BigInteger(), nullable=False),
    sa.Column('montant_annee2', sa.BigInteger(), nullable=False),
    sa.Column('montant_annee3', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("categorie IN ('salaires', 'fonctionnement', 'deplacements', 'formation', 'autres_charges', 'etat_aap', 'fse', 'collectivites', 'epa', 'acheteurs_prives', 'fonds_propres', 'autres_produits')", name=op.f('ck_lignes_budget_categorie')),
    sa.CheckConstraint('montant_annee1 >= 0 AND montant_annee2 >= 0 AND montant_annee3 >= 0', name=op.f('ck_lignes_budget_positifs')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_lignes_budget_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lignes_budget')),
    sa.UniqueConstraint('dossier_id', 'categorie', name=op.f('uq_lignes_budget_dossier_id_categorie'))
    )
    with op.batch_alter_table('lignes_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lignes_budget_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('volumes_activite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('categorie', sa.String(length=30), nullable=False),
    sa.Column('nombre_marches', sa.Integer(), nullable=False),
    sa.Column('heures_insertion', sa.Integer(), nullable=False),
    sa.CheckConstraint("categorie IN ('marches_etat', 'npnru', 'marches_locaux', 'marches_prives')", name=op.f('ck_volumes_activite_categorie')),
    sa.CheckConstraint('nombre_marches >= 0 AND heures_insertion >= 0', name=op.f('ck_volumes_activite_positifs')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_volumes_activite_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volumes_activite')),
    sa.UniqueConstraint('dossier_id', 'categorie', name=op.f('uq_volumes_activite_dossier_id_categorie'))
    )
    with op.batch_alter_table('volumes_activite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volumes_activite_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('elements_complement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demande_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.CheckConstraint("type IN ('rubrique', 'piece')", name=op.f('ck_elements_complement_type')),
    sa.ForeignKeyConstraint(['demande_id'], ['demandes_complements.id'], name=op.f('fk_elements_complement_demande_id_demandes_complements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elements_complement')),
    sa.UniqueConstraint('demande_id', 'type', 'code', name=op.f('uq_elements_complement_demande_id_type_code'))
    )
    with op.batch_alter_table('elements_complement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elements_complement_demande_id'), ['demande_id'], unique=False)

    op.create_table('pieces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('libelle', sa.String(length=300), nullable=False),
    sa.Column('fichier_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('ajoutee_le', sa.DateTime(), nullable=False),
    sa.Column('ajoutee_par_id', sa.Integer(), nullable=True),
    sa.Column('remplacee_le', sa.DateTime(), nullable=True),
    sa.Column('retiree_le', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ajoutee_par_id'], ['utilisateurs.id'], name=op.f('fk_pieces_ajoutee_par_id_utilisateurs')),
    sa.ForeignKeyConstraint(['document_id'], ['documents_structure.id'], name=op.f('fk_pieces_document_id_documents_structure')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_pieces_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['fichier_id'], ['fichiers.id'], name=op.f('fk_pieces_fichier_id_fichiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pieces'))
    )
    with op.batch_alter_table('pieces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pieces_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soumise_cac', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('etp_facilitateurs_existants', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('etp_coordinateurs_existants', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('annee_financements', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('modifie_le', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_structures_etp_facilitateurs_existants'), 'etp_facilitateurs_existants >= 0')
        batch_op.create_check_constraint(op.f('ck_structures_etp_coordinateurs_existants'), 'etp_coordinateurs_existants >= 0')



def downgrade():
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_structures_etp_coordinateurs_existants'), type_='check')
        batch_op.drop_constraint(op.f('ck_structures_etp_facilitateurs_existants'), type_='check')
        batch_op.drop_column('modifie_le')
        batch_op.drop_column('annee_financements')
        batch_op.drop_column('etp_coordinateurs_existants')
        batch_op.drop_column('etp_facilitateurs_existants')
        batch_op.drop_column('soumise_cac')

    with op.batch_alter_table('pieces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pieces_dossier_id'))

    op.drop_table('pieces')
    with op.batch_alter_table('elements_complement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elements_complement_demande_id'))

    op.drop_table('elements_complement')
    with op.batch_alter_table('volumes_activite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volumes_activite_dossier_id'))

    op.drop_table('volumes_activite')
    with op.batch_alter_table('lignes_budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lignes_budget_dossier_id'))

    op.drop_table('lignes_budget')
    op.drop_table('dossiers_missions')
    op.drop_table('dossiers_communes')
    with op.batch_alter_table('documents_structure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_structure_structure_id'))

    op.drop_table('documents_structure')
    with op.batch_alter_table('depots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_depots_dossier_id'))

    op.drop_table('depots')
    with op.batch_alter_table('demandes_complements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demandes_complements_dossier_id'))

    op.drop_table('demandes_complements')
    with op.batch_alter_table('courriels_pieces_jointes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courriels_pieces_jointes_courriel_id'))

    op.drop_table('courriels_pieces_jointes')
    with op.batch_alter_table('changements_statut', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_changements_statut_dossier_id'))

    op.drop_table('changements_statut')
    with op.batch_alter_table('fichiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fichiers_sha256'))
        batch_op.drop_index(batch_op.f('ix_fichiers_service_id'))

    op.drop_table('fichiers')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_structure_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_statut'))
        batch_op.drop_index(batch_op.f('ix_dossiers_service_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_depose_le'))
        batch_op.drop_index(batch_op.f('ix_dossiers_campagne_id'))

    op.drop_table('dossiers')
    with op.batch_alter_table('financements_existants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financements_existants_structure_id'))

    op.drop_table('financements_existants')
