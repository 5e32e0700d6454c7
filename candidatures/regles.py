"""The rules of the call for a dossier, as plain functions over plain values: no Flask, no session.

The vocabulary (steps, budget lines, funders), the facts a dossier is judged on (`FaitsDossier`) and what a
campaign decides (`ReglesCampagne`), the pieces each profile requires. The checks that turn them into findings
are in `constats`.

`synthese_budget` computes the cerfa 12156 figures (ETP cost, State share and rate, co-financing and
rate, the State's maximum under the structure's cap, balance) in exact decimals, per year.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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
# Les cofinancements que le simulateur de la page publique d'une campagne demande.
COFINANCEMENTS_SIMULES = ("collectivites", "fse", "fonds_propres")

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
