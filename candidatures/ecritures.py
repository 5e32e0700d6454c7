"""What every write of the candidatures domain shares: values checked against the domain's bounds, the status change
with its history row, and the flush that turns a concurrent save into a `Conflit`."""

from decimal import Decimal

from sqlalchemy.orm.exc import StaleDataError

from aap.entrees import lire_decimal, texte_propre
from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.formats import pluriel
from aap.limites import MONTANT_MAX
from aap.types import maintenant

from .models import ChangementStatut


def changer_statut(dossier, statut, par, commentaire=""):
    ancien = dossier.statut
    dossier.statut = str(statut)
    db.session.add(
        ChangementStatut(
            dossier=dossier, statut=str(statut), par_id=par.id if par else None, commentaire=commentaire, le=maintenant()
        )
    )
    return ancien


def enregistrer(dossier):
    """Flushes; a concurrent save of the same dossier (version already taken) becomes a Conflit."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _conflit() from None


def _conflit():
    return Conflit(
        "Ce dossier a été modifié entre-temps (dans un autre onglet ou par un autre membre de votre structure). "
        "Rien n'a été écrasé : rechargez la page pour voir la dernière version, puis reprenez votre saisie.",
        code="conflit_version",
    )


def verifier_version(dossier, version):
    """`version`: what the page or the client read. None: an internal caller (demo, import) that holds the row.
    Anything else that is not the current version, even garbage, is a conflict: never overwrite blindly."""
    if version is None:
        return
    try:
        lue = int(str(version).strip())
    except ValueError:
        raise _conflit() from None
    if lue != dossier.version:
        raise _conflit()


def nombre_verifie(valeur, champ, libelle, places=2, maximum=MONTANT_MAX):
    """A number within the domain's bounds (None: 0). Forms and API schemas give a Decimal; a text from an internal
    caller is read by the one parser of typed numbers."""
    if isinstance(valeur, str):
        try:
            valeur = lire_decimal(valeur)
        except ValueError:
            raise Refus(f"{libelle} : nombre attendu.", code="nombre_invalide", champ=champ) from None
    if valeur is None:
        return Decimal("0")
    if isinstance(valeur, bool) or not isinstance(valeur, (int, Decimal)) or not Decimal(valeur).is_finite():
        raise Refus(f"{libelle} : nombre attendu.", code="nombre_invalide", champ=champ)
    nombre = Decimal(valeur)
    if nombre < 0:
        raise Refus(f"{libelle} : nombre positif attendu.", code="nombre_invalide", champ=champ)
    if nombre > maximum:
        raise Refus(f"{libelle} : valeur trop grande.", code="nombre_invalide", champ=champ)
    if nombre != nombre.quantize(Decimal(1).scaleb(-places)):
        raise Refus(f"{libelle} : au plus {pluriel(places, 'décimale')}.", code="nombre_invalide", champ=champ)
    return nombre.quantize(Decimal(1).scaleb(-places))


def texte_verifie(valeur, champ, longueur):
    texte = texte_propre(valeur or "")
    if len(texte) > longueur:
        raise Refus(f"Ce texte dépasse {longueur} caractères.", code="texte_trop_long", champ=champ)
    return texte
