"""The checks of a dossier: `controles(faits, campagne, instant)` returns the findings (`Constat`): a stable code,
a level (bloquant / avertissement) and a French message that says what to do. The dossier page shows them as a live
checklist, the API serves them, and the same list decides the filing (`peut_deposer`). Plain functions over the plain
values of `regles`: no Flask, no session.

Each rubric has its checks; a check that only compares a value with a limit is a row of a table.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from aap.formats import date_fr, euros, heure_de, instant_fr, pourcentage
from aap.formats import etp as format_etp
from aap.regles import EtatCampagne, etat_campagne

from .regles import (
    PRODUITS,
    PRODUITS_A_NOMMER,
    RUBRIQUES,
    RUBRIQUES_HORS_FORMULAIRE,
    ZERO,
    SyntheseAnnee,
    etp_valide,
    pieces_exigees,
    synthese_budget,
    taux_plafond,
)

BLOQUANT = "bloquant"
AVERTISSEMENT = "avertissement"
ORDRE_RUBRIQUES = ["structure", *RUBRIQUES, "depot"]

CHAMPS_OBLIGATOIRES = [
    ("titre", "Titre du projet", "projet"),
    ("diagnostic", "Diagnostic territorial", "strategie"),
    ("objectifs", "Objectifs visés", "strategie"),
    ("strategie", "Stratégie de mise en œuvre", "strategie"),
    ("calendrier", "Calendrier prévisionnel", "activite"),
]


@dataclass(frozen=True)
class Constat:
    code: str
    niveau: str
    message: str
    rubrique: str
    cible: str = ""

    @property
    def bloquant(self):
        return self.niveau == BLOQUANT

    @property
    def libelle_rubrique(self):
        return RUBRIQUES.get(self.rubrique) or RUBRIQUES_HORS_FORMULAIRE.get(self.rubrique, self.rubrique)


def _bloquant(code, message, rubrique, cible=""):
    return Constat(code, BLOQUANT, message, rubrique, cible)


def _avertissement(code, message, rubrique, cible=""):
    return Constat(code, AVERTISSEMENT, message, rubrique, cible)


# --- Calendrier ---------------------------------------------------------------------------------


def fin_du_jour(jour, fuseau):
    """The first instant after `jour` in that time zone: a date limit runs to 23:59:59 local time."""
    return datetime.combine(jour + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(fuseau))


def _controles_calendrier(campagne, instant, limite_complements):
    if limite_complements is not None:
        if instant >= fin_du_jour(limite_complements, campagne.fuseau):
            return [
                _bloquant(
                    "delai_depasse",
                    f"La date limite des compléments ({date_fr(limite_complements)}) est passée : "
                    "le dossier ne peut plus être déposé à nouveau. Contactez la DEETS.",
                    "depot",
                )
            ]
        return []
    etat = etat_campagne(campagne.ouverture_le, campagne.cloture_le, instant)
    if etat == EtatCampagne.A_VENIR:
        return [
            _bloquant(
                "campagne_pas_ouverte",
                f"Les dépôts ouvrent le {instant_fr(campagne.ouverture_le, campagne.fuseau)} ({heure_de(campagne.fuseau)}) : "
                "vous pourrez déposer votre dossier à partir de ce moment.",
                "depot",
            )
        ]
    if etat == EtatCampagne.CLOTUREE:
        return [
            _bloquant(
                "delai_depasse",
                f"La date limite de dépôt est passée ({instant_fr(campagne.cloture_le, campagne.fuseau)}, "
                f"{heure_de(campagne.fuseau)}) : le dossier ne peut plus être déposé pour cette campagne.",
                "depot",
            )
        ]
    return []


# --- La structure --------------------------------------------------------------------------------


def _controles_structure(f):
    constats = []
    if f.profil_manquant:
        constats.append(
            _bloquant(
                "profil_structure_incomplet",
                "Complétez le profil de votre structure : " + ", ".join(f.profil_manquant) + ".",
                "structure",
            )
        )
    constats += _financements_existants(f)
    if f.statut_juridique == "autre":
        constats.append(
            _avertissement(
                "statut_a_verifier",
                "L'appel vise les associations, les collectivités territoriales, leurs EPA et les réseaux de "
                "l'emploi (§B.1) : précisez dans votre projet ce qui rend votre structure éligible.",
                "structure",
            )
        )
    if f.statut_juridique == "reseau_emploi" and f.etp_facilitateur > 0 and not (f.emergente and f.zone_blanche):
        constats.append(
            _avertissement(
                "reseau_emploi_facilitateur",
                "Les réseaux de l'emploi se positionnent sur la coordination régionale, ou sur la facilitation en "
                "zone blanche pour une structure émergente (§B.1) : vérifiez les postes demandés.",
                "projet",
            )
        )
    return constats


def _financements_existants(f):
    """Annexe 2: every applicant states how its existing ETP are funded today (none, for an emerging structure)."""
    if f.annee_financements is None:
        message = (
            "Présentez dans le profil de votre structure l'état de financement actuel de ses ETP de facilitateurs "
            "et de coordinateurs existants (annexe 2 : chaque candidat) : son année et, si elle en porte, ces ETP "
            "et leur financement par financeur."
        )
    elif not f.emergente and f.etp_existants <= 0:
        message = (
            "Votre structure est déclarée déjà porteuse de facilitateurs ou de coordinateurs : indiquez dans "
            "son profil les ETP qu'elle porte et leur financement actuel par financeur (annexe 2), "
            "ou déclarez-la émergente."
        )
    elif f.etp_existants > 0 and not f.financements_existants:
        message = (
            "Indiquez dans le profil de votre structure le financement actuel, par financeur, des ETP existants "
            "qu'elle déclare (annexe 2)."
        )
    else:
        return _baisse_financements(f)
    return [_bloquant("financements_existants_manquants", message, "structure")]


def _baisse_financements(f):
    avant = sum((Decimal(a) for a, _ in f.financements_existants), ZERO)
    maintenant_ = sum((Decimal(b) for _, b in f.financements_existants), ZERO)
    if maintenant_ >= avant:
        return []
    return [
        _avertissement(
            "baisse_financement_existant",
            f"Les financements de vos postes existants baissent de {euros(avant - maintenant_)} "
            "d'une année sur l'autre : l'engagement de non-baisse (§B.2-3) porte sur eux. "
            "Expliquez cette baisse dans votre stratégie.",
            "structure",
        )
    ]


# --- Le projet -----------------------------------------------------------------------------------


def _controles_projet(f, campagne):
    constats = [
        _bloquant("champ_manquant", f"Renseignez « {libelle} » (étape « {RUBRIQUES[rubrique]} »).", rubrique, champ)
        for champ, libelle, rubrique in CHAMPS_OBLIGATOIRES
        if not (getattr(f, champ) or "").strip()
    ]
    constats += _postes(f, campagne)
    if not f.communes:
        constats.append(
            _bloquant("communes_manquantes", "Indiquez les communes couvertes par le projet.", "territoire", "communes")
        )
    if f.zone_blanche and not f.zone_blanche_justification.strip():
        constats.append(
            _bloquant(
                "zone_blanche_non_justifiee",
                "Vous déclarez une zone blanche : justifiez-la (territoire non couvert, couvert seulement par un "
                "facilitateur limitrophe, ou insuffisamment couvert au regard des besoins, §B.1).",
                "territoire",
                "zone_blanche_justification",
            )
        )
    constats += _missions(f)
    if not any(nombre or heures for nombre, heures in f.volumes.values()):
        constats.append(
            _bloquant(
                "volumes_manquants",
                "Indiquez les volumes d'activité visés (nombre de marchés et heures d'insertion) pour au moins un "
                "type de marchés (annexe 2).",
                "activite",
            )
        )
    return constats


def _postes(f, campagne):
    """AAP §B.2-1: at least one post, ETP in steps of 0.05, at least the campaign's minimum in all."""
    if f.etp_facilitateur <= 0 and f.etp_coordinateur <= 0:
        code = "poste_manquant"
        message = "Indiquez au moins un poste demandé (facilitateur ou coordinateur régional) et son nombre d'ETP."
    elif not (etp_valide(f.etp_facilitateur) and etp_valide(f.etp_coordinateur)):
        code = "etp_invalide"
        message = "Les ETP se demandent par pas de 0,05 (0,5 ; 0,55 ; 0,75 ; 1,0…) : corrigez les ETP demandés."
    elif f.etp_total < campagne.etp_minimum:
        code = "etp_insuffisant"
        message = (
            f"Le projet doit couvrir au moins {format_etp(campagne.etp_minimum)} ETP (§B.2-1) ; il en compte "
            f"{format_etp(f.etp_total)} : augmentez les ETP demandés."
        )
    else:
        return []
    return [_bloquant(code, message, "projet", "etp_facilitateur")]


def _missions(f):
    """AAP §B.2-1: each post asked is positioned on at least one of its missions."""
    return [
        _bloquant(
            "missions_manquantes", f"Positionnez le projet sur au moins une mission de {libelle} (§B.2-1).", "strategie", poste
        )
        for poste, libelle, demande in (
            ("facilitateur", "facilitateur", f.etp_facilitateur),
            ("coordinateur", "coordinateur régional", f.etp_coordinateur),
        )
        if demande > 0 and poste not in f.postes_missions
    ]


# --- Le budget -----------------------------------------------------------------------------------

# L'année 1 porte la demande : (code, ce qui manque, consigne, ligne à corriger).
PREMIERE_ANNEE = (
    (
        "charges_personnel_absentes",
        lambda annee: annee.salaires <= 0,
        "Indiquez les salaires et charges sociales des ETP demandés (année 1) : c'est l'objet du financement.",
        "salaires",
    ),
    (
        "part_etat_absente",
        lambda annee: annee.part_etat <= 0,
        "Indiquez le montant demandé à l'État au titre de cet appel à projets (année 1).",
        "etat_aap",
    ),
)


def _desequilibre(annee: SyntheseAnnee):
    sens = "dépassent" if annee.ecart > 0 else "sont inférieurs aux"
    return (
        f"le budget n'est pas équilibré — les produits ({euros(annee.produits)}) {sens} charges "
        f"({euros(annee.charges)}) de {euros(abs(annee.ecart))}. Ajustez-les pour qu'ils soient égaux."
    )


def _depassement(annee: SyntheseAnnee):
    return (
        f"la part de l'État ({euros(annee.part_etat)}) dépasse de {euros(annee.depassement)} le plafond de "
        f"{pourcentage(annee.taux_plafond, 0)} du coût des ETP ({euros(annee.plafond_etat)} au plus, §B.2-3). "
        "Réduisez-la ou augmentez les cofinancements."
    )


# Chaque année remplie (AAP §B.2-3) : (code, ce qui est en défaut, consigne).
CHAQUE_ANNEE = (
    ("budget_desequilibre", lambda annee: not annee.equilibre, _desequilibre),
    ("taux_etat_depasse", lambda annee: not annee.sous_plafond, _depassement),
    (
        "cofinancement_absent",
        lambda annee: annee.charges > 0 and annee.cofinancement <= 0,
        lambda annee: (
            "aucun cofinancement n'apparaît au budget. Indiquez les autres financeurs "
            "(FSE, collectivités, EPA, acheteurs, fonds propres…), §B.2-3."
        ),
    ),
)


def _controles_budget(f, campagne):
    annees = synthese_budget(f.budget, taux_plafond(campagne, f.statut_juridique), f.etp_total)
    premiere = annees[0]
    if premiere.vide:
        return [
            _bloquant(
                "budget_vide",
                "Remplissez le budget du projet pour l'année 1 : charges des ETP et produits par financeur.",
                "budget",
            )
        ]
    constats = [_bloquant(code, message, "budget", cible) for code, manque, message, cible in PREMIERE_ANNEE if manque(premiere)]
    constats += [
        _bloquant(code, f"Année {annee.annee} : {message(annee)}", "budget", f"annee{annee.annee}")
        for annee in annees
        if not annee.vide
        for code, en_defaut, message in CHAQUE_ANNEE
        if en_defaut(annee)
    ]
    constats += _sources_non_precisees(f)
    if any(a.vide for a in annees[1:]):
        constats.append(
            _avertissement(
                "projection_incomplete",
                "La projection financière sur 3 ans est incomplète : remplissez les années 2 et 3 (critère de la "
                "grille de notation).",
                "budget",
            )
        )
    if campagne.credits > 0 and premiere.part_etat > campagne.credits:
        constats.append(
            _avertissement(
                "credits_depasses",
                f"Le montant demandé ({euros(premiere.part_etat)}) dépasse les crédits disponibles de la campagne "
                f"({euros(campagne.credits)}) : il pourra être réduit.",
                "budget",
                "etat_aap",
            )
        )
    return constats


def _sources_non_precisees(f):
    """AAP §B.2-3: « les sources de ces cofinancements devront apparaître dans les budgets »: who, by name."""
    return [
        _bloquant(
            "source_cofinancement_non_precisee",
            f"Nommez le ou les financeurs de la ligne « {PRODUITS[categorie]} » (§B.2-3 : les sources des "
            "cofinancements apparaissent au budget).",
            "budget",
            categorie,
        )
        for categorie in PRODUITS_A_NOMMER
        if any(Decimal(m) > 0 for m in f.budget.get(categorie, (ZERO, ZERO, ZERO)))
        and not (f.precisions.get(categorie) or "").strip()
    ]


# --- Pièces, engagements, compléments ------------------------------------------------------------


def _controles_pieces(f, campagne):
    return [
        _bloquant(
            "piece_manquante",
            f"Ajoutez la pièce « {piece.libelle} » (annexe 2).",
            "pieces",
            piece.code,
        )
        for piece in pieces_exigees(campagne.pieces, f)
        if piece.code not in f.pieces_fournies
    ]


def _controles_engagements(f):
    constats = []
    if not f.engagement_non_baisse:
        constats.append(
            _bloquant(
                "engagement_non_baisse_absent",
                "Prenez l'engagement de ne pas baisser les financements préexistants des autres postes de "
                "facilitateurs et de coordinateurs (§B.2-3).",
                "engagements",
                "engagement_non_baisse",
            )
        )
    if not f.declaration_honneur or not f.signataire_nom.strip() or not f.signataire_qualite.strip():
        constats.append(
            _bloquant(
                "declaration_honneur_absente",
                "Le représentant légal (ou son délégataire) doit certifier sur l'honneur l'exactitude du dossier : "
                "cochez la déclaration et indiquez son nom et sa qualité.",
                "engagements",
                "declaration_honneur",
            )
        )
    return constats


def _controles_complements(f, campagne):
    """A new filing after a request for compléments answers each item asked: until it has changed, it blocks."""
    libelles = {p.code: p.libelle for p in campagne.pieces} | {"autre": "Autre document"}
    return [
        _bloquant(
            "complement_attendu",
            f"La DEETS a demandé de compléter l'étape « {RUBRIQUES[code]} » : elle n'a pas changé depuis le dépôt."
            if nature == "rubrique"
            else f"La DEETS a demandé la pièce « {libelles.get(code, code)} » : ajoutez-la ou remplacez-la.",
            code if nature == "rubrique" else "pieces",
            "" if nature == "rubrique" else code,
        )
        for nature, code in f.complements_inchanges
    ]


def controles(faits, campagne, instant=None, limite_complements=None):
    """The findings for a dossier. `instant`: judge the calendar then (None: don't, e.g. for an agent
    reading a filed dossier); `limite_complements`: the date limit of an agent's request, which replaces
    the campaign's calendar for a new filing after compléments."""
    constats = [
        *_controles_structure(faits),
        *_controles_projet(faits, campagne),
        *_controles_budget(faits, campagne),
        *_controles_pieces(faits, campagne),
        *_controles_engagements(faits),
        *_controles_complements(faits, campagne),
    ]
    if instant is not None:
        constats += _controles_calendrier(campagne, instant, limite_complements)
    return sorted(constats, key=lambda c: (ORDRE_RUBRIQUES.index(c.rubrique), c.niveau != BLOQUANT))


# --- Simulation (page publique d'une campagne) -----------------------------------------------------------

# Les règles qui portent sur ce que le simulateur demande (statut, postes, coût, cofinancements) ; les autres
# (titre, communes, pièces fournies…) attendent le dossier.
CONSTATS_SIMULES = {
    "poste_manquant",
    "etp_invalide",
    "etp_insuffisant",
    "budget_vide",
    "charges_personnel_absentes",
    "part_etat_absente",
    "budget_desequilibre",
    "taux_etat_depasse",
    "cofinancement_absent",
    "credits_depasses",
    "statut_a_verifier",
    "reseau_emploi_facilitateur",
}


@dataclass(frozen=True)
class Simulation:
    annee: SyntheseAnnee
    taux_plafond: Decimal
    constats: list
    pieces: list

    @property
    def passe(self):
        return peut_deposer(self.constats)


def budget_simule(cout, cofinancements):
    """Year 1 of a balanced budget: the yearly cost as the posts' salaries, each co-financer, the State for the rest."""
    cofinance = sum(cofinancements.values(), ZERO)
    budget = {"salaires": (cout, ZERO, ZERO), "etat_aap": (max(cout - cofinance, ZERO), ZERO, ZERO)}
    return budget | {categorie: (montant, ZERO, ZERO) for categorie, montant in cofinancements.items() if montant}


def simuler(faits, campagne):
    """What a project would get before any account: the State's maximum and share for year 1, whether the rules
    on posts and budget let it be filed (the same checks as a dossier's), and the pieces it will need."""
    constats = [c for c in controles(faits, campagne) if c.code in CONSTATS_SIMULES]
    taux = taux_plafond(campagne, faits.statut_juridique)
    annee = synthese_budget(faits.budget, taux, faits.etp_total)[0]
    return Simulation(annee, taux, constats, pieces_exigees(campagne.pieces, faits))


def peut_deposer(constats):
    return not any(c.bloquant for c in constats)


def resume(constats):
    """(number of blocking findings, number of warnings)."""
    bloquants = sum(1 for c in constats if c.bloquant)
    return bloquants, len(constats) - bloquants


def resume_au(resume, campagne, instant, limite_complements=None):
    """A stored summary of the content's findings (`resume(controles(…))` without the calendar), with the
    calendar judged at `instant`: what `resume(controles(…, instant, limite_complements))` would give."""
    bloquants, avertissements = resume
    return bloquants + len(_controles_calendrier(campagne, instant, limite_complements)), avertissements


def rubriques_a_corriger(constats):
    return {c.rubrique for c in constats if c.bloquant}
