"""exact après le dépôt : bénéficiaire figé à la signature ; taux plafond de la convention, dû de chaque année,
compte rendu financier final

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00.000000

"""

import calendar
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
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


# Annexe 4 : deux libellés de la grille avaient été tronqués.
LIBELLES_GRILLE = (
    (
        "qualification",
        "Qualification et expertise du coordinateur régional et des facilitateurs des clauses sociales",
        "Qualification et expertise du coordinateur régional et des facilitateurs des clauses sociales dans le domaine",
    ),
    (
        "qualite_offre",
        "Qualité de l'offre de services proposée par la structure",
        "Qualité de l'offre de services proposée par la structure existante ou émergente",
    ),
)
TYPES_BILANS = "type IN ('intermediaire', 'annuel', 'trimestriel')"
TYPES_BILANS_FINANCIER = "type IN ('intermediaire', 'annuel', 'trimestriel', 'financier')"


def _six_mois_apres(jour):
    total = jour.year * 12 + jour.month - 1 + 6
    annee, mois = divmod(total, 12)
    return date(annee, mois + 1, min(jour.day, calendar.monthrange(annee, mois + 1)[1]))


def _libelles(sens):
    critere = sa.table("criteres", sa.column("code"), sa.column("libelle"))
    for code, tronque, complet in LIBELLES_GRILLE:
        avant, apres = (tronque, complet) if sens == "complet" else (complet, tronque)
        op.execute(critere.update().where(critere.c.code == code, critere.c.libelle == avant).values(libelle=apres))


def upgrade():
    _libelles("complet")
    with op.batch_alter_table("campagnes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credits_annee2", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("credits_annee3", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(op.f("ck_campagnes_credits_annees"), "credits_annee2 >= 0 AND credits_annee3 >= 0")
    # Les campagnes existantes : les années 2 et 3 reçoivent les crédits de l'année 1 (l'appel est « reconductible deux
    # années dans la limite des crédits disponibles ») ; l'administrateur les ajuste.
    op.execute("UPDATE campagnes SET credits_annee2 = credits, credits_annee3 = credits")
    with op.batch_alter_table("campagnes", schema=None) as batch_op:
        batch_op.alter_column("credits_annee2", server_default=None)
        batch_op.alter_column("credits_annee3", server_default=None)

    with op.batch_alter_table("conventions", schema=None) as batch_op:
        for nom, type_, _ in BENEFICIAIRE:
            batch_op.add_column(sa.Column(nom, type_, nullable=True))
        batch_op.add_column(sa.Column("taux_plafond", sa.BigInteger(), nullable=False, server_default="7000"))
        batch_op.create_check_constraint(op.f("ck_conventions_taux_plafond"), "taux_plafond > 0 AND taux_plafond <= 10000")
    # Le taux des conventions existantes : celui de la campagne pour le statut de la structure.
    op.execute(
        "UPDATE conventions SET taux_plafond = (SELECT CASE WHEN structures.statut_juridique = 'collectivite' "
        "THEN campagnes.taux_plafond_collectivite ELSE campagnes.taux_plafond END FROM campagnes, structures "
        "WHERE campagnes.id = conventions.campagne_id AND structures.id = conventions.structure_id)"
    )
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.alter_column("taux_plafond", server_default=None)

    with op.batch_alter_table("annees_convention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cout_retenu", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_annees_convention_cout_retenu"), "cout_retenu IS NULL OR cout_retenu > 0")
        batch_op.add_column(sa.Column("montant_du", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_annees_convention_montant_du"), "montant_du IS NULL OR (montant_du >= 0 AND montant_du <= montant)"
        )

    # AAP §B.2-1 : les ETP par pas de 0,05 — stockés en centièmes (ils l'étaient en dixièmes).
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        for poste in ("facilitateur", "coordinateur"):
            batch_op.drop_constraint(op.f(f"ck_dossiers_etp_{poste}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_dossiers_etp_{poste}"), f"etp_{poste} >= 0 AND etp_{poste} <= 10000")
    for table in ("dossiers", "decisions", "annees_convention"):
        op.execute(f"UPDATE {table} SET etp_facilitateur = etp_facilitateur * 10, etp_coordinateur = etp_coordinateur * 10")

    with op.batch_alter_table("seances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("motif_avant_date", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("seances", schema=None) as batch_op:
        batch_op.alter_column("motif_avant_date", server_default=None)

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cout_retenu", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_decisions_cout_retenu"), "cout_retenu IS NULL OR (nature = 'retenu' AND cout_retenu > 0)"
        )

    with op.batch_alter_table("bilans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bilans_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_bilans_type"), TYPES_BILANS_FINANCIER)
    # Chaque année dont le solde attend encore reçoit son compte rendu financier final, dû six mois après la fin.
    connexion = op.get_bind()
    annees = connexion.execute(
        sa.text(
            "SELECT annees_convention.id, annees_convention.convention_id, annees_convention.fin FROM annees_convention "
            "JOIN versements ON versements.annee_id = annees_convention.id "
            "WHERE versements.nature = 'solde' AND versements.etat = 'prevu'"
        )
    ).all()
    for annee_id, convention_id, fin in annees:
        fin = fin if isinstance(fin, date) else date.fromisoformat(str(fin)[:10])
        connexion.execute(
            sa.text(
                "INSERT INTO bilans (annee_id, convention_id, type, ordre, arrete_au, echeance, statut, modifie_le, version) "
                "VALUES (:annee, :convention, 'financier', 1, :fin, :echeance, 'a_deposer', CURRENT_TIMESTAMP, 1)"
            ),
            {"annee": annee_id, "convention": convention_id, "fin": fin, "echeance": _six_mois_apres(fin)},
        )
    # Les conventions déjà signées : le bénéficiaire tel que la structure est aujourd'hui (le mieux connu).
    for nom, _, champ in BENEFICIAIRE:
        op.execute(
            f"UPDATE conventions SET {nom} = (SELECT structures.{champ} FROM structures "
            "WHERE structures.id = conventions.structure_id) WHERE statut <> 'a_signer'"
        )


def downgrade():
    _libelles("tronque")
    op.execute("DELETE FROM versions_bilan WHERE bilan_id IN (SELECT id FROM bilans WHERE type = 'financier')")
    op.execute("DELETE FROM valeurs_bilan WHERE bilan_id IN (SELECT id FROM bilans WHERE type = 'financier')")
    op.execute("DELETE FROM pieces_bilan WHERE bilan_id IN (SELECT id FROM bilans WHERE type = 'financier')")
    op.execute("DELETE FROM bilans WHERE type = 'financier'")
    with op.batch_alter_table("bilans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bilans_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_bilans_type"), TYPES_BILANS)

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_decisions_cout_retenu"), type_="check")
        batch_op.drop_column("cout_retenu")

    with op.batch_alter_table("seances", schema=None) as batch_op:
        batch_op.drop_column("motif_avant_date")

    # Les ETP reviennent en dixièmes : un pas de 0,05 s'arrondit au dixième inférieur.
    for table in ("dossiers", "decisions", "annees_convention"):
        op.execute(f"UPDATE {table} SET etp_facilitateur = etp_facilitateur / 10, etp_coordinateur = etp_coordinateur / 10")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        for poste in ("facilitateur", "coordinateur"):
            batch_op.drop_constraint(op.f(f"ck_dossiers_etp_{poste}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_dossiers_etp_{poste}"), f"etp_{poste} >= 0 AND etp_{poste} <= 1000")

    with op.batch_alter_table("annees_convention", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_annees_convention_montant_du"), type_="check")
        batch_op.drop_column("montant_du")
        batch_op.drop_constraint(op.f("ck_annees_convention_cout_retenu"), type_="check")
        batch_op.drop_column("cout_retenu")

    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_conventions_taux_plafond"), type_="check")
        batch_op.drop_column("taux_plafond")
        for nom, _, _ in reversed(BENEFICIAIRE):
            batch_op.drop_column(nom)

    with op.batch_alter_table("campagnes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_campagnes_credits_annees"), type_="check")
        batch_op.drop_column("credits_annee3")
        batch_op.drop_column("credits_annee2")
