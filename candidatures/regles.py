"""The rules of the call for a dossier, as plain functions over plain values: no Flask, no session.

`controles(faits, campagne, instant)` returns the findings (`Constat`): a stable code, a level
(bloquant / avertissement) and a French message that says what to do. The dossier page shows them as
a live checklist, the API serves them, and the same list decides the filing (`peut_deposer`).

`synthese_budget` computes the cerfa 12156 figures (ETP cost, State share and rate, co-financing and
rate, the State's maximum under the structure's cap, balance) in exact decimals, per year.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from aap.formats import date_fr, euros, heure_de, instant_fr, pourcentage
from aap.formats import etp as format_etp
from aap.regles import EtatCampagne, etat_campagne

BLOQUANT = "bloquant"
AVERTISSEMENT = "avertissement"
ZERO = Decimal("0")
CENTIME = Decimal("0.01")
# AAP §B.2-1 ne fixe que le minimum de 0,5 ETP : les ETP se demandent par pas de 0,05 (0,75 ETP est courant).
PAS_ETP = Decimal("0.05")
ANNEES = (1, 2, 3)

# Les étapes du formulaire : chaque constat renvoie à celle où se corrige ce qu'il signale.
RUBRIQUES = {
    "projet": "Le projet",
    "territoire": "Le territoire",
    "strategie": "Diagnostic et stratégie",
    "activite": "Activité visée et calendrier",
    "budget": "Le budget",
    "pieces": "Les pièces",
    "engagements": "Engagements",
}
RUBRIQUES_HORS_FORMULAIRE = {"structure": "Profil de la structure", "depot": "Dépôt"}

# Annexe 2 : volumes d'activité visés par type de marchés.
CATEGORIES_VOLUMES = {
    "marches_etat": "Marchés de l'État et de ses établissements",
    "npnru": "Marchés liés au NPNRU",
    "marches_locaux": "Marchés publics locaux",
    "marches_prives": "Marchés privés",
}

# Budget du projet au format du cerfa 12156*06 : charges, puis produits par financeur.
CHARGES = {
    "salaires": "Salaires et charges sociales des ETP",
    "fonctionnement": "Frais de fonctionnement (locaux, fournitures, informatique)",
    "deplacements": "Déplacements et missions",
    "formation": "Formation et professionnalisation",
    "autres_charges": "Autres charges",
}
PRODUITS = {
    "etat_aap": "État — le présent appel à projets (DEETS)",
    "fse": "Fonds social européen (FSE)",
    "collectivites": "Collectivités territoriales (Département, communes, EPCI)",
    "epa": "Établissements publics (EPA)",
    "acheteurs_prives": "Acheteurs privés",
    "fonds_propres": "Fonds propres",
    "autres_produits": "Autres produits",
}
CATEGORIES_BUDGET = CHARGES | PRODUITS
# AAP §B.2-3 : « Les sources de ces cofinancements devront apparaître dans les budgets » : qui, nommément.
PRODUITS_A_NOMMER = ("collectivites", "epa", "acheteurs_prives", "autres_produits")

# Financement actuel des postes existants (annexe 2), par financeur.
LIBELLES_FINANCEURS = {
    "etat": "État (autres crédits)",
    "fse": "Fonds social européen (FSE)",
    "collectivites": "Collectivités territoriales",
    "epa": "Établissements publics (EPA)",
    "acheteurs_prives": "Acheteurs privés",
    "fonds_propres": "Fonds propres",
    "autres": "Autres",
}
CATEGORIES_FINANCEURS = tuple(LIBELLES_FINANCEURS)

CHAMPS_OBLIGATOIRES = [
    ("titre", "Titre du projet", "projet"),
    ("diagnostic", "Diagnostic territorial", "strategie"),
    ("objectifs", "Objectifs visés", "strategie"),
    ("strategie", "Stratégie de mise en œuvre", "strategie"),
    ("calendrier", "Calendrier prévisionnel", "activite"),
]
PROFIL_OBLIGATOIRE = [
    ("adresse", "l'adresse"),
    ("commune", "la commune"),
    ("representant_nom", "le nom du représentant légal"),
    ("representant_qualite", "la qualité du représentant légal"),
]


# --- Pièces exigées (annexe 2 et §B.1) ------------------------------------------------------


def _coordinateur(f):
    return f.etp_coordinateur > 0


def _facilitateur_zone_blanche(f):
    return f.etp_facilitateur > 0 and f.zone_blanche


# Les conditions des pièces, codes et libellés de la fondation (`aap.regles.LIBELLES_CONDITIONS`), jugées ici.
CONDITIONS_PIECES = {
    "toujours": lambda f: True,
    # Annexe 2 : rapport du commissaire aux comptes des associations qui y sont tenues (art. L.612-4).
    "association_soumise_cac": lambda f: f.statut_juridique == "association" and f.soumise_cac,
    # Structures existantes (conservée pour les campagnes qui l'emploient ; l'état de financement des ETP existants
    # est demandé à chaque candidat, annexe 2).
    "existante": lambda f: not f.emergente,
    # §B.1 : structure existante hors collectivité, candidate à la coordination ou à une zone blanche.
    "attestation_ave": lambda f: (
        not f.emergente and f.statut_juridique != "collectivite" and (_coordinateur(f) or _facilitateur_zone_blanche(f))
    ),
    # §B.1 : structure émergente candidate à la coordination régionale.
    "coordinateur_emergente": lambda f: f.emergente and _coordinateur(f),
    # §B.1 : structure émergente candidate à un poste de facilitateur en zone blanche.
    "zone_blanche_emergente": lambda f: f.emergente and _facilitateur_zone_blanche(f),
}


@dataclass(frozen=True)
class ProfilStructure:
    """The structure as the rules judge a dossier: its profile as filed (the filing's snapshot) once the dossier
    is filed, its live profile before. `financements`: (poste, montant année précédente, montant année courante)."""

    statut_juridique: str = "association"
    emergente: bool = False
    soumise_cac: bool = False
    profil_manquant: tuple = ()
    etp_facilitateurs_existants: Decimal = ZERO
    etp_coordinateurs_existants: Decimal = ZERO
    annee_financements: int | None = None
    financements: tuple = ()

    @property
    def etp_existants(self):
        return self.etp_facilitateurs_existants + self.etp_coordinateurs_existants

    @property
    def financement_precedent(self):
        return sum((Decimal(f[1]) for f in self.financements), ZERO)

    @property
    def financement_courant(self):
        return sum((Decimal(f[2]) for f in self.financements), ZERO)


def profil_manquant(valeurs):
    """The labels of the profile's required fields left empty. `valeurs`: {field: value}."""
    return tuple(libelle for champ, libelle in PROFIL_OBLIGATOIRE if not (valeurs.get(champ) or "").strip())


@dataclass(frozen=True)
class PieceExigible:
    code: str
    libelle: str
    condition: str = "toujours"
    description: str = ""


@dataclass(frozen=True)
class ReglesCampagne:
    """What a campaign decides: calendar, caps, minimum, envelope, pieces."""

    ouverture_le: datetime
    cloture_le: datetime
    fuseau: str  # celui du service : le calendrier se juge à son heure
    taux_plafond: Decimal = Decimal("0.70")
    taux_plafond_collectivite: Decimal = Decimal("0.80")
    etp_minimum: Decimal = Decimal("0.5")
    credits: Decimal = ZERO
    pieces: tuple = ()


@dataclass(frozen=True)
class FaitsDossier:
    """Everything the checks look at, as plain values (built from the rows by `candidatures.synthese`)."""

    statut_juridique: str = "association"
    emergente: bool = False
    soumise_cac: bool = False
    profil_manquant: tuple = ()
    etp_existants: Decimal = ZERO
    annee_financements: int | None = None  # l'année de l'état de financement des ETP existants (annexe 2)
    financements_existants: tuple = ()  # (montant année précédente, montant année courante) par financeur
    titre: str = ""
    etp_facilitateur: Decimal = ZERO
    etp_coordinateur: Decimal = ZERO
    communes: tuple = ()
    zone_blanche: bool = False
    zone_blanche_justification: str = ""
    diagnostic: str = ""
    objectifs: str = ""
    strategie: str = ""
    calendrier: str = ""
    postes_missions: tuple = ()  # le poste de chaque mission choisie
    volumes: dict = field(default_factory=dict)  # catégorie -> (nombre de marchés, heures d'insertion)
    budget: dict = field(default_factory=dict)  # catégorie -> (année 1, année 2, année 3)
    precisions: dict = field(default_factory=dict)  # catégorie -> qui finance
    pieces_fournies: frozenset = frozenset()
    engagement_non_baisse: bool = False
    declaration_honneur: bool = False
    signataire_nom: str = ""
    signataire_qualite: str = ""
    # Ce que la DEETS a demandé en compléments et qui est encore tel que déposé : ("rubrique", étape) ou ("piece", code).
    complements_inchanges: tuple = ()

    @property
    def etp_total(self):
        return self.etp_facilitateur + self.etp_coordinateur


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


def taux_plafond(campagne, statut_juridique):
    """AAP §B.2-3: 70 % at most, 80 % for local authorities (collectivités territoriales)."""
    return campagne.taux_plafond_collectivite if statut_juridique == "collectivite" else campagne.taux_plafond


def pieces_exigees(pieces, faits):
    """The campaign's pieces required for this dossier, by their conditions (an unknown condition: required)."""
    return [p for p in pieces if CONDITIONS_PIECES.get(p.condition, CONDITIONS_PIECES["toujours"])(faits)]


def etp_valide(valeur):
    """ETP are asked in steps of 0.05 (0.5, 0.55 … 0.75 … 1.0 …)."""
    return valeur >= 0 and (valeur / PAS_ETP) == (valeur / PAS_ETP).to_integral_value()


# --- Budget -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheseAnnee:
    annee: int
    charges: Decimal
    salaires: Decimal
    produits: Decimal
    part_etat: Decimal
    cofinancement: Decimal
    taux_etat: Decimal | None
    taux_cofinancement: Decimal | None
    taux_plafond: Decimal
    plafond_etat: Decimal
    cout_par_etp: Decimal | None

    @property
    def vide(self):
        return self.charges == 0 and self.produits == 0

    @property
    def equilibre(self):
        return self.charges == self.produits

    @property
    def ecart(self):
        return self.produits - self.charges

    @property
    def depassement(self):
        return max(self.part_etat - self.plafond_etat, ZERO)

    @property
    def sous_plafond(self):
        return self.part_etat <= self.plafond_etat


def _taux(partie, total):
    if total <= 0:
        return None
    return (partie / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def synthese_budget(budget, taux, etp_total=ZERO):
    """The figures of each year. `budget`: category -> 3 amounts; `taux`: the cap for this structure.

    The cap is judged exactly: the State's share may reach `charges × taux` to the cent, rounded down
    (at the cap is allowed, one cent above is not).
    """
    annees = []
    for i in range(3):

        def montant(categorie, i=i):
            return Decimal(budget.get(categorie, (ZERO, ZERO, ZERO))[i])

        charges = sum((montant(c) for c in CHARGES), ZERO)
        produits = sum((montant(c) for c in PRODUITS), ZERO)
        part_etat = montant("etat_aap")
        cofinancement = produits - part_etat
        annees.append(
            SyntheseAnnee(
                annee=i + 1,
                charges=charges,
                salaires=montant("salaires"),
                produits=produits,
                part_etat=part_etat,
                cofinancement=cofinancement,
                taux_etat=_taux(part_etat, charges),
                taux_cofinancement=_taux(cofinancement, charges),
                taux_plafond=taux,
                plafond_etat=(charges * taux).quantize(CENTIME, rounding=ROUND_DOWN),
                cout_par_etp=(charges / etp_total).quantize(CENTIME, rounding=ROUND_HALF_UP) if etp_total > 0 else None,
            )
        )
    return annees


# --- Calendrier ---------------------------------------------------------------------------------


def fin_du_jour(jour, fuseau):
    """The first instant after `jour` in that time zone: a date limit runs to 23:59:59 local time."""
    return datetime.combine(jour + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(fuseau))


def _controles_calendrier(campagne, instant, limite_complements):
    if limite_complements is not None:
        if instant >= fin_du_jour(limite_complements, campagne.fuseau):
            return [
                Constat(
                    "delai_depasse",
                    BLOQUANT,
                    f"La date limite des compléments ({date_fr(limite_complements)}) est passée : "
                    "le dossier ne peut plus être déposé à nouveau. Contactez la DEETS.",
                    "depot",
                )
            ]
        return []
    etat = etat_campagne(campagne.ouverture_le, campagne.cloture_le, instant)
    if etat == EtatCampagne.A_VENIR:
        return [
            Constat(
                "campagne_pas_ouverte",
                BLOQUANT,
                f"Les dépôts ouvrent le {instant_fr(campagne.ouverture_le, campagne.fuseau)} ({heure_de(campagne.fuseau)}) : "
                "vous pourrez déposer votre dossier à partir de ce moment.",
                "depot",
            )
        ]
    if etat == EtatCampagne.CLOTUREE:
        return [
            Constat(
                "delai_depasse",
                BLOQUANT,
                f"La date limite de dépôt est passée ({instant_fr(campagne.cloture_le, campagne.fuseau)}, "
                f"{heure_de(campagne.fuseau)}) : le dossier ne peut plus être déposé pour cette campagne.",
                "depot",
            )
        ]
    return []


# --- Les contrôles ------------------------------------------------------------------------------


def _controles_structure(f):
    constats = []
    if f.profil_manquant:
        constats.append(
            Constat(
                "profil_structure_incomplet",
                BLOQUANT,
                "Complétez le profil de votre structure : " + ", ".join(f.profil_manquant) + ".",
                "structure",
            )
        )
    if f.annee_financements is None:
        constats.append(
            Constat(
                "financements_existants_manquants",
                BLOQUANT,
                "Présentez dans le profil de votre structure l'état de financement actuel de ses ETP de facilitateurs "
                "et de coordinateurs existants (annexe 2 : chaque candidat) : son année et, si elle en porte, ces ETP "
                "et leur financement par financeur.",
                "structure",
            )
        )
    elif not f.emergente and f.etp_existants <= 0:
        constats.append(
            Constat(
                "financements_existants_manquants",
                BLOQUANT,
                "Votre structure est déclarée déjà porteuse de facilitateurs ou de coordinateurs : indiquez dans "
                "son profil les ETP qu'elle porte et leur financement actuel par financeur (annexe 2), "
                "ou déclarez-la émergente.",
                "structure",
            )
        )
    elif f.etp_existants > 0 and not f.financements_existants:
        constats.append(
            Constat(
                "financements_existants_manquants",
                BLOQUANT,
                "Indiquez dans le profil de votre structure le financement actuel, par financeur, des ETP existants "
                "qu'elle déclare (annexe 2).",
                "structure",
            )
        )
    else:
        avant = sum((Decimal(a) for a, _ in f.financements_existants), ZERO)
        maintenant_ = sum((Decimal(b) for _, b in f.financements_existants), ZERO)
        if maintenant_ < avant:
            constats.append(
                Constat(
                    "baisse_financement_existant",
                    AVERTISSEMENT,
                    f"Les financements de vos postes existants baissent de {euros(avant - maintenant_)} "
                    "d'une année sur l'autre : l'engagement de non-baisse (§B.2-3) porte sur eux. "
                    "Expliquez cette baisse dans votre stratégie.",
                    "structure",
                )
            )
    if f.statut_juridique == "autre":
        constats.append(
            Constat(
                "statut_a_verifier",
                AVERTISSEMENT,
                "L'appel vise les associations, les collectivités territoriales, leurs EPA et les réseaux de "
                "l'emploi (§B.1) : précisez dans votre projet ce qui rend votre structure éligible.",
                "structure",
            )
        )
    if f.statut_juridique == "reseau_emploi" and f.etp_facilitateur > 0 and not (f.emergente and f.zone_blanche):
        constats.append(
            Constat(
                "reseau_emploi_facilitateur",
                AVERTISSEMENT,
                "Les réseaux de l'emploi se positionnent sur la coordination régionale, ou sur la facilitation en "
                "zone blanche pour une structure émergente (§B.1) : vérifiez les postes demandés.",
                "projet",
            )
        )
    return constats


def _controles_projet(f, campagne):
    constats = [
        Constat(
            "champ_manquant",
            BLOQUANT,
            f"Renseignez « {libelle} » (étape « {RUBRIQUES[rubrique]} »).",
            rubrique,
            champ,
        )
        for champ, libelle, rubrique in CHAMPS_OBLIGATOIRES
        if not (getattr(f, champ) or "").strip()
    ]
    if f.etp_facilitateur <= 0 and f.etp_coordinateur <= 0:
        constats.append(
            Constat(
                "poste_manquant",
                BLOQUANT,
                "Indiquez au moins un poste demandé (facilitateur ou coordinateur régional) et son nombre d'ETP.",
                "projet",
                "etp_facilitateur",
            )
        )
    elif not (etp_valide(f.etp_facilitateur) and etp_valide(f.etp_coordinateur)):
        constats.append(
            Constat(
                "etp_invalide",
                BLOQUANT,
                "Les ETP se demandent par pas de 0,05 (0,5 ; 0,55 ; 0,75 ; 1,0…) : corrigez les ETP demandés.",
                "projet",
                "etp_facilitateur",
            )
        )
    elif f.etp_total < campagne.etp_minimum:
        constats.append(
            Constat(
                "etp_insuffisant",
                BLOQUANT,
                f"Le projet doit couvrir au moins {format_etp(campagne.etp_minimum)} ETP (§B.2-1) ; il en compte "
                f"{format_etp(f.etp_total)} : augmentez les ETP demandés.",
                "projet",
                "etp_facilitateur",
            )
        )
    if not f.communes:
        constats.append(
            Constat("communes_manquantes", BLOQUANT, "Indiquez les communes couvertes par le projet.", "territoire", "communes")
        )
    if f.zone_blanche and not f.zone_blanche_justification.strip():
        constats.append(
            Constat(
                "zone_blanche_non_justifiee",
                BLOQUANT,
                "Vous déclarez une zone blanche : justifiez-la (territoire non couvert, couvert seulement par un "
                "facilitateur limitrophe, ou insuffisamment couvert au regard des besoins, §B.1).",
                "territoire",
                "zone_blanche_justification",
            )
        )
    for poste, libelle in (("facilitateur", "facilitateur"), ("coordinateur", "coordinateur régional")):
        demande = f.etp_facilitateur if poste == "facilitateur" else f.etp_coordinateur
        if demande > 0 and poste not in f.postes_missions:
            constats.append(
                Constat(
                    "missions_manquantes",
                    BLOQUANT,
                    f"Positionnez le projet sur au moins une mission de {libelle} (§B.2-1).",
                    "strategie",
                    poste,
                )
            )
    if not any(nombre or heures for nombre, heures in f.volumes.values()):
        constats.append(
            Constat(
                "volumes_manquants",
                BLOQUANT,
                "Indiquez les volumes d'activité visés (nombre de marchés et heures d'insertion) pour au moins un "
                "type de marchés (annexe 2).",
                "activite",
            )
        )
    return constats


def _controles_budget(f, campagne):
    taux = taux_plafond(campagne, f.statut_juridique)
    annees = synthese_budget(f.budget, taux, f.etp_total)
    constats = []
    premiere = annees[0]
    if premiere.vide:
        return [
            Constat(
                "budget_vide",
                BLOQUANT,
                "Remplissez le budget du projet pour l'année 1 : charges des ETP et produits par financeur.",
                "budget",
            )
        ]
    if premiere.salaires <= 0:
        constats.append(
            Constat(
                "charges_personnel_absentes",
                BLOQUANT,
                "Indiquez les salaires et charges sociales des ETP demandés (année 1) : c'est l'objet du financement.",
                "budget",
                "salaires",
            )
        )
    if premiere.part_etat <= 0:
        constats.append(
            Constat(
                "part_etat_absente",
                BLOQUANT,
                "Indiquez le montant demandé à l'État au titre de cet appel à projets (année 1).",
                "budget",
                "etat_aap",
            )
        )
    for annee in annees:
        if annee.vide:
            continue
        if not annee.equilibre:
            sens = "dépassent" if annee.ecart > 0 else "sont inférieurs aux"
            constats.append(
                Constat(
                    "budget_desequilibre",
                    BLOQUANT,
                    f"Année {annee.annee} : le budget n'est pas équilibré — les produits ({euros(annee.produits)}) "
                    f"{sens} charges ({euros(annee.charges)}) de {euros(abs(annee.ecart))}. Ajustez-les pour "
                    "qu'ils soient égaux.",
                    "budget",
                    f"annee{annee.annee}",
                )
            )
        if not annee.sous_plafond:
            constats.append(
                Constat(
                    "taux_etat_depasse",
                    BLOQUANT,
                    f"Année {annee.annee} : la part de l'État ({euros(annee.part_etat)}) dépasse de "
                    f"{euros(annee.depassement)} le plafond de {pourcentage(taux, 0)} du coût des ETP "
                    f"({euros(annee.plafond_etat)} au plus, §B.2-3). Réduisez-la ou augmentez les cofinancements.",
                    "budget",
                    f"annee{annee.annee}",
                )
            )
        if annee.charges > 0 and annee.cofinancement <= 0:
            constats.append(
                Constat(
                    "cofinancement_absent",
                    BLOQUANT,
                    f"Année {annee.annee} : aucun cofinancement n'apparaît au budget. Indiquez les autres financeurs "
                    "(FSE, collectivités, EPA, acheteurs, fonds propres…), §B.2-3.",
                    "budget",
                    f"annee{annee.annee}",
                )
            )
    for categorie in PRODUITS_A_NOMMER:
        montants = f.budget.get(categorie, (ZERO, ZERO, ZERO))
        if any(Decimal(m) > 0 for m in montants) and not (f.precisions.get(categorie) or "").strip():
            constats.append(
                Constat(
                    "source_cofinancement_non_precisee",
                    BLOQUANT,
                    f"Nommez le ou les financeurs de la ligne « {PRODUITS[categorie]} » (§B.2-3 : les sources des "
                    "cofinancements apparaissent au budget).",
                    "budget",
                    categorie,
                )
            )
    if any(a.vide for a in annees[1:]):
        constats.append(
            Constat(
                "projection_incomplete",
                AVERTISSEMENT,
                "La projection financière sur 3 ans est incomplète : remplissez les années 2 et 3 (critère de la "
                "grille de notation).",
                "budget",
            )
        )
    if campagne.credits > 0 and premiere.part_etat > campagne.credits:
        constats.append(
            Constat(
                "credits_depasses",
                AVERTISSEMENT,
                f"Le montant demandé ({euros(premiere.part_etat)}) dépasse les crédits disponibles de la campagne "
                f"({euros(campagne.credits)}) : il pourra être réduit.",
                "budget",
                "etat_aap",
            )
        )
    return constats


def _controles_pieces(f, campagne):
    return [
        Constat(
            "piece_manquante",
            BLOQUANT,
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
            Constat(
                "engagement_non_baisse_absent",
                BLOQUANT,
                "Prenez l'engagement de ne pas baisser les financements préexistants des autres postes de "
                "facilitateurs et de coordinateurs (§B.2-3).",
                "engagements",
                "engagement_non_baisse",
            )
        )
    if not f.declaration_honneur or not f.signataire_nom.strip() or not f.signataire_qualite.strip():
        constats.append(
            Constat(
                "declaration_honneur_absente",
                BLOQUANT,
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
        Constat(
            "complement_attendu",
            BLOQUANT,
            f"La DEETS a demandé de compléter l'étape « {RUBRIQUES[code]} » : elle n'a pas changé depuis le dépôt."
            if nature == "rubrique"
            else f"La DEETS a demandé la pièce « {libelles.get(code, code)} » : ajoutez-la ou remplacez-la.",
            code if nature == "rubrique" else "pieces",
            "" if nature == "rubrique" else code,
        )
        for nature, code in f.complements_inchanges
    ]


ORDRE_RUBRIQUES = ["structure", *RUBRIQUES, "depot"]


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
COFINANCEMENTS_SIMULES = ("collectivites", "fse", "fonds_propres")


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
