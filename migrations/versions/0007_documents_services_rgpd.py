"""documents et RGPD : réglages par service, journal anonymisable, comptes et dossiers anonymisés

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000

Le journal d'audit chaîne désormais l'empreinte de sa partie personnelle (acteur, détails) au lieu de son
texte : la migration vérifie l'ancienne chaîne (elle s'arrête si elle est rompue), puis recalcule la chaîne
entière selon la nouvelle règle. Les déclencheurs n'acceptent plus qu'une modification : l'anonymisation.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HASH_INITIAL = "0" * 64
COLONNES_SCELLEES = (
    "id", "le", "acteur_id", "action", "objet_type", "objet_id", "service_id", "empreinte_donnees",
    "hash_precedent", "hash",
)
SERVICE = [
    ("prefet", sa.String(200)),
    ("departements", sa.String(60)),
    ("code_postal", sa.String(5)),
    ("commune", sa.String(100)),
    ("lieu_signature", sa.String(100)),
    ("signataire_prenom", sa.String(100)),
    ("signataire_nom", sa.String(100)),
    ("signataire_qualite", sa.String(200)),
    ("tribunal", sa.String(200)),
]


def _pg():
    return op.get_bind().dialect.name == "postgresql"


def _supprimer_declencheurs():
    if _pg():
        op.execute("DROP TRIGGER IF EXISTS journal_ajout_seul ON journal")
        op.execute("DROP FUNCTION IF EXISTS journal_ajout_seul()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_ajout_seul_update")
        op.execute("DROP TRIGGER IF EXISTS journal_ajout_seul_delete")


def _declencheurs(anonymisation):
    """Append-only; with `anonymisation`, one UPDATE is let through: the personal part of an entry, dated."""
    if _pg():
        permis = ""
        if anonymisation:
            egal = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in COLONNES_SCELLEES)
            permis = f"IF TG_OP = 'UPDATE' AND NEW.anonymise_le IS NOT NULL AND {egal} THEN RETURN NEW; END IF; "
        op.execute(
            "CREATE FUNCTION journal_ajout_seul() RETURNS trigger AS $$ "
            f"BEGIN {permis}RAISE EXCEPTION 'journal d''audit en ajout seul'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER journal_ajout_seul BEFORE UPDATE OR DELETE ON journal "
            "FOR EACH ROW EXECUTE FUNCTION journal_ajout_seul()"
        )
        return
    condition = ""
    if anonymisation:
        egal = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in COLONNES_SCELLEES)
        condition = f"WHEN NOT (NEW.anonymise_le IS NOT NULL AND {egal}) "
    op.execute(
        f"CREATE TRIGGER journal_ajout_seul_update BEFORE UPDATE ON journal {condition}"
        "BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END"
    )
    op.execute(
        "CREATE TRIGGER journal_ajout_seul_delete BEFORE DELETE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END"
    )


def _texte(*morceaux):
    return hashlib.sha256("|".join(morceaux).encode()).hexdigest()


def _instant(valeur):
    if isinstance(valeur, str):  # SQLite sans type déclaré à la lecture
        from datetime import datetime

        valeur = datetime.fromisoformat(valeur)
    return valeur.replace(tzinfo=timezone.utc).isoformat()


def _journal(*colonnes):
    return sa.table("journal", *(sa.column(c) for c in colonnes))


COLONNES = ("id", "le", "acteur_id", "acteur", "action", "objet_type", "objet_id", "service_id", "details", "hash_precedent", "hash")


def _verifier_0001():
    """The chain as version 0001 sealed it; checked before anything changes (a broken one is not sealed again)."""
    journal = _journal(*COLONNES)
    precedent = HASH_INITIAL
    for e in op.get_bind().execute(sa.select(journal).order_by(journal.c.id)).all():
        attendu = _texte(
            precedent, _instant(e.le), str(e.acteur_id or ""), e.acteur, e.action, e.objet_type, e.objet_id,
            str(e.service_id or ""), e.details,
        )
        if e.hash_precedent != precedent or e.hash != attendu:
            raise RuntimeError(f"Journal d'audit rompu à l'entrée n°{e.id} : migration arrêtée (flask journal verifier).")
        precedent = e.hash


def _rechainer():
    """Seals the chain again over the SHA-256 of each entry's personal part (actor's label, details)."""
    connexion = op.get_bind()
    journal = _journal(*COLONNES, "empreinte_donnees")
    precedent = HASH_INITIAL
    for e in connexion.execute(sa.select(journal).order_by(journal.c.id)).all():
        empreinte = hashlib.sha256(json.dumps([e.acteur, e.details], ensure_ascii=False).encode()).hexdigest()
        hash_ = _texte(
            precedent, _instant(e.le), str(e.acteur_id or ""), e.action, e.objet_type, e.objet_id, str(e.service_id or ""),
            empreinte,
        )
        connexion.execute(
            sa.update(journal).where(journal.c.id == e.id).values(empreinte_donnees=empreinte, hash_precedent=precedent, hash=hash_)
        )
        precedent = hash_
    connexion.execute(sa.text("UPDATE journal_tete SET dernier_hash = :h WHERE id = 1"), {"h": precedent})


def upgrade():
    _verifier_0001()
    _supprimer_declencheurs()
    with op.batch_alter_table('services', schema=None) as batch_op:
        for nom, type_ in SERVICE:
            batch_op.add_column(sa.Column(nom, type_, nullable=False, server_default=""))
    with op.batch_alter_table('services', schema=None) as batch_op:
        for nom, _ in SERVICE:
            batch_op.alter_column(nom, server_default=None)
    # Les services existants : le titre du préfet est celui du bloc-marque, initiale en minuscule (« préfet de Mayotte »).
    op.execute("UPDATE services SET prefet = lower(substr(intitule_officiel, 1, 1)) || substr(intitule_officiel, 2)")

    with op.batch_alter_table('utilisateurs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymise_le', sa.DateTime(), nullable=True))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymise_le', sa.DateTime(), nullable=True))

    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('empreinte_donnees', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('anonymise_le', sa.DateTime(), nullable=True))
    _rechainer()
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.alter_column('empreinte_donnees', existing_type=sa.String(length=64), nullable=False)
    _declencheurs(anonymisation=True)


def downgrade():
    # La chaîne reste scellée selon la nouvelle règle : `journal verifier` d'une version antérieure la dirait rompue.
    _supprimer_declencheurs()
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_column('anonymise_le')
        batch_op.drop_column('empreinte_donnees')
    _declencheurs(anonymisation=False)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('anonymise_le')
    with op.batch_alter_table('utilisateurs', schema=None) as batch_op:
        batch_op.drop_column('anonymise_le')
    with op.batch_alter_table('services', schema=None) as batch_op:
        for nom, _ in reversed(SERVICE):
            batch_op.drop_column(nom)
