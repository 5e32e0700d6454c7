"""Demo history of the candidatures domain, loaded by `flask demo` after the foundation (idempotent).

Complete profiles and standing documents for the three demo structures, and dossiers in every state:
on the 2022 campaign (filed between July and October 2022, instructed, one after compléments, one
irrecevable, an emerging structure's with the comité technique national's opinion) and on the
campaign open today (a draft with its checklist still red, a filed dossier waiting for its
completeness check, a request for compléments, a recevable dossier ready for a COPIL session).
Figures in the spirit of Mayotte's social clause results (CRESS: 132 markets, 367 069 insertion
hours since 2017).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from aap.aap2022 import MAYOTTE
from aap.demo import compte_demo, siret_valide
from aap.extensions import db
from aap.journal import journaliser
from aap.models import Role
from aap.pdf import pdf_minimal
from aap.types import maintenant

from . import depots, instruction, operations, structures
from .models import ChangementStatut, Dossier, Statut, Structure
from .synthese import pieces_exigees

PROFILS = {
    "association": {
        "adresse": "Immeuble Lys, 12 rue du Commerce, Kawéni",
        "code_postal": "97600",
        "commune_code": "97611",
        "representant_nom": "Ahmed Ali Mohamed",
        "representant_qualite": "Président",
        "contact_nom": "Nassur Attoumani",
        "contact_telephone": "0269 61 12 34",
        "soumise_cac": True,
        "etp_facilitateurs_existants": Decimal("1.5"),
        "annee_financements": None,  # l'année courante, fixée au chargement
    },
    "collectivite": {
        "adresse": "Hôtel de ville, rue de la Mairie",
        "code_postal": "97600",
        "commune_code": "97610",
        "representant_nom": "Mariame Boina",
        "representant_qualite": "Maire",
        "contact_nom": "Service de la commande publique",
        "contact_telephone": "0269 62 00 00",
        "etp_facilitateurs_existants": Decimal("0.5"),
        "annee_financements": None,
    },
    "emergente": {
        "adresse": "Maison des associations, route nationale 3",
        "code_postal": "97660",
        "commune_code": "97607",
        "representant_nom": "Soilihi Madi",
        "representant_qualite": "Directeur",
        "contact_nom": "Soilihi Madi",
        "contact_telephone": "0269 63 45 67",
        "annee_financements": None,  # aucun ETP existant : un état de financement vide, mais présenté (annexe 2)
    },
}
FINANCEMENTS = {
    "association": [
        ("facilitateur", "collectivites", "Conseil départemental de Mayotte", Decimal(30000), Decimal(30000)),
        ("facilitateur", "fse", "FSE — programme Emploi et inclusion", Decimal(22000), Decimal(24000)),
        ("facilitateur", "etat", "DEETS — crédits insertion", Decimal(15000), Decimal(15000)),
    ],
    "collectivite": [
        ("facilitateur", "fonds_propres", "Budget communal", Decimal(21000), Decimal(22500)),
    ],
}
DOCUMENTS = {
    "association": [("statuts", 2019), ("comptes_annuels", None), ("rapport_activite", None), ("rapport_cac", None)],
    "collectivite": [("comptes_annuels", None), ("rapport_activite", None)],
    "emergente": [("statuts", 2023), ("rapport_activite", None)],
}
# Structures fictives : (raison sociale, statut, 8 premiers chiffres du SIREN, commune, émergente).
STRUCTURES = {
    "association": ("Association mahoraise pour l'insertion par les clauses (AMIC)", "association", "84512304", "97611", False),
    "collectivite": ("Commune de Koungou (démonstration)", "collectivite", "21976010", "97610", False),
    "emergente": ("Réseau emploi insertion du Sud (démonstration)", "reseau_emploi", "90123456", "97607", True),
}
# Un porteur par structure : clé de la structure → (email, prénom, nom).
PORTEURS = {
    "association": ("porteur@exemple.fr", "Nassur", "Attoumani"),
    "collectivite": ("porteur2@exemple.fr", "Mariame", "Boina"),
    "emergente": ("porteur3@exemple.fr", "Soilihi", "Madi"),
}


def budget_demo(salaires, fonctionnement, deplacements, formation, etat, autres):
    """Three years from year-1 figures (+2 % a year); `autres` = {(categorie, precision): montant}, the
    co-financers; own funds balance each year."""
    budget = {}
    charges_annees = []
    for i, facteur in enumerate((Decimal("1"), Decimal("1.02"), Decimal("1.04"))):

        def f(montant, facteur=facteur):
            return (Decimal(montant) * facteur).quantize(Decimal("1"))

        lignes = {
            "salaires": f(salaires),
            "fonctionnement": f(fonctionnement),
            "deplacements": f(deplacements),
            "formation": f(formation),
        }
        charges = sum(lignes.values())
        charges_annees.append(charges)
        produits = {"etat_aap": f(etat)} | {categorie: f(m) for (categorie, _), m in autres.items()}
        produits["fonds_propres"] = charges - sum(produits.values())
        for categorie, montant in (lignes | produits).items():
            precision = next((p for (c, p), _ in autres.items() if c == categorie), "")
            budget.setdefault(categorie, [precision, [Decimal(0)] * 3])[1][i] = montant
    return {c: (p, tuple(m)) for c, (p, m) in budget.items()}


DOSSIERS = [
    # (clé, structure, campagne, titre, statut visé, ETP facilitateur, ETP coordinateur, communes, zone blanche,
    #  budget, dépôt (jour, heure) ou décalage en jours pour la campagne ouverte)
    {
        "cle": "amic-2022",
        "structure": "association",
        "campagne": "2022",
        "titre": "Facilitation de la clause sociale à Mamoudzou et Dembeni",
        "statut": Statut.RECEVABLE,
        "etp": ("1.0", "0"),
        "communes": ["97611", "97607"],
        "budget": budget_demo(
            "46000", "6500", "2500", "1000", "39200", {("collectivites", "Conseil départemental de Mayotte"): "10000"}
        ),
        "volumes": {"marches_etat": (6, 8500), "npnru": (3, 12000), "marches_locaux": (12, 18000), "marches_prives": (2, 1500)},
        "depot": datetime(2022, 9, 12, 10, 14, tzinfo=MAYOTTE),
        "recevable": date(2022, 9, 20),
    },
    {
        "cle": "koungou-2022",
        "structure": "collectivite",
        "campagne": "2022",
        "titre": "La clause sociale dans les marchés du Grand Nord",
        "statut": Statut.RECEVABLE,
        "etp": ("1.0", "0"),
        "communes": ["97610", "97602", "97612", "97601"],
        # AAP §B.2-3 : une collectivité territoriale peut aller jusqu'à 80 %.
        "budget": budget_demo("44000", "4000", "1500", "500", "40000", {("epa", "CA du Grand Nord de Mayotte"): "6000"}),
        "volumes": {"marches_etat": (2, 3000), "npnru": (0, 0), "marches_locaux": (9, 14000), "marches_prives": (0, 0)},
        "depot": datetime(2022, 10, 3, 15, 2, tzinfo=MAYOTTE),
        "complements": (
            datetime(2022, 10, 10, 9, 30, tzinfo=MAYOTTE),
            date(2022, 10, 25),
            "Les comptes annuels joints sont ceux de 2019 : merci de joindre les derniers comptes "
            "approuvés (2021) et de préciser le cofinancement de l'intercommunalité.",
        ),
        "redepot": datetime(2022, 10, 18, 11, 45, tzinfo=MAYOTTE),
        "recevable": date(2022, 10, 24),
    },
    {
        "cle": "sud-2022",
        "structure": "emergente",
        "campagne": "2022",
        "titre": "Couvrir la zone blanche du Sud et coordonner les facilitateurs",
        "statut": Statut.RECEVABLE,
        "etp": ("0.5", "0.5"),
        "communes": ["97603", "97606", "97604", "97609"],
        "zone_blanche": "Aucun facilitateur n'intervient dans la communauté de communes du Sud : les marchés de la "
        "RN3 et des écoles de Chirongui et Bouéni n'ont jamais été clausés.",
        "budget": budget_demo(
            "40000",
            "5000",
            "3500",
            "1500",
            "35000",
            {("collectivites", "CC du Sud"): "8000", ("acheteurs_prives", "SIM — Société immobilière de Mayotte"): "3000"},
        ),
        "volumes": {"marches_etat": (2, 2500), "npnru": (0, 0), "marches_locaux": (5, 6000), "marches_prives": (1, 800)},
        "depot": datetime(2022, 10, 28, 16, 20, tzinfo=MAYOTTE),
        "recevable": date(2022, 11, 2),
        "avis_ctn": (
            "favorable",
            date(2022, 11, 15),
            "Projet pertinent pour couvrir une zone blanche ; vigilance sur la montée en charge de la coordination.",
        ),
    },
    {
        "cle": "amic-coordination-2022",
        "structure": "association",
        "campagne": "2022",
        "titre": "Coordination régionale de la clause sociale",
        "statut": Statut.IRRECEVABLE,
        "etp": ("0", "0.5"),
        "communes": ["97611"],
        "budget": budget_demo("24000", "2000", "1500", "500", "19600", {}),
        "volumes": {"marches_etat": (4, 0), "npnru": (0, 0), "marches_locaux": (0, 0), "marches_prives": (0, 0)},
        "depot": datetime(2022, 10, 31, 23, 41, tzinfo=MAYOTTE),
        "irrecevable": "L'attestation de structure jointe (type AVE) est celle d'une autre association : "
        "le dossier est incomplet au sens de l'annexe 2 (§B.2-2).",
    },
    {
        "cle": "amic-ouverte-recevable",
        "structure": "association",
        "campagne": "ouverte",
        "titre": "Renforcer la facilitation en Petite-Terre",
        "statut": Statut.RECEVABLE,
        "etp": ("1.0", "0"),
        "communes": ["97608", "97615"],
        "budget": budget_demo("47000", "6000", "3000", "1000", "39200", {("collectivites", "CC de Petite-Terre"): "12000"}),
        "volumes": {"marches_etat": (5, 7000), "npnru": (0, 0), "marches_locaux": (8, 11000), "marches_prives": (3, 2500)},
        "decalage": 20,
        "recevable_decalage": 15,
    },
    {
        "cle": "amic-ouverte-brouillon",
        "structure": "association",
        "campagne": "ouverte",
        "titre": "Clauses sociales dans les marchés du rectorat",
        "statut": Statut.BROUILLON,
        "etp": ("0.4", "0"),
        "communes": ["97611"],
        # Un brouillon en cours : ETP sous le minimum, budget déséquilibré, pièces et engagements manquants.
        "budget": {"salaires": ("", (Decimal(19000), 0, 0)), "etat_aap": ("", (Decimal(15000), 0, 0))},
        "brouillon_partiel": True,
    },
    {
        "cle": "koungou-ouverte-depose",
        "structure": "collectivite",
        "campagne": "ouverte",
        "titre": "Clause sociale et NPNRU à Koungou",
        "statut": Statut.DEPOSE,
        "etp": ("1.0", "0"),
        "communes": ["97610"],
        "budget": budget_demo(
            "45000",
            "4500",
            "2000",
            "500",
            "41600",
            {("epa", "Établissement public foncier et d'aménagement de Mayotte (EPFAM)"): "5000"},
        ),
        "volumes": {"marches_etat": (1, 1500), "npnru": (4, 16000), "marches_locaux": (6, 9000), "marches_prives": (0, 0)},
        "decalage": 3,
    },
    {
        "cle": "koungou-ouverte-complements",
        "structure": "collectivite",
        "campagne": "ouverte",
        "titre": "Facilitateur mutualisé avec Bandraboua",
        "statut": Statut.COMPLEMENTS_DEMANDES,
        "etp": ("0.5", "0"),
        "communes": ["97610", "97602"],
        "budget": budget_demo("23000", "2000", "1000", "0", "20800", {("collectivites", "Commune de Bandraboua"): "3000"}),
        "volumes": {"marches_etat": (0, 0), "npnru": (0, 0), "marches_locaux": (5, 6500), "marches_prives": (0, 0)},
        "decalage": 12,
        "complements_decalage": 8,
        "complements": "La convention de mutualisation avec la commune de Bandraboua n'est pas jointe : ajoutez-la "
        "et précisez la part de chaque commune dans le budget.",
    },
    {
        "cle": "sud-ouverte-brouillon",
        "structure": "emergente",
        "campagne": "ouverte",
        "titre": "Coordination régionale : deuxième année",
        "statut": Statut.BROUILLON,
        "etp": ("0", "0.8"),
        "communes": ["97603", "97606"],
        "budget": budget_demo("36000", "4000", "2500", "1500", "31000", {("collectivites", "CC du Sud"): "6000"}),
        "volumes": {"marches_etat": (3, 0), "npnru": (0, 0), "marches_locaux": (6, 0), "marches_prives": (0, 0)},
    },
]


def _structures(service):
    structures = {}
    for cle, (raison_sociale, statut, prefixe, commune, emergente) in STRUCTURES.items():
        siret = siret_valide(prefixe)
        structure = db.session.scalar(select(Structure).where(Structure.siret == siret))
        if structure is None:
            structure = Structure(
                siret=siret,
                raison_sociale=raison_sociale,
                statut_juridique=statut,
                service_id=service.id,
                commune_code=commune,
                emergente=emergente,
            )
            db.session.add(structure)
            db.session.flush()
            journaliser("structure.creation", structure, acteur="démo")
        structures[cle] = structure
    return structures


def _profils(contexte, porteurs):
    annee = maintenant().astimezone(MAYOTTE).year
    for cle, profil in PROFILS.items():
        structure = contexte.structures[cle]
        if structure.modifie_le is not None:
            continue  # déjà chargé : on ne repasse pas sur ce que la démonstration a pu modifier
        valeurs = dict(profil)
        if "annee_financements" in valeurs:
            valeurs["annee_financements"] = annee
        structures.modifier_structure(structure, valeurs, par=porteurs[cle])
        for poste, financeur, nom, avant, apres in FINANCEMENTS.get(cle, []):
            structures.ajouter_financement(
                structure,
                par=porteurs[cle],
                poste=poste,
                financeur=financeur,
                nom_financeur=nom,
                montant_annee_precedente=avant,
                montant_annee_courante=apres,
            )
        for type_, annee_document in DOCUMENTS.get(cle, []):
            annee_document = annee_document or annee - 1
            structures.ajouter_document(
                structure,
                par=porteurs[cle],
                type_=type_,
                annee=annee_document,
                televersement=(
                    f"{type_}-{annee_document}.pdf",
                    pdf_minimal(
                        f"{structure.raison_sociale}",
                        f"{type_.replace('_', ' ').capitalize()} {annee_document}",
                        "Document de démonstration.",
                    ),
                ),
            )
    db.session.flush()


def _dater(dossier, instant):
    """Demo history: the last status change happened at that time (the audit log keeps the real time)."""
    dernier = db.session.scalars(
        select(ChangementStatut).where(ChangementStatut.dossier_id == dossier.id).order_by(ChangementStatut.id.desc())
    ).first()
    dernier.le = instant


def _pieces(dossier, porteur):
    fournies = {p.code for p in dossier.pieces_courantes}
    for piece in pieces_exigees(dossier):
        if piece.code in fournies:
            continue
        operations.ajouter_piece(
            dossier,
            piece.code,
            (f"{piece.code.replace('_', '-')}.pdf", pdf_minimal(piece.libelle, dossier.structure.raison_sociale, dossier.titre)),
            par=porteur,
        )


def dossier_demo(spec, contexte, porteurs, agent):
    structure = contexte.structures[spec["structure"]]
    campagne = contexte.campagne_2022 if spec["campagne"] == "2022" else contexte.campagne_ouverte
    existant = db.session.scalar(
        select(Dossier).where(
            Dossier.structure_id == structure.id, Dossier.campagne_id == campagne.id, Dossier.titre == spec["titre"]
        )
    )
    if existant is not None:
        return existant
    porteur = porteurs[spec["structure"]]
    aujourdhui = maintenant().astimezone(MAYOTTE)
    if "depot" in spec:
        depot = spec["depot"]
    else:
        jour = (aujourdhui - timedelta(days=spec.get("decalage", 1))).date()
        depot = datetime.combine(jour, time(10, 30), tzinfo=MAYOTTE)
    cree = min(depot - timedelta(days=6), maintenant())
    cree = max(cree, campagne.ouverture_le + timedelta(hours=9))
    dossier = operations.creer_dossier(campagne, structure, par=porteur, titre=spec["titre"], instant=cree)
    _dater(dossier, cree)
    operations.modifier(dossier, _valeurs(spec, structure, campagne), par=porteur)
    if spec["statut"] == Statut.BROUILLON:
        if not spec.get("brouillon_partiel"):
            _pieces(dossier, porteur)
        return dossier
    _pieces(dossier, porteur)
    depots.deposer(dossier, par=porteur, instant=depot, notifier=False)
    _dater(dossier, depot)
    if "complements" in spec and "redepot" in spec:
        _complements_puis_redepot(dossier, spec, porteur, agent)
    _instruire(dossier, spec, agent, depot, aujourdhui)
    return dossier


def _valeurs(spec, structure, campagne):
    """The form's content: the spec's figures, and a written project (or the start of one, for a partial draft)."""
    facilitateur, coordinateur = (Decimal(x) for x in spec["etp"])
    valeurs = {
        "etp_facilitateur": facilitateur,
        "etp_coordinateur": coordinateur,
        "communes": spec["communes"],
        "budget": spec["budget"],
    }
    if spec.get("brouillon_partiel"):
        return valeurs | {"diagnostic": "Le rectorat passe chaque année une vingtaine de marchés de travaux…"}
    demandes = {"facilitateur": facilitateur > 0, "coordinateur": coordinateur > 0}
    missions = [m.id for poste, oui in demandes.items() if oui for m in [m for m in campagne.missions if m.poste == poste][:3]]
    return valeurs | {
        "zone_blanche": bool(spec.get("zone_blanche")),
        "zone_blanche_justification": spec.get("zone_blanche", ""),
        "diagnostic": f"{structure.commune.nom if structure.commune else 'Le territoire'} et les communes voisines "
        "concentrent les chantiers de l'État et des collectivités (écoles, voirie, NPNRU de Kawéni et de "
        "Koungou). Près de 60 % des demandeurs d'emploi n'ont pas de diplôme ; les SIAE du territoire "
        "peuvent accueillir davantage de salariés en parcours.",
        "objectifs": "Accompagner chaque année les marchés listés ci-dessous, générer les heures d'insertion "
        "visées et construire des parcours vers l'emploi durable avec France Travail et la mission locale.",
        "strategie": "Rencontrer les acheteurs dès la programmation, calibrer les clauses, accompagner les "
        "entreprises titulaires, suivre les bénéficiaires et rendre compte trimestriellement à la DEETS.",
        "missions": missions,
        "volumes": spec["volumes"],
        "calendrier": "Mois 1 : recrutement et prise de poste. Mois 2 à 4 : rencontre des acheteurs publics. "
        "À partir du mois 4 : suivi des premiers marchés clausés ; bilan intermédiaire au mois 6.",
        "engagement_non_baisse": True,
        "declaration_honneur": True,
        "signataire_nom": structure.representant_nom,
        "signataire_qualite": structure.representant_qualite,
    }


def _complements_puis_redepot(dossier, spec, porteur, agent):
    """The 2022 story: compléments asked on the budget and the annual accounts, then a second filing."""
    le, limite, message = spec["complements"]
    demande = instruction.demander_complements(
        dossier,
        par=agent,
        rubriques=["budget"],
        pieces=["comptes_annuels"],
        date_limite=maintenant().date() + timedelta(days=30),
        message=message,
        notifier=False,
    )
    demande.date_limite, demande.demandee_le = limite, le
    _dater(dossier, le)
    db.session.flush()
    operations.ajouter_piece(
        dossier,
        "comptes_annuels",
        ("comptes-annuels-2021.pdf", pdf_minimal("Comptes annuels 2021", dossier.structure.raison_sociale)),
        par=porteur,
    )
    # Le budget demandé est complété : l'intercommunalité précise son cofinancement.
    precision, montants = spec["budget"]["epa"]
    budget = {"epa": (f"{precision} (délibération du 12 octobre 2022)", montants)}
    operations.modifier(dossier, {"budget": budget}, par=porteur)
    depots.deposer(dossier, par=porteur, instant=spec["redepot"], notifier=False)
    _dater(dossier, spec["redepot"])


def _instruire(dossier, spec, agent, depot, aujourdhui):
    """The agent's part, up to the status the spec asks: compléments, irrecevable or recevable, the CTN's opinion."""
    if spec["statut"] == Statut.COMPLEMENTS_DEMANDES and "redepot" not in spec:
        instruction.demander_complements(
            dossier,
            par=agent,
            rubriques=["budget"],
            pieces=["autre"],
            date_limite=aujourdhui.date() + timedelta(days=spec["complements_decalage"]),
            message=spec["complements"],
            notifier=False,
        )
        _dater(dossier, depot + timedelta(days=3))
    if spec["statut"] == Statut.IRRECEVABLE:
        instruction.declarer_irrecevable(dossier, par=agent, motif=spec["irrecevable"], notifier=False)
        _dater(dossier, depot + timedelta(days=9))
    if spec["statut"] == Statut.RECEVABLE:
        recevable = spec.get("recevable") or (aujourdhui - timedelta(days=spec["recevable_decalage"])).date()
        instruction.declarer_recevable(dossier, par=agent, le=recevable, notifier=False)
        _dater(dossier, datetime.combine(recevable, time(14, 0), tzinfo=MAYOTTE))
    if "avis_ctn" in spec:
        avis, le, commentaire = spec["avis_ctn"]
        instruction.enregistrer_avis_ctn(dossier, par=agent, avis=avis, le=le, commentaire=commentaire)


def charger(contexte):
    contexte.structures = _structures(contexte.service)
    porteurs = {
        cle: compte_demo(contexte, email, Role.PORTEUR, prenom, nom, structure=contexte.structures[cle])
        for cle, (email, prenom, nom) in PORTEURS.items()
    }
    agent = contexte.comptes["agent@exemple.fr"]
    _profils(contexte, porteurs)
    contexte.dossiers = {}
    for spec in DOSSIERS:
        contexte.dossiers[spec["cle"]] = dossier_demo(spec, contexte, porteurs, agent)
        db.session.flush()
