"""Demo history of the conventions domain, loaded by `flask demo` after the COPIL's (idempotent), with the real
operations, so that the dashboard and the "À faire" pages show something true at once:

- the two dossiers retenu by the COPIL of December 2022: the association's convention ran its three years (two
  avenants, every report and final account approved, every payment made) and is closed; the commune's was signed
  late, its balance reduced on its final account, and not renewed;
- on the previous year's campaign, four projects examined by the COPIL at three dates before today, whose conventions
  stand at four points of their life: renewed once and in its second year (association), its intermediate report
  late and a quarterly report waiting for the agent (the emerging network, facilitator and coordinator), and from
  last week's session: signed with its advance paid (commune), awaiting its signature with ten days left
  (association).
"""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from aap.aap2022 import MAYOTTE
from aap.demo import campagne_demo
from aap.extensions import db
from aap.pdf import pdf_minimal
from aap.types import maintenant
from candidatures.demo import budget_demo, dossier_demo
from candidatures.models import Statut
from candidatures.synthese import synthese_budget
from notation import operations as notation
from notation.demo import noter_demo
from notation.models import Decision, Nature, Phase, Seance

from . import avenants, bilans, operations, paiements, regles
from .models import Convention, EtatVersement, TypeBilan

TEXTES = {
    "secteurs_porteurs": "Bâtiment et travaux publics (8 entreprises de 12 à 140 salariés), propreté (2 entreprises), "
    "espaces verts (1 atelier et chantier d'insertion).",
    "parcours_beneficiaires": "Contrats à durée déterminée d'insertion de 6 à 12 mois ; 14 bénéficiaires formés (CACES, "
    "sauveteur secouriste du travail) ; 5 sorties en emploi durable.",
    "zones_couvertes": "Le Sud de Grande-Terre est couvert depuis le printemps ; Petite-Terre reste une zone blanche, "
    "suivie à distance avec la communauté de communes.",
    "appui_facilitateurs": "Réunion mensuelle du réseau des facilitateurs ; appui à la rédaction des clauses du marché "
    "de construction des écoles de Chirongui.",
    "typologie_acheteurs": "État et ses établissements (40 %), communes (35 %), bailleurs sociaux (25 %).",
    "typologie_segments": "Travaux de bâtiment, voirie et réseaux divers, entretien des espaces verts, nettoyage.",
    "typologie_beneficiaires": "Demandeurs d'emploi de longue durée (45 %), jeunes de moins de 26 ans (35 %), "
    "allocataires du RSA (20 %).",
    "structures_inclusives_qualite": "Deux ateliers et chantiers d'insertion, une entreprise d'insertion, le GEIQ BTP "
    "de Mayotte.",
}
AUTRES = {
    "heures_insertion_annee_precedente": Decimal("5200"),
    "acteurs_mobilises": Decimal("26"),
    "territoires_concernes": Decimal("4"),
    "marches_montant_ht": Decimal("2450000"),
    "beneficiaires_etp": Decimal("11.5"),
    "structures_inclusives_nombre": Decimal("4"),
    "maitrises_ouvrage": Decimal("6"),
    "titulaires_marche": Decimal("9"),
}


def _entier(indicateur, valeur):
    if indicateur.type in ("entier", "heures"):
        return str(int(valeur))
    return str(Decimal(valeur).quantize(regles.CENTIME))


def valeurs_pour(bilan, facteur=Decimal("1")):
    """Plausible values for every indicator of a report: the targets × `facteur` (a quarter of them for a quarterly
    report), the structure's total hours three times the funded ETP's, and texts in the spirit of Mayotte's social
    clause."""
    cibles = bilan.annee.cibles()
    part = Decimal("0.25") if bilan.type == TypeBilan.TRIMESTRIEL else Decimal("1")
    valeurs = {}
    for indicateur in bilans.indicateurs_de(bilan):
        if not indicateur.numerique:
            valeurs[indicateur.cle] = TEXTES.get(indicateur.code, "Voir le rapport d'activité joint.")
        elif indicateur.cle in cibles:
            valeurs[indicateur.cle] = _entier(indicateur, cibles[indicateur.cle] * part * Decimal(str(facteur)))
        else:
            valeurs[indicateur.cle] = _entier(indicateur, AUTRES.get(indicateur.code, Decimal("10")) * part)
    heures = valeurs.get("facilitateur.heures_insertion_etp")
    if heures is not None:
        valeurs["facilitateur.heures_insertion_structure"] = str(int(Decimal(heures) * 3))
    if "ensemble.financement_postes_existants" in valeurs:
        # Les postes préexistants gardent le financement déclaré au dépôt (article 7 : pas de baisse).
        valeurs["ensemble.financement_postes_existants"] = str(bilans.financement_depot(bilan.convention))
    return valeurs


def a_mayotte(jour, heure=10):
    return datetime.combine(jour, time(heure, 0), tzinfo=MAYOTTE)


# --- Les étapes d'une convention, à leurs dates ----------------------------------------------------------------


def _creer(decision, agent, date_effet, le):
    dossier = decision.dossier
    objectifs = operations.objectifs_proposes(dossier, decision.etp_facilitateur, decision.etp_coordinateur)
    # Les documents se produisent à leur premier téléchargement : la démonstration se charge plus vite.
    convention = operations.creer_convention(
        decision, par=agent, date_effet=date_effet, objectifs=objectifs, instant=a_mayotte(le, 9), documents=False
    )
    convention.cree_le = a_mayotte(le, 9)
    return convention


def _signer(annee, agent, le):
    operations.enregistrer_signature(
        annee,
        signee_le=le,
        par=agent,
        instant=a_mayotte(le, 15),
        scan=(
            f"{annee.intitule.lower().replace(' ', '-').replace('°', '')}-signee.pdf",
            pdf_minimal(f"{annee.intitule} {annee.convention.numero}", "Exemplaire signé par les deux parties."),
        ),
    )


def _payer(versement, agent, le):
    paiements.payer(versement, paye_le=le, reference=f"DP-{le:%Y}-{versement.id:05d}", par=agent)


def _bilan(bilan, porteur, agent, depose_le, facteur, depenses=None, approuve_le=None):
    bilans.enregistrer_bilan(
        bilan, valeurs=valeurs_pour(bilan, facteur), par=porteur, depenses_realisees=None if depenses is None else str(depenses)
    )
    if bilan.type == TypeBilan.FINANCIER:
        bilans.ajouter_piece(
            bilan,
            (
                "compte-rendu-financier-cerfa-15059.pdf",
                pdf_minimal(
                    "Compte rendu financier (cerfa n° 15059)",
                    bilan.convention.structure.raison_sociale,
                    f"Année {bilan.annee.rang} de la convention {bilan.convention.numero}",
                ),
            ),
            par=porteur,
            nature="compte_rendu_financier",
        )
    bilans.deposer_bilan(bilan, par=porteur, instant=a_mayotte(depose_le, 11))
    if approuve_le is not None:
        bilans.approuver_bilan(bilan, par=agent, instant=a_mayotte(approuve_le, 14))


def _cout(annee):
    """The year's cost in the filed budget: the spending a year that went as planned declares."""
    return synthese_budget(annee.convention.dossier)[annee.rang - 1].charges


def _compte_rendu(annee, porteur, agent, depenses, ajustement=None):
    """The year's final account (cerfa n° 15059), filed a month after the year ended and approved; the balance it
    settles paid (reduced first, with its reason, when `ajustement` = (amount, reason))."""
    compte_rendu = annee.compte_rendu_financier
    _bilan(
        compte_rendu,
        porteur,
        agent,
        annee.fin + timedelta(days=30),
        Decimal("1"),
        depenses=depenses,
        approuve_le=annee.fin + timedelta(days=40),
    )
    if ajustement is not None and annee.solde.etat == EtatVersement.A_PAYER:
        montant, motif = ajustement
        paiements.ajuster_solde(annee.solde, montant=str(min(montant, annee.solde.montant)), par=agent, motif=motif)
    if annee.solde.etat == EtatVersement.A_PAYER:
        _payer(annee.solde, agent, annee.fin + timedelta(days=55))


def _annee_complete(annee, porteur, agent, facteur, depenses=None, renouveler=None):
    """A whole year: both reports filed on time and approved, the renewal if asked, then — once the year has
    ended — its final account approved and the balance paid."""
    _bilan(
        annee.bilan(TypeBilan.INTERMEDIAIRE),
        porteur,
        agent,
        annee.bilan(TypeBilan.INTERMEDIAIRE).echeance - timedelta(days=4),
        facteur,
        approuve_le=annee.bilan(TypeBilan.INTERMEDIAIRE).echeance + timedelta(days=6),
    )
    annuel = annee.bilan_annuel
    _bilan(
        annuel,
        porteur,
        agent,
        annuel.echeance - timedelta(days=8),
        facteur,
        depenses=_cout(annee) if depenses is None else depenses,
        approuve_le=annuel.echeance + timedelta(days=5),
    )
    if annee.fin + timedelta(days=55) < regles.jour_local(maintenant(), annee.convention.service.fuseau):
        _compte_rendu(annee, porteur, agent, _cout(annee) if depenses is None else depenses)
    if renouveler is not None:
        convention = annee.convention
        nouvelle = avenants.renouveler(
            convention,
            montant=renouveler,
            objectifs=annee.cibles(),
            par=agent,
            instant=a_mayotte(annuel.echeance + timedelta(days=10)),
            documents=False,
        )
        _signer(nouvelle, agent, annee.fin - timedelta(days=16))
        _payer(nouvelle.avance, agent, annee.fin - timedelta(days=9))
        return nouvelle
    return None


def _porteur(convention, comptes):
    return next(u for u in comptes.values() if u.structure_id == convention.structure_id and u.role == "porteur")


# --- 2022 : l'histoire complète ----------------------------------------------------------------------------------


def _conventions_2022(contexte, agent):
    decisions = db.session.scalars(
        select(Decision)
        .join(Seance, Seance.id == Decision.seance_id)
        .where(
            Seance.campagne_id == contexte.campagne_2022.id, Decision.nature == Nature.RETENU, Decision.notifie_le.is_not(None)
        )
        .order_by(Decision.id)
    ).all()
    for decision in decisions:
        if db.session.scalar(select(Convention.id).where(Convention.decision_id == decision.id)) is not None:
            continue
        collectivite = decision.dossier.structure.est_collectivite
        convention = _creer(decision, agent, date(2023, 1, 1), date(2022, 12, 12 if not collectivite else 14))
        porteur = _porteur(convention, contexte.comptes)
        (_vie_commune if collectivite else _vie_association)(convention, porteur, agent)
        db.session.flush()


def _vie_association(convention, porteur, agent):
    """The association's convention: signed in time, three years, two avenants, everything settled: it is closed."""
    _signer(convention.premiere, agent, date(2022, 12, 19))
    _payer(convention.premiere.avance, agent, date(2022, 12, 28))
    deuxieme = _annee_complete(convention.premiere, porteur, agent, Decimal("0.96"), renouveler="39984.00")
    troisieme = _annee_complete(deuxieme, porteur, agent, Decimal("1.05"), renouveler="40768.00")
    _annee_complete(troisieme, porteur, agent, Decimal("1.12"))


def _vie_commune(convention, porteur, agent):
    """The commune's convention: signed after the 15th day; its intermediate report corrected; spending under the
    grant, the balance reduced; not renewed."""
    annee = convention.premiere
    _signer(annee, agent, date(2022, 12, 27))
    _payer(annee.avance, agent, date(2023, 1, 10))
    intermediaire = annee.bilan(TypeBilan.INTERMEDIAIRE)
    _bilan(intermediaire, porteur, agent, date(2023, 7, 12), Decimal("0.55"))
    bilans.demander_corrections(
        intermediaire,
        message="Le nombre de marchés accompagnés ne correspond pas "
        "au tableau de suivi joint : précisez les marchés de la commune et ceux de "
        "l'intercommunalité.",
        date_limite=operations.aujourdhui(convention) + timedelta(days=30),
        par=agent,
    )
    intermediaire.corrections_avant = date(2023, 7, 31)
    _bilan(intermediaire, porteur, agent, date(2023, 7, 24), Decimal("0.6"), approuve_le=date(2023, 7, 28))
    annuel = annee.bilan_annuel
    _bilan(
        annuel,
        porteur,
        agent,
        date(2023, 10, 27),
        Decimal("0.6"),
        depenses=Decimal("32000.00"),
        approuve_le=date(2023, 11, 8),
    )
    avenants.ne_pas_renouveler(
        convention,
        par=agent,
        instant=a_mayotte(date(2023, 12, 1)),
        motif="Résultats en deçà des objectifs et cofinancement communal non reconduit pour 2024.",
    )
    _compte_rendu(
        annee,
        porteur,
        agent,
        Decimal("30000.00"),
        ajustement=(
            Decimal("4000.00"),
            "Objectifs de marchés accompagnés atteints à 60 % ; solde réduit au vu du compte rendu financier.",
        ),
    )


# --- L'année précédente : quatre conventions en cours -------------------------------------------------------------

PROJETS = [
    {
        "cle": "renouvelee",
        "structure": "association",
        "titre": "Clauses sociales dans les marchés de la CADEMA",
        "etp": ("1.0", "0"),
        "communes": ["97611", "97607"],
        "budget": budget_demo("46500", "6000", "2500", "1000", "39200", {("collectivites", "CADEMA"): "10500"}),
        "volumes": {"marches_etat": (5, 7000), "npnru": (2, 9000), "marches_locaux": (10, 14000), "marches_prives": (1, 800)},
        "mois": 15,
    },
    {
        "cle": "en_retard",
        "structure": "emergente",
        "titre": "Facilitation et coordination dans le Sud",
        "etp": ("0.5", "0.5"),
        "communes": ["97603", "97606", "97604", "97609"],
        "zone_blanche": "Aucun facilitateur n'intervient dans la communauté de communes du Sud : les marchés de la "
        "RN3 et des écoles de Chirongui et Bouéni n'ont jamais été clausés.",
        "budget": budget_demo("41000", "5000", "3500", "1500", "35500", {("collectivites", "CC du Sud"): "9000"}),
        "volumes": {"marches_etat": (2, 2500), "npnru": (0, 0), "marches_locaux": (6, 6500), "marches_prives": (1, 800)},
        "avis_ctn": ("favorable", None, "Projet pertinent pour couvrir la zone blanche du Sud."),
        "mois": 9,
    },
    {
        "cle": "avance_payee",
        "structure": "collectivite",
        "titre": "Facilitateur de la clause sociale du Grand Nord",
        "etp": ("1.0", "0"),
        "communes": ["97610", "97602"],
        "budget": budget_demo("44500", "4000", "1500", "500", "40000", {("epa", "CA du Grand Nord de Mayotte"): "6500"}),
        "volumes": {"marches_etat": (2, 3000), "npnru": (2, 8000), "marches_locaux": (8, 11000), "marches_prives": (0, 0)},
        "jours": 5,
    },
    {
        "cle": "a_signer",
        "structure": "association",
        "titre": "Facilitation de la clause sociale en Petite-Terre",
        "etp": ("1.0", "0"),
        "communes": ["97608", "97615"],
        "budget": budget_demo("45000", "5500", "3000", "1000", "38100", {("collectivites", "CC de Petite-Terre"): "11000"}),
        "volumes": {"marches_etat": (3, 4000), "npnru": (0, 0), "marches_locaux": (7, 9000), "marches_prives": (2, 1500)},
        "jours": 5,
    },
]
POINTS = [12, 8, 8, 7, 12, 16, 7, 4, 4]


def _campagne_precedente(contexte, aujourdhui):
    """The previous year's campaign, its calendar placed before today so that its four projects could be examined by
    the COPIL from fifteen months ago to last week."""
    ouverture = datetime.combine(regles.ajouter_mois(aujourdhui, -18).replace(day=1), time(0, 0), tzinfo=MAYOTTE)
    cloture = datetime.combine(aujourdhui - timedelta(days=2), time(23, 59), tzinfo=MAYOTTE)
    return campagne_demo(contexte.service, aujourdhui.year - 1, ouverture, cloture, Decimal("300000.00"))


def _tenue(projet, aujourdhui):
    if "mois" in projet:
        return regles.ajouter_mois(aujourdhui, -projet["mois"])
    return aujourdhui - timedelta(days=projet["jours"])


def _examiner(dossiers, tenue, campagne, agent, copil):
    """A COPIL session held on that day for these dossiers: scored, deliberated, retenu, closed and notified."""
    tenue = a_mayotte(tenue, 9)
    seance = notation.creer_seance(
        campagne,
        tenue_le=tenue,
        lieu="DEETS de Mayotte, Mamoudzou — salle de réunion",
        lien_visio="",
        president=agent,
        membres=[copil],
        par=agent,
        instant=tenue - timedelta(days=20),
    )
    for dossier in dossiers:
        notation.inscrire(seance, dossier, par=agent)
    notation.changer_phase(seance, Phase.NOTATION, par=agent, instant=tenue - timedelta(days=14))
    for dossier in dossiers:
        for membre in (agent, copil):
            notation.declarer(seance, dossier, membre, conflit=False)
            noter_demo(seance, dossier, membre, POINTS, "favorable")
    notation.changer_phase(seance, Phase.DELIBERATION, par=agent, instant=tenue)
    for dossier in dossiers:
        notation.decider(
            seance,
            dossier,
            nature="retenu",
            par=agent,
            montant_accorde=dossier.montant_demande,
            etp_facilitateur=dossier.etp_facilitateur,
            etp_coordinateur=dossier.etp_coordinateur,
        )
    notation.changer_phase(seance, Phase.CLOSE, par=agent, instant=tenue + timedelta(hours=3))


def _dossiers_precedents(contexte, campagne, agent, aujourdhui):
    """The four projects' dossiers (filed, complete) and the COPIL sessions that retained them, one per date."""
    porteurs = {
        "association": contexte.comptes["porteur@exemple.fr"],
        "collectivite": contexte.comptes["porteur2@exemple.fr"],
        "emergente": contexte.comptes["porteur3@exemple.fr"],
    }
    # Le dossier se dépose dans la campagne précédente (et non celle ouverte aujourd'hui).
    contexte_precedent = replace(contexte, campagne_ouverte=campagne)
    a_examiner, dossiers = {}, {}
    for projet in PROJETS:
        tenue = _tenue(projet, aujourdhui)
        spec = {
            **projet,
            "campagne": "precedente",
            "statut": Statut.RECEVABLE,
            "depot": a_mayotte(tenue - timedelta(days=40), 10),
            "recevable": tenue - timedelta(days=30),
        }
        if "avis_ctn" in projet:
            spec["avis_ctn"] = (projet["avis_ctn"][0], tenue - timedelta(days=20), projet["avis_ctn"][2])
        dossier = dossier_demo(spec, contexte_precedent, porteurs, agent)
        db.session.flush()
        dossiers[projet["cle"]] = dossier
        if dossier.statut == Statut.RECEVABLE:
            a_examiner.setdefault(tenue, []).append(dossier)
    for tenue, liste in sorted(a_examiner.items()):
        _examiner(liste, tenue, campagne, agent, contexte.comptes["copil@exemple.fr"])
    return {
        cle: db.session.scalar(select(Decision).where(Decision.dossier_id == dossier.id)) for cle, dossier in dossiers.items()
    }


def _conventions_en_cours(contexte, agent, aujourdhui):
    campagne = _campagne_precedente(contexte, aujourdhui)
    decisions = _dossiers_precedents(contexte, campagne, agent, aujourdhui)
    for cle, decision in decisions.items():
        if decision is None or db.session.scalar(select(Convention.id).where(Convention.decision_id == decision.id)) is not None:
            continue
        notifie = regles.jour_local(decision.notifie_le, decision.seance.service.fuseau)
        if cle == "a_signer":
            _creer(decision, agent, regles.ajouter_mois(notifie.replace(day=1), 1), notifie + timedelta(days=2))
            continue
        effet = regles.ajouter_mois(notifie.replace(day=1), 1)
        convention = _creer(decision, agent, effet, notifie + timedelta(days=2))
        porteur = _porteur(convention, contexte.comptes)
        rapide = cle == "avance_payee"  # notifiée il y a cinq jours : signée deux jours après, avance payée
        _signer(convention.premiere, agent, notifie + timedelta(days=2 if rapide else 11))
        _payer(convention.premiere.avance, agent, notifie + timedelta(days=4 if rapide else 18))
        if cle == "renouvelee":
            _annee_complete(convention.premiere, porteur, agent, Decimal("1.04"), renouveler="39900.00")
        elif cle == "en_retard":
            # Le bilan intermédiaire n'est pas déposé ; le premier bilan trimestriel attend l'examen de la DEETS.
            premier = next(b for b in convention.premiere.bilans if b.type == TypeBilan.TRIMESTRIEL)
            if premier.echeance <= aujourdhui:
                _bilan(premier, porteur, agent, premier.echeance - timedelta(days=2), Decimal("0.9"))
        db.session.flush()


def charger(contexte):
    agent = contexte.comptes["agent@exemple.fr"]
    _conventions_2022(contexte, agent)
    db.session.flush()
    _conventions_en_cours(contexte, agent, regles.jour_local(maintenant(), contexte.service.fuseau))
    db.session.flush()
