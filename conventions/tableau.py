"""What the DEETS reads across its conventions: the renewal view of one convention, the dashboard of a campaign
and across years (credits, grants, payments, ETP, insertion hours against targets, states, what is late), its
Excel export (written by xlsxwriter with native charts). The open data of the grants: `donnees_ouvertes`.

Amounts stay Decimal from the database to the page; the sums run on integer cents and come back as Decimal.
The dashboard's cost is a fixed number of queries whatever the number of conventions.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import joinedload

from aap.exports import ClasseurFeuilles, Colonne
from aap.extensions import db
from aap.models import Campagne, Role, Service
from aap.types import maintenant
from candidatures.models import Dossier
from notation.models import Decision, Nature

from . import delais, lecture, regles, suivi
from .models import Bilan, Convention, EtatConvention, EtatVersement, StatutBilan, ValeurBilan

ZERO = Decimal("0")
CENTIME = Decimal("0.01")


# --- Renouvellement ----------------------------------------------------------------------------------------


@dataclass
class VueRenouvellement:
    convention: Convention
    annee: object
    bilan: object
    lignes: list
    heures_par_etp: Decimal | None
    part_heures_etp: Decimal | None
    a_l_heure: bool | None
    suggestion: suivi.Suggestion
    decidable: bool
    precedente: object = None


def vue_renouvellement(convention):
    """Targets against achievements for every indicator of the last year's annual report, the change from the
    previous year, the insertion hours per funded ETP, whether the report came on time, and a suggestion."""
    derniere = convention.derniere
    bilan = derniere.bilan_annuel
    depose = bilan is not None and bilan.premier_depot_le is not None
    realises = bilan.valeurs_par_cle() if depose else {}
    precedente = convention.annee(derniere.rang - 1)
    bilan_precedent = precedente.bilan_annuel if precedente else None
    precedents = bilan_precedent.valeurs_par_cle() if bilan_precedent and bilan_precedent.premier_depot_le else {}
    indicateurs = suivi.indicateurs_du_bilan(regles.ANNUEL, derniere.etp_facilitateur, derniere.etp_coordinateur)
    lignes = suivi.lignes_renouvellement(indicateurs, derniere.cibles(), realises, precedents)
    heures = realises.get("facilitateur.heures_insertion_etp")
    approuve = bilan is not None and bilan.statut == StatutBilan.APPROUVE
    a_l_heure = bilan.a_l_heure if depose else None
    return VueRenouvellement(
        convention=convention,
        annee=derniere,
        bilan=bilan,
        lignes=lignes,
        heures_par_etp=suivi.heures_par_etp(heures, derniere.etp_facilitateur),
        part_heures_etp=suivi.part(heures, realises.get("facilitateur.heures_insertion_structure")),
        a_l_heure=a_l_heure,
        suggestion=suivi.suggestion_renouvellement(
            lignes, rang=derniere.rang, bilan_approuve=approuve, a_l_heure=bool(a_l_heure)
        ),
        decidable=derniere.signee_le is not None and derniere.renouvellement is None and derniere.rang < regles.ANNEES_MAX,
        precedente=precedente,
    )


# --- Tableau de bord --------------------------------------------------------------------------------------


@dataclass
class TableauDeBord:
    campagnes: list
    services: list
    campagne: Campagne | None
    service_id: int | None
    national: bool
    credits: Decimal = ZERO
    accorde_copil: Decimal = ZERO
    avenants: Decimal = ZERO
    verse: Decimal = ZERO
    a_verser: Decimal = ZERO
    reversements: Decimal = ZERO
    etp_facilitateur: Decimal = ZERO
    etp_coordinateur: Decimal = ZERO
    conventions: int = 0
    etats: list = field(default_factory=list)
    annees_budgetaires: list = field(default_factory=list)
    par_annee: list = field(default_factory=list)
    indicateurs: list = field(default_factory=list)
    annees_indicateurs: list = field(default_factory=list)
    retards: list = field(default_factory=list)
    lignes: list = field(default_factory=list)
    sans_siret: list = field(default_factory=list)
    produit_le: object = None

    @property
    def restant(self):
        return self.credits - self.accorde_copil - self.avenants

    @property
    def engage(self):
        return self.accorde_copil + self.avenants

    @property
    def retards_bilans(self):
        return [r for r in self.retards if r[1].nature in ("bilan", "corrections")]

    @property
    def retards_versements(self):
        return [r for r in self.retards if r[1].nature == "versement"]

    def barres_enveloppe(self):
        return [
            ("Crédits (années 1 à 3)", self.credits),
            ("Accordé par le COPIL (année 1)", self.accorde_copil),
            ("Avenants (années 2 et 3)", self.avenants),
            ("Versé", self.verse),
            ("Reste à verser", self.a_verser),
            ("Crédits restants", self.restant),
        ]


@dataclass(frozen=True)
class AnneeBudgetaire:
    """A budget year of the campaigns read (AAP §C.2, « dans la limite des crédits disponibles »): its credits, the
    COPIL's year-1 grants, the avenants that renew into it, and what remains; they add up."""

    rang: int
    libelle: str
    credits: Decimal
    accorde: Decimal
    renouvele: Decimal

    @property
    def restant(self):
        return self.credits - self.accorde - self.renouvele


def _centimes(colonne):
    return func.coalesce(func.sum(type_coerce(colonne, BigInteger)), 0)


def _decimal(centimes):
    return (Decimal(int(centimes)) / 100).quantize(CENTIME)


def _perimetre(utilisateur, service_id):
    """The service ids the person reads: their own; all, or one chosen, for the national role."""
    if utilisateur.a_role(Role.NATIONAL):
        return None if service_id is None else [service_id]
    return [utilisateur.service_id]


def tableau_de_bord(utilisateur, campagne_id=None, service_id=None, instant=None):
    """The dashboard of a campaign (or of every campaign, across years) for an agent's service, or across services
    for the national role."""
    instant = instant or maintenant()
    national = utilisateur.a_role(Role.NATIONAL)
    services = db.session.scalars(select(Service).order_by(Service.code)).all() if national else []
    perimetre = _perimetre(utilisateur, service_id)
    requete_campagnes = select(Campagne).options(joinedload(Campagne.service)).order_by(Campagne.annee.desc(), Campagne.id.desc())
    if perimetre is not None:
        requete_campagnes = requete_campagnes.where(Campagne.service_id.in_(perimetre))
    campagnes = db.session.scalars(requete_campagnes).all()
    campagne = next((c for c in campagnes if c.id == campagne_id), None)
    retenues = [campagne] if campagne else campagnes
    ids_campagnes = [c.id for c in retenues]
    t = TableauDeBord(
        campagnes=campagnes, services=services, campagne=campagne, service_id=service_id, national=national, produit_le=instant
    )
    t.sans_siret = sorted({c.service.nom for c in retenues if not c.service.siret})
    if ids_campagnes:
        t.accorde_copil = _decimal(
            db.session.scalar(
                select(_centimes(Decision.montant_accorde))
                .join(Dossier, Dossier.id == Decision.dossier_id)
                .where(Decision.nature == Nature.RETENU, Dossier.campagne_id.in_(ids_campagnes))
            )
        )
    conventions = lecture.conventions_lues(Convention.campagne_id.in_(ids_campagnes or [-1]))
    t.conventions = len(conventions)
    _consolider(t, conventions, instant)
    t.annees_budgetaires = [
        AnneeBudgetaire(
            rang,
            f"Année {rang}" + (f" ({campagne.annee + rang - 1})" if campagne else ""),
            sum((c.credits_de(rang) for c in retenues), ZERO),
            t.accorde_copil if rang == 1 else ZERO,
            _decimal(sum(a["montant"] for a in t.lignes if a["rang"] == rang)) if rang > 1 else ZERO,
        )
        for rang in range(1, regles.ANNEES_MAX + 1)
    ]
    t.credits = sum((a.credits for a in t.annees_budgetaires), ZERO)
    return t


def _valeurs_annuelles(annee_ids):
    """Numeric values of the filed annual and intermediate reports of these years, in one query."""
    if not annee_ids:
        return []
    return db.session.execute(
        select(Bilan.annee_id, Bilan.type, ValeurBilan.poste, ValeurBilan.code, type_coerce(ValeurBilan.nombre, BigInteger))
        .join(ValeurBilan, ValeurBilan.bilan_id == Bilan.id)
        .where(
            Bilan.annee_id.in_(annee_ids),
            Bilan.type.in_([regles.ANNUEL, regles.INTERMEDIAIRE]),
            Bilan.premier_depot_le.is_not(None),
            ValeurBilan.nombre.is_not(None),
        )
    ).all()


def _sommes(lignes):
    """{key: sum} of (key, value) pairs."""
    sommes = Counter()
    for cle, valeur in lignes:
        sommes[cle] += valeur
    return sommes


def _par_cle(lignes):
    """{indicator key: {exercice: sum}} of (key, exercice, value) rows."""
    sommes = {}
    for cle, exercice, valeur in lignes:
        par_exercice = sommes.setdefault(cle, Counter())
        par_exercice[exercice] += valeur
    return sommes


def _valeurs_retenues(exercices):
    """(key, exercice, value) of what the reports of these years ({year id: exercice}) declare: the annual
    report's value where it is filed, else the intermediate one's."""
    retenues = {}
    for annee_id, type_, poste, code, valeur in _valeurs_annuelles(list(exercices)):
        cle = (annee_id, f"{poste}.{code}")
        if type_ == regles.ANNUEL or cle not in retenues:
            retenues[cle] = valeur
    return [(cle, exercices[annee_id], valeur) for (annee_id, cle), valeur in retenues.items()]


def _centiemes(etp):
    return (Decimal(etp) / 100).quantize(Decimal("0.01"))


def _lignes_conventions(t, conventions, instant):
    """The rows the dashboard sums (years, payments, targets) of its `lecture.ConventionLue`, in integer cents or
    hundredths of ETP; counts the states, the reversements and what is late on the way."""
    lignes_annees, lignes_versements, lignes_objectifs = [], [], []
    etats = Counter()
    for convention in conventions:
        jour = regles.jour_local(instant, convention.fuseau)
        code, _ = lecture.etat_affiche(convention.etat, jour)
        etats[code] += 1
        en_cours = convention.etat.statut != "close"
        derniere = convention.etat.annees[-1] if convention.etat.annees else None
        for annee, chiffres in zip(convention.etat.annees, convention.annees, strict=True):
            lignes_annees.append(
                {
                    "annee_id": chiffres.id,
                    "convention": convention.numero,
                    "structure": convention.raison_sociale,
                    "service_id": convention.service_id,
                    "rang": annee.rang,
                    "exercice": annee.debut.year,
                    "debut": annee.debut,
                    "fin": annee.fin,
                    "montant": int(chiffres.montant * 100),
                    "etp_f": int(chiffres.etp_facilitateur * 100),
                    "etp_c": int(chiffres.etp_coordinateur * 100),
                    "courante": annee is derniere and en_cours,
                    "signee_le": annee.signee_le,
                    "etat": code,
                }
            )
            for etat, montant, paye_le in chiffres.versements:
                lignes_versements.append(
                    {"etat": etat, "montant": int(montant * 100), "paye_en": paye_le.year if paye_le else None}
                )
            for cle, cible in chiffres.objectifs:
                lignes_objectifs.append({"annee_id": chiffres.id, "cle": cle, "cible": int(cible * 100)})
            if chiffres.reversement is not None:
                t.reversements += chiffres.reversement
        for echeance in delais.echeances(convention.etat, jour):
            if echeance.en_retard and echeance.nature in ("bilan", "corrections", "versement", "signature"):
                t.retards.append((convention, echeance))
    t.etats = [(etat.value, etat.libelle, etats[etat]) for etat in EtatConvention if etats[etat]]
    return lignes_annees, lignes_versements, lignes_objectifs


def _consolider(t, conventions, instant):
    """Sums over the conventions' years, payments, targets and declared values, in integer cents (or hundredths of
    ETP), back to Decimal. Plain sums: with pandas, its fixed cost per call was most of the page."""
    annees, versements, cibles = _lignes_conventions(t, conventions, instant)
    exercices = {a["annee_id"]: a["exercice"] for a in annees}
    payes = [v for v in versements if v["etat"] == EtatVersement.PAYE]
    t.avenants = _decimal(sum(a["montant"] for a in annees if a["rang"] > 1))
    t.verse = _decimal(sum(v["montant"] for v in payes))
    t.a_verser = _decimal(sum(v["montant"] for v in versements if v["etat"] in (EtatVersement.PREVU, EtatVersement.A_PAYER)))
    courantes = [a for a in annees if a["courante"]]
    t.etp_facilitateur = _centiemes(sum(a["etp_f"] for a in courantes))
    t.etp_coordinateur = _centiemes(sum(a["etp_c"] for a in courantes))
    # Par exercice (année civile du début de chaque année de convention) : engagé, versé, ETP.
    engage = _sommes((a["exercice"], a["montant"]) for a in annees)
    verse = _sommes((v["paye_en"], v["montant"]) for v in payes if v["paye_en"] is not None)
    etp_f = _sommes((a["exercice"], a["etp_f"]) for a in annees)
    etp_c = _sommes((a["exercice"], a["etp_c"]) for a in annees)
    nombre = _sommes((a["exercice"], 1) for a in annees)
    declarees = _par_cle(_valeurs_retenues(exercices))
    objectifs = _par_cle((o["cle"], exercices[o["annee_id"]], o["cible"]) for o in cibles)
    heures = "facilitateur.heures_insertion_etp"
    cibles_heures, declarees_heures = objectifs.get(heures, {}), declarees.get(heures, {})
    for exercice in sorted(set(engage) | set(verse)):
        t.par_annee.append(
            {
                "exercice": exercice,
                "conventions": nombre[exercice],
                "engage": _decimal(engage[exercice]),
                "verse": _decimal(verse[exercice]),
                "etp_facilitateur": _centiemes(etp_f[exercice]),
                "etp_coordinateur": _centiemes(etp_c[exercice]),
                "heures_cible": _decimal(cibles_heures[exercice]) if exercice in cibles_heures else None,
                "heures_declarees": _decimal(declarees_heures[exercice]) if exercice in declarees_heures else None,
            }
        )
    # Les indicateurs consolidés par exercice : la somme des valeurs déclarées, face à la somme des objectifs.
    t.annees_indicateurs = sorted({e for d in (*declarees.values(), *objectifs.values()) for e in d})
    for indicateur in suivi.INDICATEURS:
        lignes, objectifs_ = declarees.get(indicateur.cle, {}), objectifs.get(indicateur.cle, {})
        if not indicateur.numerique or not (lignes or objectifs_):
            continue
        t.indicateurs.append(
            {
                "indicateur": indicateur,
                "valeurs": {
                    e: (
                        _decimal(lignes[e]) if e in lignes else None,
                        _decimal(objectifs_[e]) if e in objectifs_ else None,
                    )
                    for e in t.annees_indicateurs
                },
            }
        )
    t.retards.sort(key=lambda r: (r[1].date, r[0].numero))
    t.lignes = sorted(annees, key=lambda a: (a["convention"], a["rang"]))


# --- Export Excel -------------------------------------------------------------------------------------------

COLONNES_SYNTHESE = [Colonne("Indicateur", "texte", 46), Colonne("Valeur", "euros", 18)]
COLONNES_PAR_ANNEE = [
    Colonne("Exercice", "entier", 10),
    Colonne("Années de convention", "entier", 12),
    Colonne("Engagé", "euros", 16),
    Colonne("Versé", "euros", 16),
    Colonne("ETP facilitateur", "decimal", 12),
    Colonne("ETP coordinateur", "decimal", 12),
    Colonne("Heures d'insertion : objectif", "entier", 14),
    Colonne("Heures d'insertion : déclarées", "entier", 14),
]
COLONNES_CONVENTIONS = [
    Colonne("Convention", "texte", 22),
    Colonne("Structure", "texte", 36),
    Colonne("Année", "entier", 7),
    Colonne("Début", "date", 12),
    Colonne("Fin", "date", 12),
    Colonne("Montant", "euros", 14),
    Colonne("ETP facilitateur", "decimal", 10),
    Colonne("ETP coordinateur", "decimal", 10),
    Colonne("Signée le", "date", 12),
    Colonne("État", "texte", 24),
]


def _titre(t):
    portee = f"campagne {t.campagne.annee}" if t.campagne else "toutes les campagnes"
    return f"Tableau de bord des conventions — {portee}"


def classeur(t):
    """The consolidated indicators a DEETS sends upward: one workbook, a sheet per table, native charts."""
    c = ClasseurFeuilles("Synthèse", COLONNES_SYNTHESE)
    for feuille in (_feuille_synthese, _feuille_par_exercice, _feuille_indicateurs, _feuille_conventions, _feuille_retards):
        feuille(c, t)
    nom = f"tableau-de-bord-conventions-{t.campagne.annee if t.campagne else 'toutes-campagnes'}.xlsx"
    return c.reponse(nom)


def _feuille_synthese(c, t):
    """The envelope in figures and its bar chart."""
    for libelle, valeur in t.barres_enveloppe():
        c.ligne([libelle, valeur])
    c.cellule(c.lignes + 1, 0, "texte", "ETP de facilitateur financés (années en cours)")
    c.cellule(c.lignes + 1, 1, "decimal", t.etp_facilitateur)
    c.cellule(c.lignes + 2, 0, "texte", "ETP de coordinateur financés (années en cours)")
    c.cellule(c.lignes + 2, 1, "decimal", t.etp_coordinateur)
    c.cellule(c.lignes + 3, 0, "texte", "Reversements calculés")
    c.cellule(c.lignes + 3, 1, "euros", t.reversements)
    c.cellule(c.lignes + 4, 0, "texte", _titre(t))
    c.lignes += 4
    graphique = c.classeur.add_chart({"type": "bar"})
    graphique.add_series(
        {
            "name": "Montants",
            "categories": ["Synthèse", 1, 0, 6, 0],
            "values": ["Synthèse", 1, 1, 6, 1],
            "data_labels": {"value": True},
        }
    )
    graphique.set_title({"name": "Crédits, engagements et versements"})
    graphique.set_legend({"none": True})
    graphique.set_y_axis({"reverse": True})
    c.feuille.insert_chart(1, 3, graphique)


def _feuille_par_exercice(c, t):
    """Per financial year: committed, paid, ETP and hours, with two column charts."""
    c.nouvelle_feuille("Par exercice", COLONNES_PAR_ANNEE)
    for ligne in t.par_annee:
        c.ligne(
            [
                ligne["exercice"],
                ligne["conventions"],
                ligne["engage"],
                ligne["verse"],
                ligne["etp_facilitateur"],
                ligne["etp_coordinateur"],
                ligne["heures_cible"],
                ligne["heures_declarees"],
            ]
        )
    if t.par_annee:
        n = len(t.par_annee)
        montants = c.classeur.add_chart({"type": "column"})
        for colonne, nom in ((2, "Engagé"), (3, "Versé")):
            montants.add_series(
                {"name": nom, "categories": ["Par exercice", 1, 0, n, 0], "values": ["Par exercice", 1, colonne, n, colonne]}
            )
        montants.set_title({"name": "Engagé et versé par exercice"})
        c.feuille.insert_chart(n + 2, 0, montants)
        heures = c.classeur.add_chart({"type": "column"})
        for colonne, nom in ((6, "Objectif"), (7, "Déclarées")):
            heures.add_series(
                {"name": nom, "categories": ["Par exercice", 1, 0, n, 0], "values": ["Par exercice", 1, colonne, n, colonne]}
            )
        heures.set_title({"name": "Heures d'insertion des ETP financés : objectif et déclarées"})
        c.feuille.insert_chart(n + 2, 5, heures)


def _feuille_indicateurs(c, t):
    colonnes = [Colonne("Poste", "texte", 24), Colonne("Indicateur", "texte", 44)]
    for exercice in t.annees_indicateurs:
        colonnes += [Colonne(f"{exercice} : déclaré", "decimal", 13), Colonne(f"{exercice} : objectif", "decimal", 13)]
    c.nouvelle_feuille("Indicateurs", colonnes)
    for ligne in t.indicateurs:
        indicateur = ligne["indicateur"]
        valeurs = [regles.LIBELLES_POSTES[indicateur.poste], indicateur.libelle]
        for exercice in t.annees_indicateurs:
            valeurs += list(ligne["valeurs"][exercice])
        c.ligne(valeurs)


def _feuille_conventions(c, t):
    c.nouvelle_feuille("Conventions", COLONNES_CONVENTIONS)
    for ligne in t.lignes:
        c.ligne(
            [
                ligne["convention"],
                ligne["structure"],
                ligne["rang"],
                ligne["debut"],
                ligne["fin"],
                _decimal(ligne["montant"]),
                Decimal(int(ligne["etp_f"])) / 100,
                Decimal(int(ligne["etp_c"])) / 100,
                ligne["signee_le"],
                EtatConvention.libelle_de(ligne["etat"]),
            ]
        )


def _feuille_retards(c, t):
    c.nouvelle_feuille(
        "Retards",
        [
            Colonne("Convention", "texte", 22),
            Colonne("Structure", "texte", 36),
            Colonne("Échéance", "texte", 60),
            Colonne("Attendu le", "date", 12),
            Colonne("Jours de retard", "entier", 10),
        ],
    )
    for convention, echeance in t.retards:
        c.ligne([convention.numero, convention.raison_sociale, echeance.libelle, echeance.date, -echeance.jours])
