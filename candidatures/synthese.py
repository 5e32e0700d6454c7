"""From rows to the plain values the rules read, and the dossier's synthesis for other pages.

`controles_dossier(dossier)` is what pages and the API call; `synthese_dossier(dossier)` gives the
figures a scoring page needs (the notation domain shows it with `candidatures/_synthese.html`).
Both read only relationships that `options_dossier_complet()` loads eagerly: a list of 25 dossiers
costs the same handful of queries as one.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import joinedload, selectinload

from aap.journal import canonique
from aap.models import Campagne
from aap.types import maintenant

from . import regles
from .constats import ORDRE_RUBRIQUES, controles, resume
from .models import MODIFIABLES, DocumentStructure, Dossier, Piece, Poste, Statut, StatutJuridique, Structure

ZERO = Decimal("0")


def options_liste(un_seul=False):
    """Eager loading for everything `controles_dossier` reads: what lists and exports need for the checks'
    summary of each row (the pieces' codes, not their files). For a single dossier (`un_seul`), its three
    smallest collections come in the dossier's own query: a few rows each, three queries fewer."""
    petite_collection = joinedload if un_seul else selectinload
    return [
        joinedload(Dossier.service),
        joinedload(Dossier.campagne).selectinload(Campagne.pieces),
        joinedload(Dossier.structure).options(petite_collection(Structure.financements)),
        joinedload(Dossier.structure).joinedload(Structure.commune),
        selectinload(Dossier.communes),
        selectinload(Dossier.missions),
        petite_collection(Dossier.volumes),
        selectinload(Dossier.lignes_budget),
        selectinload(Dossier.pieces),
        petite_collection(Dossier.demandes_complements),
        # Un dossier déposé est jugé sur le profil de son dernier dépôt (`Dossier.profil`).
        petite_collection(Dossier.depots),
    ]


def options_dossier_complet(un_seul=False):
    """Eager loading for everything `controles_dossier` and `synthese_dossier` read, pieces' files included."""
    return options_liste(un_seul) + [selectinload(Dossier.pieces).joinedload(Piece.fichier)]


def options_page_dossier():
    """The dossier page shows more: filings, history, requests' items, standing documents."""
    from .models import ChangementStatut, DemandeComplements, Depot

    return options_dossier_complet() + [
        selectinload(Dossier.depots).joinedload(Depot.accuse),
        selectinload(Dossier.depots).joinedload(Depot.depose_par),
        selectinload(Dossier.historique).joinedload(ChangementStatut.par),
        selectinload(Dossier.demandes_complements).selectinload(DemandeComplements.elements),
        selectinload(Dossier.pieces).joinedload(Piece.ajoutee_par),
        joinedload(Dossier.structure).selectinload(Structure.documents).joinedload(DocumentStructure.fichier),
        joinedload(Dossier.campagne).selectinload(Campagne.missions),
    ]


def regles_campagne(campagne, fuseau):
    return regles.ReglesCampagne(
        ouverture_le=campagne.ouverture_le,
        cloture_le=campagne.cloture_le,
        taux_plafond=campagne.taux_plafond,
        taux_plafond_collectivite=campagne.taux_plafond_collectivite,
        etp_minimum=campagne.etp_minimum,
        credits=campagne.credits,
        pieces=tuple(regles.PieceExigible(p.code, p.libelle, p.condition, p.description) for p in campagne.pieces),
        fuseau=fuseau,
    )


def budget_de(dossier):
    return {ligne.categorie: ligne.montants for ligne in dossier.lignes_budget}


def faits(dossier):
    """The plain values the checks read. The structure as filed once the dossier is filed (`Dossier.profil`)."""
    profil = dossier.profil_du_controle
    return regles.FaitsDossier(
        statut_juridique=profil.statut_juridique,
        emergente=profil.emergente,
        soumise_cac=profil.soumise_cac,
        profil_manquant=profil.profil_manquant,
        etp_existants=profil.etp_existants,
        annee_financements=profil.annee_financements,
        financements_existants=tuple((precedent, courant) for _, precedent, courant in profil.financements),
        titre=dossier.titre,
        etp_facilitateur=dossier.etp_facilitateur,
        etp_coordinateur=dossier.etp_coordinateur,
        communes=tuple(c.code for c in dossier.communes),
        zone_blanche=dossier.zone_blanche,
        zone_blanche_justification=dossier.zone_blanche_justification,
        diagnostic=dossier.diagnostic,
        objectifs=dossier.objectifs,
        strategie=dossier.strategie,
        calendrier=dossier.calendrier,
        postes_missions=tuple(m.poste for m in dossier.missions),
        volumes={v.categorie: (v.nombre_marches, v.heures_insertion) for v in dossier.volumes},
        budget=budget_de(dossier),
        precisions={ligne.categorie: ligne.precision for ligne in dossier.lignes_budget},
        pieces_fournies=frozenset(p.code for p in dossier.pieces_courantes),
        engagement_non_baisse=dossier.engagement_non_baisse,
        declaration_honneur=dossier.declaration_honneur,
        signataire_nom=dossier.signataire_nom,
        signataire_qualite=dossier.signataire_qualite,
        complements_inchanges=complements_inchanges(dossier),
    )


def contenu_du_formulaire(dossier):
    """What the applicant enters in the form's steps, in the shape of a filing's snapshot."""
    return {
        "projet": {
            "titre": dossier.titre,
            "etp": {"facilitateur": dossier.etp_facilitateur, "coordinateur": dossier.etp_coordinateur},
            "communes": [[c.code, c.nom] for c in dossier.communes],
            "zone_blanche": dossier.zone_blanche,
            "zone_blanche_justification": dossier.zone_blanche_justification,
            "diagnostic": dossier.diagnostic,
            "objectifs": dossier.objectifs,
            "strategie": dossier.strategie,
            "missions": [[m.id, m.poste, m.libelle] for m in dossier.missions],
            "volumes": {v.categorie: [v.nombre_marches, v.heures_insertion] for v in dossier.volumes},
            "calendrier": dossier.calendrier,
        },
        "budget": {
            ligne.categorie: {"precision": ligne.precision, "montants": list(ligne.montants)} for ligne in dossier.lignes_budget
        },
        "engagements": {
            "non_baisse": dossier.engagement_non_baisse,
            "declaration_honneur": dossier.declaration_honneur,
            "signataire": [dossier.signataire_nom, dossier.signataire_qualite],
            "le": dossier.engagements_le,
        },
    }


def instantane(dossier, rang, instant):
    """What was filed, frozen: the content of the dossier and each piece's SHA-256."""
    annees = synthese_budget(dossier)
    return {
        "numero": dossier.numero,
        "rang": rang,
        "depose_le": instant,
        "campagne": {"id": dossier.campagne_id, "annee": dossier.campagne.annee, "titre": dossier.campagne.titre},
        "structure": _structure_figee(dossier.structure),
        **contenu_du_formulaire(dossier),
        "synthese_budget": [
            {
                "annee": a.annee,
                "charges": a.charges,
                "produits": a.produits,
                "part_etat": a.part_etat,
                "taux_etat": a.taux_etat,
                "cofinancement": a.cofinancement,
                "plafond_etat": a.plafond_etat,
            }
            for a in annees
        ],
        "pieces": [
            {
                "id": p.id,
                "code": p.code,
                "libelle": p.libelle,
                "nom": p.fichier.nom,
                "taille": p.fichier.taille,
                "sha256": p.fichier.sha256,
                "fichier": p.fichier_id,
            }
            for p in dossier.pieces_courantes
        ],
    }


def _structure_figee(structure):
    """The structure's profile as filed: the rules judge a filed dossier on it (`Depot.profil`)."""
    return {
        "id": structure.id,
        "siret": structure.siret,
        "raison_sociale": structure.raison_sociale,
        "statut_juridique": structure.statut_juridique,
        "emergente": structure.emergente,
        "soumise_cac": structure.soumise_cac,
        "adresse": structure.adresse,
        "code_postal": structure.code_postal,
        "commune": structure.commune_code,
        "representant": [structure.representant_nom, structure.representant_qualite],
        "contact": [structure.contact_nom, structure.contact_courriel, structure.contact_telephone],
        "etp_existants": {
            "facilitateur": structure.etp_facilitateurs_existants,
            "coordinateur": structure.etp_coordinateurs_existants,
        },
        "annee_financements": structure.annee_financements,
        "financements_existants": [
            {
                "poste": f.poste,
                "financeur": f.financeur,
                "nom": f.nom_financeur,
                "annee_precedente": f.montant_annee_precedente,
                "annee_courante": f.montant_annee_courante,
            }
            for f in structure.financements
        ],
    }


def _par_etape(contenu):
    """A form content (the snapshot's shape, through JSON) cut by step; empty lines left out, so that a line
    typed then emptied is no change."""
    projet, engagements = contenu["projet"], contenu["engagements"]
    return {
        "projet": [projet["titre"], projet["etp"]],
        "territoire": [projet["communes"], projet["zone_blanche"], projet["zone_blanche_justification"]],
        "strategie": [projet["diagnostic"], projet["objectifs"], projet["strategie"], projet["missions"]],
        "activite": [{c: v for c, v in projet["volumes"].items() if any(v)}, projet["calendrier"]],
        "budget": {
            categorie: ligne
            for categorie, ligne in contenu["budget"].items()
            if ligne["precision"] or any(Decimal(m) for m in ligne["montants"])
        },
        "engagements": [engagements["non_baisse"], engagements["declaration_honneur"], engagements["signataire"]],
    }


def complements_inchanges(dossier):
    """The items of the pending request for compléments that are as they were filed: (`rubrique`, step) for a step
    whose content has not changed, (`piece`, code) for a piece not added or replaced since. The last filing's
    snapshot is what the agent read when asking."""
    demande = dossier.demande_en_cours
    if dossier.statut != Statut.COMPLEMENTS_DEMANDES or demande is None or not dossier.depots:
        return ()
    depose = json.loads(dossier.depots[-1].instantane)
    avant, apres = _par_etape(depose), _par_etape(json.loads(canonique(contenu_du_formulaire(dossier))))
    fichiers_deposes = {(p["code"], p["fichier"]) for p in depose["pieces"]}
    inchanges = [("rubrique", r) for r in sorted(demande.rubriques, key=ORDRE_RUBRIQUES.index) if avant[r] == apres[r]]
    for code in sorted(demande.pieces):
        fournis = {(p.code, p.fichier_id) for p in dossier.pieces_courantes if p.code == code}
        if fournis <= fichiers_deposes:  # rien d'ajouté ni de remplacé pour cette pièce
            inchanges.append(("piece", code))
    return tuple(inchanges)


def controles_dossier(dossier, instant=None, calendrier=None):
    """The findings for this dossier. The calendar is judged (now, by default) only while the applicant
    may still file: an agent reading a filed dossier sees what concerns its content."""
    if calendrier is None:
        calendrier = dossier.statut in MODIFIABLES
    limite = None
    if dossier.statut == Statut.COMPLEMENTS_DEMANDES and dossier.demande_en_cours:
        limite = dossier.demande_en_cours.date_limite
    return controles(
        faits(dossier),
        regles_campagne(dossier.campagne, dossier.service.fuseau),
        instant=(instant or maintenant()) if calendrier else None,
        limite_complements=limite,
    )


def pieces_exigees(dossier):
    return regles.pieces_exigees(regles_campagne(dossier.campagne, dossier.service.fuseau).pieces, faits(dossier))


def taux_plafond(dossier):
    """The State's cap for this dossier (§B.2-3), from the structure's status as filed."""
    return regles.taux_plafond(dossier.campagne, dossier.profil_du_controle.statut_juridique)


def synthese_budget(dossier):
    return regles.synthese_budget(budget_de(dossier), taux_plafond(dossier), dossier.etp_total)


@dataclass(frozen=True)
class SyntheseDossier:
    """What a scoring page shows about a dossier, in one object."""

    dossier: Dossier
    etp_facilitateur: Decimal
    etp_coordinateur: Decimal
    etp_total: Decimal
    montant_demande: Decimal
    annees: list
    taux_plafond: Decimal
    communes: list
    missions: list
    volumes: dict
    constats: list
    bloquants: int
    avertissements: int
    profil: regles.ProfilStructure

    @property
    def libelle_statut(self):
        return StatutJuridique.libelle_de(self.profil.statut_juridique)

    @property
    def financements_par_poste(self):
        """{poste: (année précédente, année courante)} of the existing posts' financing, as filed."""
        sommes = {}
        for poste, precedent, courant in self.profil.financements:
            avant, maintenant_ = sommes.get(poste, (ZERO, ZERO))
            sommes[poste] = (avant + precedent, maintenant_ + courant)
        return sommes

    @property
    def annee1(self):
        return self.annees[0]

    @property
    def cout_total_3_ans(self):
        return sum((a.charges for a in self.annees), ZERO)

    @property
    def part_etat_3_ans(self):
        return sum((a.part_etat for a in self.annees), ZERO)


def synthese_dossier(dossier):
    """The dossier's synthesis: posts and ETP asked beside the existing ones and their financing (annexe 2: so
    that the additionality can be judged, §B.2-3), the State amount asked (year 1), the three years' budget
    figures, territory, missions, activity volumes and the checks' summary."""
    annees = synthese_budget(dossier)
    constats = controles_dossier(dossier, calendrier=False)
    bloquants, avertissements = resume(constats)
    return SyntheseDossier(
        dossier=dossier,
        etp_facilitateur=dossier.etp_demande(Poste.FACILITATEUR),
        etp_coordinateur=dossier.etp_demande(Poste.COORDINATEUR),
        etp_total=dossier.etp_total,
        montant_demande=dossier.montant_demande,
        annees=annees,
        taux_plafond=taux_plafond(dossier),
        communes=[c.nom for c in dossier.communes],
        missions=list(dossier.missions),
        volumes={v.categorie: v for v in dossier.volumes},
        constats=constats,
        bloquants=bloquants,
        avertissements=avertissements,
        profil=dossier.profil_du_controle,
    )


def pieces_attendues(dossier):
    """For the pieces step: each required piece with its piece in force (or None), then extra documents."""
    courantes = {}
    for piece in dossier.pieces_courantes:
        courantes.setdefault(piece.code, []).append(piece)
    exigees = pieces_exigees(dossier)
    codes = {p.code for p in exigees}
    lignes = [(p, courantes.get(p.code, [None])[-1]) for p in exigees]
    # Une pièce fournie qui n'est plus exigée (les postes ont changé) reste visible, pour la retirer.
    lignes += [
        (regles.PieceExigible(code, pieces[-1].libelle, "facultative"), pieces[-1])
        for code, pieces in courantes.items()
        if code not in codes and code != "autre"
    ]
    return lignes, courantes.get("autre", [])
