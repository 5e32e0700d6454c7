"""Every read of the candidatures domain shared by pages and API (and by the later domains): who reaches which
dossier or structure, the dossier list, the addresses of a structure.

One status rule, page and API alike: a route a role never may use answers 403 (`role_requis`, before any object
is read: it reveals nothing); an object that does not exist or that the person may not see answers 404 (its
existence is not revealed); an object they see but may not act on answers 403 (they know it exists).
"""

from flask_login import current_user
from sqlalchemy import and_, asc, desc, exists, false, func, or_, select

from aap.entrees import paginer
from aap.extensions import db
from aap.models import AGENTS_ETAT, Campagne, Role, Service
from aap.securite import accessible

from .models import Dossier, Poste, Statut, StatutJuridique, Structure, dossiers_communes
from .resumes import lignes_dossiers

# Rôles des routes (pages et API) : qui remplit et dépose, qui instruit, qui lit les dossiers déposés.
PORTEURS = (Role.PORTEUR,)
INSTRUCTEURS = (Role.AGENT, Role.ADMIN)
LECTEURS = AGENTS_ETAT


def dossier_accessible(dossier_id, options=(), droit=None):
    """The dossier (loaded with `options`) for pages and API, by `aap.securite.accessible`: 404 when it does not
    exist or the current user may not see it; 403 when they see it but `droit` (such as `Dossier.can_porter`)
    refuses."""
    return accessible(db.session.scalar(select(Dossier).where(Dossier.id == dossier_id).options(*options)), droit)


def structure_accessible(structure_id, options=(), droit=None):
    """The structure, by the same rule as `dossier_accessible`."""
    return accessible(db.session.scalar(select(Structure).where(Structure.id == structure_id).options(*options)), droit)


# --- La liste des dossiers ---------------------------------------------------------------------

TRIS = {
    "numero": Dossier.numero,
    "depose_le": Dossier.depose_le,
    "cree_le": Dossier.cree_le,
    "titre": Dossier.titre,
    "structure": Structure.raison_sociale,
    "montant": Dossier.montant_demande,
    "statut": Dossier.statut,
}
OUI_NON = {"oui", "non"}


def filtres_dossiers(args):
    """The list's filters and sort as strings, from the page's query string or the API's arguments written the same
    way: an unknown value is dropped. A known status is kept even where no dossier can have it (a draft, for a
    reader): the answer is then empty, never the unfiltered list. By default a porteur sees his newest dossiers
    first, a reader the last filed."""
    porteur = current_user.a_role(Role.PORTEUR)
    tri_defaut = "cree_le" if porteur else "depose_le"

    def parmi(cle, valeurs):
        valeur = str(args.get(cle) or "")
        return valeur if valeur in valeurs else ""

    campagne = str(args.get("campagne") or "")
    return {
        "q": str(args.get("q") or "").strip()[:100],
        "statut": parmi("statut", {str(s) for s in Statut}),
        "poste": parmi("poste", {str(p) for p in Poste}),
        "commune": str(args.get("commune") or "").strip()[:5],
        "statut_juridique": parmi("statut_juridique", {s.value for s in StatutJuridique}),
        "emergente": parmi("emergente", OUI_NON),
        "zone_blanche": parmi("zone_blanche", OUI_NON),
        "campagne": campagne if campagne.isdigit() and len(campagne) < 10 else "",
        "tri": parmi("tri", TRIS) or tri_defaut,
        "ordre": "asc" if args.get("ordre") == "asc" else "desc",
    }


def requete_dossiers(filtres, avec_structure=False):
    """The dossiers the current user may list, filtered and sorted, for page, API and export alike: his
    structure's, drafts included (porteur); his service's filed ones (agent, administrator); all filed ones
    (national reader). The search reads the number, the title, the structure's name and its SIRET. The structure
    is joined only when a filter or the sort reads it, or the caller asks (`avec_structure`): the national list then
    pages through the dossiers' own index."""
    if current_user.a_role(Role.PORTEUR):
        requete = select(Dossier).where(
            Dossier.structure_id == current_user.structure_id if current_user.rattachement_valide else false()
        )
    else:
        requete = select(Dossier).where(Dossier.statut != Statut.BROUILLON)
        if not current_user.a_role(Role.NATIONAL):
            requete = requete.where(Dossier.service_id == current_user.service_id)
    if avec_structure or any(filtres[f] for f in ("q", "statut_juridique", "emergente")) or filtres["tri"] == "structure":
        requete = requete.join(Dossier.structure)
    requete = _filtrer(requete, filtres)
    sens = asc if filtres["ordre"] == "asc" else desc
    tri = sens(TRIS[filtres["tri"]])
    # Un dossier déposé a toujours sa date (contrainte « depot ») : sans NULLS LAST, l'index de la date sert le
    # tri sur PostgreSQL comme sur SQLite (page 200 de la liste nationale : 31 → 8 ms de SQL sur PostgreSQL).
    if filtres["tri"] not in ("depose_le", "cree_le"):
        tri = tri.nulls_last()
    return requete.order_by(tri, Dossier.id.desc() if filtres["tri"] == "cree_le" else Dossier.id)


def _filtrer(requete, filtres):
    if filtres["statut"]:
        requete = requete.where(Dossier.statut == filtres["statut"])
    if filtres["poste"] == Poste.FACILITATEUR:
        requete = requete.where(Dossier.etp_facilitateur > 0)
    elif filtres["poste"] == Poste.COORDINATEUR:
        requete = requete.where(Dossier.etp_coordinateur > 0)
    if filtres["commune"]:
        requete = requete.where(
            exists().where(
                and_(dossiers_communes.c.dossier_id == Dossier.id, dossiers_communes.c.commune_code == filtres["commune"])
            )
        )
    if filtres["statut_juridique"]:
        requete = requete.where(Structure.statut_juridique == filtres["statut_juridique"])
    if filtres["emergente"]:
        requete = requete.where(Structure.emergente.is_(filtres["emergente"] == "oui"))
    if filtres["zone_blanche"]:
        requete = requete.where(Dossier.zone_blanche.is_(filtres["zone_blanche"] == "oui"))
    if filtres["campagne"]:
        requete = requete.where(Dossier.campagne_id == int(filtres["campagne"]))
    if filtres["q"]:
        echappe = filtres["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        motif = f"%{echappe}%"
        requete = requete.where(
            or_(
                func.lower(Dossier.numero).like(motif, escape="\\"),
                func.lower(Dossier.titre).like(motif, escape="\\"),
                func.lower(Structure.raison_sociale).like(motif, escape="\\"),
                Structure.siret == filtres["q"].replace(" ", ""),
            )
        )
    return requete


def paginer_dossiers(requete, options=(), par_page=None, en_lignes=False):
    """The page of dossiers, sorted and counted on their ids alone, then loaded with `options` — or read as rows
    (`en_lignes`: `LigneDossier`, columns and the stored summary, no ORM object).

    Sorting whole rows (long texts, eager-loaded joins) to skip 5 000 of them made page 200 of the national
    list cost a quarter of a second on SQLite; the ids sort in a few milliseconds."""
    page = paginer(requete.with_only_columns(Dossier.id), par_page)
    if page.items:
        lues = select(Dossier).where(Dossier.id.in_(page.items))
        if en_lignes:
            par_id = {ligne.id: ligne for ligne in lignes_dossiers(lues.join(Dossier.structure))}
        else:
            par_id = {d.id: d for d in db.session.scalars(lues.options(*options))}
        page.items = [par_id[ident] for ident in page.items]
    return page


# --- Les adresses d'une structure ----------------------------------------------------------------


def membres_actifs(structure):
    return [m for m in structure.membres if m.rattachement_valide and m.actif]


def destinataires(structure):
    """The structure's accepted, active members and its contact address."""
    adresses = [m.email for m in membres_actifs(structure)]
    if structure.contact_courriel and structure.contact_courriel.lower() not in {a.lower() for a in adresses}:
        adresses.append(structure.contact_courriel)
    return adresses


def campagnes_du_filtre(utilisateur):
    """(id, "année — service") of the campaigns a reader filters the dossier list by, newest first: rows, not
    objects (300 campaigns for the national reader)."""
    requete = (
        select(Campagne.id, Campagne.annee, Service.code)
        .join(Service, Service.id == Campagne.service_id)
        .where(True if utilisateur.a_role(Role.NATIONAL) else Campagne.service_id == utilisateur.service_id)
        .order_by(Campagne.annee.desc())
    )
    return [(str(ident), f"{annee} — {code}") for ident, annee, code in db.session.execute(requete)]
