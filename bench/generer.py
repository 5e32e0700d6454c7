"""The national dataset, built through the product's models, reproducible from a seed, at a chosen scale.

    python -m bench.generer --echelle national --base postgresql+psycopg://postgres@127.0.0.1:5432/aap_bench \
        --fichiers instance/bench/fichiers-pg --manifeste instance/bench/manifeste-pg.json

The database must be migrated (`flask db upgrade`) and empty. Rows are ORM objects of the domains' models
added in batches (`add_all`, one flush per batch of dossiers), so every constraint of the schema holds;
the operations' side effects that a bulk load cannot afford are left out and said so: no audit-log entry
per row, no email, receipts rendered at their first download. Each piece is a real small PDF (one per kind
of piece, hard-linked under a distinct path for each row, so each `fichiers` row has its own file).

`national`: 100 services, 20 000 dossiers (10 budget lines, 8 pieces each), 10 000 of them scored in
500 sessions by 8 members on the 9 criteria (720 000 scores). Every scale also has one session of
200 dossiers × 8 members in deliberation (the ranking the benchmark loads). Up to 5 000 conventions (national)
come from the retenu, notified decisions of the closed sessions, each lived up to today (`bench.vie_conventions`):
signed scans and comptes rendus financiers are files too; contract documents are rendered at their first
download. The manifest tells the load run who to log in as and which pages to open.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import selectinload

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

MOT_DE_PASSE = "banc d'essai national, phrase de passe connue"  # noqa: S105 — comptes fictifs du banc
GRANDE_SEANCE = 200
MEMBRES = 8
LOT = 100


@dataclass(frozen=True)
class Echelle:
    services: int
    dossiers: int
    notes: int  # dossiers notés en séance
    seances: int
    conventions: int


ECHELLES = {
    "national": Echelle(services=100, dossiers=20_000, notes=10_000, seances=500, conventions=5_000),
    "dixieme": Echelle(services=10, dossiers=2_000, notes=1_000, seances=50, conventions=500),
    "mini": Echelle(services=2, dossiers=500, notes=300, seances=6, conventions=150),
}

FUSEAUX = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "976": "Indian/Mayotte",
}
CENTIME = Decimal("0.01")


def _montant(valeur):
    return Decimal(valeur).quantize(CENTIME, rounding=ROUND_DOWN)


def budget_projet(rng, etp):
    """Ten lines of the cerfa budget, balanced, the State at 65 % of the charges (under the 70 % cap)."""
    alea = [Decimal(rng.randint(900, 1100)) / 1000 for _ in range(3)]  # ±10 %, en décimaux comme tout montant
    salaires = [_montant(42000 * Decimal(etp) * (1 + Decimal("0.02") * i) * alea[i]) for i in range(3)]
    lignes = {
        "salaires": ("Salaires et charges des ETP", salaires),
        "fonctionnement": ("Locaux, poste informatique", [_montant(s * Decimal("0.12")) for s in salaires]),
        "deplacements": ("Déplacements sur les chantiers", [_montant(s * Decimal("0.05")) for s in salaires]),
        "formation": ("Professionnalisation", [_montant(s * Decimal("0.02")) for s in salaires]),
        "autres_charges": ("Frais de gestion", [_montant(s * Decimal("0.01")) for s in salaires]),
    }
    charges = [sum(lignes[c][1][i] for c in lignes) for i in range(3)]
    etat = [_montant(c * Decimal("0.65")) for c in charges]
    fse = [_montant(c * Decimal("0.05")) for c in charges]
    collectivites = [_montant(c * Decimal("0.15")) for c in charges]
    fonds_propres = [_montant(c * Decimal("0.10")) for c in charges]
    autres = [charges[i] - etat[i] - fse[i] - collectivites[i] - fonds_propres[i] for i in range(3)]
    lignes |= {
        "etat_aap": ("", etat),
        "fse": ("Programme FSE+ régional", fse),
        "collectivites": ("Conseil départemental", collectivites),
        "fonds_propres": ("", fonds_propres),
        "autres_produits": ("Mécénat d'entreprises du BTP", autres),
    }
    return lignes


class Generateur:
    def __init__(self, echelle, graine, journal=print):
        from aap.extensions import db

        self.db = db
        self.echelle = ECHELLES[echelle]
        self.nom_echelle = echelle
        self.rng = random.Random(graine)
        self.graine = graine
        self.dire = journal
        self.instant = datetime.now(ZoneInfo("UTC")).replace(microsecond=0)
        self.annee = self.instant.year
        self.n_fichiers = 0
        self.compteurs = {}
        self.manifeste = {"echelle": echelle, "graine": graine, "mot_de_passe": MOT_DE_PASSE}
        self.totaux = {}

    def compter(self, nom, n=1):
        self.totaux[nom] = self.totaux.get(nom, 0) + n

    # --- Référentiel, services, comptes, campagnes --------------------------------------------------------

    def departements(self):
        from flask import current_app

        communes = json.loads((Path(current_app.config["REFERENTIEL_DIR"]) / "communes.json").read_text(encoding="utf-8"))
        par_dep = {}
        for c in communes:
            if c.get("type") == "commune-actuelle" and c.get("departement"):
                par_dep.setdefault(c["departement"], []).append(c)
        codes = ["976"] + sorted(d for d in par_dep if d != "976")
        choisis = codes[: self.echelle.services]
        return {d: sorted(par_dep[d], key=lambda c: -(c.get("population") or 0))[:10] for d in choisis}

    def socle(self):
        from aap import aap2022
        from aap.models import Campagne, Commune, Service, Utilisateur
        from aap.securite import hacher_mot_de_passe, nouveau_jeton_session

        db = self.db
        hachage = hacher_mot_de_passe(MOT_DE_PASSE)
        self.services = []
        departements = self.departements()
        for code, communes in departements.items():
            for c in communes:
                db.session.add(
                    Commune(
                        code=c["code"],
                        nom=c["nom"],
                        departement=code,
                        codes_postaux=" ".join(c.get("codesPostaux", [])),
                        population=c.get("population"),
                    )
                )
        db.session.flush()

        def compte(email, role, service_id, prenom, nom, structure_id=None):
            return Utilisateur(
                email=email,
                role=role,
                service_id=service_id,
                structure_id=structure_id,
                prenom=prenom,
                nom=nom,
                mot_de_passe_hash=hachage,
                email_confirme_le=self.instant,
                rattachement_valide=structure_id is not None,
                actif=True,
                jeton_session=nouveau_jeton_session(),
            )

        for code, communes in departements.items():
            service = Service(
                code=code,
                nom=f"DEETS {code}" if code == "976" else f"DDETS {code}",
                intitule_officiel=f"Préfet — département {code}",
                prefet=f"préfet — département {code}",
                departements=code,
                courriel=f"insertion-{code.lower()}@banc.exemple.fr",
                fuseau=FUSEAUX.get(code, "Europe/Paris"),
            )
            db.session.add(service)
            db.session.flush()
            campagnes = []
            for decalage in (2, 1, 0):
                annee = self.annee - decalage
                if decalage:
                    ouverture = datetime(annee, 3, 1, tzinfo=ZoneInfo("UTC"))
                    cloture = datetime(annee, 10, 31, 20, 0, tzinfo=ZoneInfo("UTC"))
                else:
                    ouverture, cloture = self.instant - timedelta(days=60), self.instant + timedelta(days=60)
                campagne = aap2022.garnir(
                    Campagne(
                        service_id=service.id,
                        titre=aap2022.TITRE,
                        annee=annee,
                        presentation=aap2022.PRESENTATION,
                        ouverture_le=ouverture,
                        cloture_le=cloture,
                        credits=Decimal("3000000.00"),
                        courriel_contact=service.courriel,
                    )
                )
                db.session.add(campagne)
                campagnes.append(campagne)
            agent = compte(f"agent.{code.lower()}@banc.exemple.fr", "agent", service.id, "Agent", f"Instructeur {code}")
            admin = compte(f"admin.{code.lower()}@banc.exemple.fr", "admin", service.id, "Admin", f"Service {code}")
            membres = [
                compte(f"copil{i}.{code.lower()}@banc.exemple.fr", "copil", service.id, "Membre", f"COPIL {code}-{i}")
                for i in range(MEMBRES)
            ]
            db.session.add_all([agent, admin, *membres])
            db.session.flush()
            self.services.append(
                {
                    "id": service.id,
                    "code": code,
                    "communes": [c["code"] for c in communes],
                    "agent": agent.id,
                    "membres": [m.id for m in membres],
                    "campagnes": [
                        {
                            "id": c.id,
                            "annee": c.annee,
                            "titre": c.titre,
                            "cloture_le": c.cloture_le,
                            "ouverture_le": c.ouverture_le,
                            "pieces": [(p.code, p.libelle) for p in c.pieces],
                            "missions": [m.id for m in c.missions if m.poste == "facilitateur"][:2],
                            "criteres": [(cr.id, cr.code, cr.maximum) for cr in c.criteres],
                        }
                        for c in campagnes
                    ],
                }
            )
            self.compter("services")
        national = compte("national@banc.exemple.fr", "national", None, "Lecture", "Nationale")
        db.session.add(national)
        db.session.commit()
        self.manifeste["national"] = national.email
        self.manifeste["agent"] = f"agent.{self.services[0]['code'].lower()}@banc.exemple.fr"
        self._structures_et_porteurs(compte)

    def _structures_et_porteurs(self, compte):
        from aap.demo import siret_valide
        from candidatures.models import FinancementExistant, Structure

        db, rng = self.db, self.rng
        numero = 0
        for service in self.services:
            part = self._dossiers_du_service(service)
            n_structures = max(3, part // 3)
            service["structures"] = []
            for i in range(n_structures):
                numero += 1
                tirage = rng.random()
                statut = "collectivite" if tirage < 0.1 else "association"
                emergente = 0.1 <= tirage < 0.2
                structure = Structure(
                    service_id=service["id"],
                    siret=siret_valide(f"{40_000_000 + numero:08d}"),
                    raison_sociale=f"{'Commune' if statut == 'collectivite' else 'Association'} d'insertion n°{numero}",
                    statut_juridique=statut,
                    adresse=f"{i + 1} rue de la Clause sociale",
                    code_postal="97600" if service["code"] == "976" else f"{service['code'][:2]}000",
                    commune_code=service["communes"][i % len(service["communes"])],
                    representant_nom=f"Représentant {numero}",
                    representant_qualite="Président" if statut == "association" else "Maire",
                    contact_nom=f"Contact {numero}",
                    contact_courriel=f"contact{numero}@banc.exemple.fr",
                    contact_telephone="01 23 45 67 89",
                    emergente=emergente,
                    etp_facilitateurs_existants=Decimal("0") if emergente else Decimal("1.0"),
                    annee_financements=None if emergente else self.annee,
                )
                if not emergente:
                    structure.financements = [
                        FinancementExistant(
                            poste="facilitateur",
                            financeur="collectivites",
                            nom_financeur="Conseil départemental",
                            montant_annee_precedente=Decimal("18000.00"),
                            montant_annee_courante=Decimal("18000.00"),
                        )
                    ]
                db.session.add(structure)
                service["structures"].append(structure)
            db.session.flush()
            porteurs = [
                compte(
                    f"porteur{s.id}@banc.exemple.fr", "porteur", service["id"], "Porteur", f"Structure {s.id}", structure_id=s.id
                )
                for s in service["structures"]
            ]
            db.session.add_all(porteurs)
            db.session.flush()
            service["structures"] = [
                {
                    "id": s.id,
                    "emergente": s.emergente,
                    "statut": s.statut_juridique,
                    "porteur": p.id,
                    "siret": s.siret,
                    "raison_sociale": s.raison_sociale,
                    # Le profil tel que le dépôt le fige : le produit juge un dossier déposé sur lui.
                    "profil": {
                        "statut_juridique": s.statut_juridique,
                        "emergente": s.emergente,
                        "soumise_cac": False,
                        "adresse": s.adresse,
                        "code_postal": s.code_postal,
                        "commune": s.commune_code,
                        "representant": [s.representant_nom, s.representant_qualite],
                        "etp_existants": {"facilitateur": s.etp_facilitateurs_existants, "coordinateur": Decimal("0")},
                        "annee_financements": s.annee_financements,
                        "financements_existants": [
                            {
                                "poste": f.poste,
                                "financeur": f.financeur,
                                "nom": f.nom_financeur,
                                "annee_precedente": f.montant_annee_precedente,
                                "annee_courante": f.montant_annee_courante,
                            }
                            for f in s.financements
                        ],
                    },
                }
                for s, p in zip(service["structures"], porteurs, strict=True)
            ]
            self.compter("structures", len(porteurs))
            db.session.commit()
        db.session.expunge_all()

    # --- Répartition ----------------------------------------------------------------------------------------

    def _plan_seances(self, rang_service):
        """(campaign index, phase, size) of each session of a service."""
        e = self.echelle
        par_service = e.seances // e.services
        taille = (e.notes - GRANDE_SEANCE) // (e.seances - 1)
        reste = (e.notes - GRANDE_SEANCE) - taille * (e.seances - 1)
        plan = []
        debut = 0
        if rang_service == 0:
            plan.append((2, "deliberation", GRANDE_SEANCE))
            debut = 1
        for j in range(debut, par_service):
            n = taille + (1 if (rang_service * par_service + j) < reste else 0)
            if j == par_service - 1:
                plan.append((2, "notation", n))
            else:
                plan.append((min(1, j * 2 // max(1, par_service - 1)), "close", n))
        return plan

    def _dossiers_du_service(self, service):
        rang = self.services.index(service)
        e = self.echelle
        non_notes = (e.dossiers - e.notes) // e.services + (1 if rang < (e.dossiers - e.notes) % e.services else 0)
        return non_notes + sum(n for _, _, n in self._plan_seances(rang))

    # --- Fichiers ---------------------------------------------------------------------------------------------

    def modeles_de_pieces(self):
        from aap.fichiers import StockageLocal, stockage
        from aap.pdf import pdf_minimal

        self.stockage = stockage()
        self.local = isinstance(self.stockage, StockageLocal)
        self.modeles = {}
        codes = ("demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants", "autre")
        for code in codes + ("convention_signee", "compte_rendu_financier"):
            contenu = pdf_minimal(f"Banc d'essai - {code}", "Document fictif du jeu de données national")
            relatif = f"banc/modeles/{code}.pdf"
            self.stockage.ecrire(relatif, contenu)
            self.modeles[code] = (relatif, contenu, hashlib.sha256(contenu).hexdigest())

    # --- Dossiers ---------------------------------------------------------------------------------------------

    def dossiers(self):
        from aap.models import Compteur

        for rang, service in enumerate(self.services):
            plan = self._plan_seances(rang)
            total = self._dossiers_du_service(service)
            notes = sum(n for _, _, n in plan)
            # Les dossiers à noter d'abord (recevables, dans la campagne de leur séance), puis les autres.
            a_faire = []
            for indice_seance, (indice_campagne, _, n) in enumerate(plan):
                a_faire += [("recevable", indice_campagne, indice_seance)] * n
            for _ in range(total - notes):
                tirage = self.rng.random()
                if tirage < 0.10:
                    a_faire.append(("brouillon", 2, None))
                elif tirage < 0.20:
                    a_faire.append(("complements_demandes", 2, None))
                elif tirage < 0.50:
                    a_faire.append(("depose", self.rng.choice((1, 2)), None))
                elif tirage < 0.80:
                    a_faire.append(("recevable", self.rng.choice((0, 1, 2)), None))
                else:
                    a_faire.append(("irrecevable", self.rng.choice((0, 1, 2)), None))
            service["dossiers_par_seance"] = [[] for _ in plan]
            for debut in range(0, len(a_faire), LOT):
                self._lot(service, a_faire[debut : debut + LOT])
            self.dire(f"  service {service['code']} : {len(a_faire)} dossiers")
        for cle, valeur in self.compteurs.items():
            self.db.session.add(Compteur(cle=cle, valeur=valeur))
        self.db.session.commit()

    def _lot(self, service, lot):
        from aap.fichiers import Fichier
        from aap.journal import canonique
        from candidatures import regles
        from candidatures.models import (
            ChangementStatut,
            DemandeComplements,
            Depot,
            Dossier,
            ElementComplement,
            LigneBudget,
            Piece,
            VolumeActivite,
            dossiers_communes,
            dossiers_missions,
        )
        from candidatures.synthese import contenu_du_formulaire

        db, rng = self.db, self.rng
        crees = []
        for statut, indice_campagne, indice_seance in lot:
            campagne = service["campagnes"][indice_campagne]
            structure = rng.choice(service["structures"])
            porteur = structure["porteur"]
            etp = rng.choice((Decimal("0.5"), Decimal("1.0"), Decimal("1.0"), Decimal("1.5"), Decimal("2.0")))
            budget = budget_projet(rng, etp)
            taux = Decimal("0.80") if structure["statut"] == "collectivite" else Decimal("0.70")
            annees = regles.synthese_budget({c: m for c, (_, m) in budget.items()}, taux, etp)
            cree_le = campagne["ouverture_le"] + timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 1440))
            depose_le = min(cree_le + timedelta(days=rng.randint(5, 60)), campagne["cloture_le"] - timedelta(hours=1))
            if indice_campagne == 2:
                depose_le = min(depose_le, self.instant - timedelta(hours=1))
                cree_le = min(cree_le, depose_le - timedelta(days=1))
            dossier = Dossier(
                campagne_id=campagne["id"],
                structure_id=structure["id"],
                service_id=service["id"],
                titre=f"Facilitation de la clause sociale — {structure['raison_sociale']} ({campagne['annee']})",
                statut=statut,
                cree_le=cree_le,
                cree_par_id=porteur,
                modifie_le=depose_le,
                etp_facilitateur=etp,
                etp_coordinateur=Decimal("0"),
                diagnostic="Territoire où se concentrent les marchés de l'État et des chantiers NPNRU. " * 3,
                objectifs="Accompagner 12 marchés et générer 10 000 heures d'insertion par an.",
                strategie="Rencontrer chaque acheteur en amont, calibrer les clauses avec les SIAE, suivre les parcours. " * 2,
                calendrier="Recrutement au premier trimestre, premiers marchés au deuxième.",
                engagement_non_baisse=True,
                declaration_honneur=True,
                signataire_nom="Représentant légal",
                signataire_qualite="Président",
                engagements_le=depose_le - timedelta(hours=2),
                montant_demande=annees[0].part_etat,
            )
            codes = ["demande_subvention", "rapports_activite", "comptes_annuels"]
            if not structure["emergente"]:
                codes.append("budget_etp_existants")
            # Huit pièces : une demande de subvention remplacée, les pièces exigées, des documents libres.
            pieces = [("demande_subvention", cree_le, cree_le + timedelta(hours=1))]
            pieces += [(code, cree_le + timedelta(hours=1), None) for code in codes]
            pieces += [("autre", cree_le + timedelta(hours=2), None)] * (8 - len(pieces))
            historique = [("brouillon", porteur, cree_le)]
            if statut != "brouillon":
                cle = f"dossier:{service['code']}:{campagne['annee']}"
                self.compteurs[cle] = self.compteurs.get(cle, 0) + 1
                dossier.numero = f"AAP-{campagne['annee']}-{service['code']}-{self.compteurs[cle]:04d}"
                dossier.depose_le = depose_le
                historique.append(("depose", porteur, depose_le))
                apres = depose_le + timedelta(days=rng.randint(2, 20))
                if statut == "recevable":
                    dossier.recevable_le = apres.date()
                    if structure["emergente"]:
                        dossier.avis_ctn, dossier.avis_ctn_le = "favorable", apres.date()
                elif statut == "irrecevable":
                    dossier.irrecevable_le = apres
                    dossier.motif_irrecevabilite = "Pièces manquantes malgré la relance."
                elif statut == "complements_demandes":
                    apres = min(apres, self.instant - timedelta(minutes=30))
                    dossier.demandes_complements = [
                        DemandeComplements(
                            demandee_le=apres,
                            par_id=service["agent"],
                            date_limite=(self.instant + timedelta(days=15)).date(),
                            message="Merci de joindre le budget corrigé.",
                            elements=[ElementComplement(type="rubrique", code="budget")],
                        )
                    ]
                if statut != "depose":
                    historique.append((statut, service["agent"], apres))
            communes = rng.sample(service["communes"], k=min(2, len(service["communes"])))
            crees.append((dossier, communes, campagne, indice_seance, structure, budget, pieces, historique))
        db.session.add_all([d for d, *_ in crees])
        db.session.flush()

        # Les lignes nombreuses : insertion groupée par modèle (types, défauts et contraintes du schéma).
        fichiers, pieces, lignes, volumes, historiques, associations_c, associations_m = [], [], [], [], [], [], []
        for dossier, communes, campagne, _, structure, budget, pieces_dossier, historique in crees:
            for code, le, remplacee_le in pieces_dossier:
                fichiers.append(self.fichier(code, service["id"], structure["porteur"], le))
                pieces.append(
                    {
                        "dossier_id": dossier.id,
                        "code": code,
                        "libelle": dict(campagne["pieces"]).get(code, "Document complémentaire"),
                        "ajoutee_le": le,
                        "ajoutee_par_id": structure["porteur"],
                        "remplacee_le": remplacee_le,
                    }
                )
            lignes += [
                {
                    "dossier_id": dossier.id,
                    "categorie": c,
                    "precision": p,
                    "montant_annee1": m[0],
                    "montant_annee2": m[1],
                    "montant_annee3": m[2],
                }
                for c, (p, m) in budget.items()
            ]
            volumes += [
                {
                    "dossier_id": dossier.id,
                    "categorie": c,
                    "nombre_marches": rng.randint(1, 8),
                    "heures_insertion": rng.randint(200, 5000),
                }
                for c in regles.CATEGORIES_VOLUMES
            ]
            historiques += [{"dossier_id": dossier.id, "statut": s, "par_id": par, "le": le} for s, par, le in historique]
            associations_c += [{"dossier_id": dossier.id, "commune_code": c} for c in communes]
            associations_m += [{"dossier_id": dossier.id, "mission_id": m} for m in campagne["missions"]]
        ids = db.session.scalars(insert(Fichier).returning(Fichier.id, sort_by_parameter_order=True), fichiers).all()
        for piece, fichier_id in zip(pieces, ids, strict=True):
            piece["fichier_id"] = fichier_id
        db.session.execute(insert(Piece), pieces)
        db.session.execute(insert(LigneBudget), lignes)
        db.session.execute(insert(VolumeActivite), volumes)
        db.session.execute(insert(ChangementStatut), historiques)
        db.session.execute(insert(dossiers_communes), associations_c)
        db.session.execute(insert(dossiers_missions), associations_m)
        depots = []
        # Le contenu du formulaire, tel que le produit le fige, lu des lignes insérées : un dossier en compléments
        # compare ce qui a changé depuis son dépôt.
        deposes = [d.id for d, *_ in crees if d.depose_le is not None]
        formulaires = {
            d.id: contenu_du_formulaire(d)
            for d in db.session.scalars(
                select(Dossier)
                .where(Dossier.id.in_(deposes))
                .options(
                    selectinload(Dossier.communes),
                    selectinload(Dossier.missions),
                    selectinload(Dossier.volumes),
                    selectinload(Dossier.lignes_budget),
                )
                .execution_options(populate_existing=True)
            )
        }
        pieces_deposees = {}
        for piece, fichier in zip(pieces, fichiers, strict=True):
            if piece["remplacee_le"] is None:
                pieces_deposees.setdefault(piece["dossier_id"], []).append(
                    {
                        "code": piece["code"],
                        "libelle": piece["libelle"],
                        "nom": fichier["nom"],
                        "taille": fichier["taille"],
                        "sha256": fichier["sha256"],
                        "fichier": piece["fichier_id"],
                    }
                )
        for dossier, _, campagne, _, structure, _, _, _ in crees:
            if dossier.depose_le is None:
                continue
            # L'instantané du dépôt : ce que le produit relit (profil de la structure, formulaire), en JSON canonique.
            texte = canonique(
                {
                    "numero": dossier.numero,
                    "rang": 1,
                    "depose_le": dossier.depose_le,
                    "campagne": {"id": campagne["id"], "annee": campagne["annee"]},
                    "structure": {"id": structure["id"], "siret": structure["siret"], **structure["profil"]},
                    **formulaires[dossier.id],
                    "pieces": pieces_deposees.get(dossier.id, []),
                }
            )
            depots.append(
                {
                    "dossier_id": dossier.id,
                    "rang": 1,
                    "depose_le": dossier.depose_le,
                    "depose_par_id": structure["porteur"],
                    "instantane": texte,
                    "empreinte": hashlib.sha256(texte.encode()).hexdigest(),
                }
            )
        if depots:
            db.session.execute(insert(Depot), depots)
        for dossier, _, _, indice_seance, *_ in crees:
            if indice_seance is not None:
                service["dossiers_par_seance"][indice_seance].append(
                    (dossier.id, dossier.montant_demande, dossier.etp_facilitateur)
                )
        self.compter("dossiers", len(crees))
        self.compter("lignes_budget", len(lignes))
        self.compter("pieces", len(pieces))
        if not self.manifeste.get("dossier") and service is self.services[0]:
            self.manifeste["dossier"] = next(d.id for d, *_ in crees if d.statut == "recevable")
        db.session.commit()
        db.session.expunge_all()

    def fichier(self, code, service_id, par_id, instant):
        """The row of a stored file (a dict for a grouped insert), its bytes hard-linked from the model file."""
        relatif_modele, contenu, sha = self.modeles[code]
        self.n_fichiers += 1
        relatif = f"banc/{self.n_fichiers // 1000:04d}/{self.n_fichiers}.pdf"
        if self.local:
            cible = self.stockage.chemin_local(relatif)
            if self.n_fichiers % 1000 == 0 or self.n_fichiers == 1:
                cible.parent.mkdir(parents=True, exist_ok=True)
            os.link(self.stockage.chemin_local(relatif_modele), cible)
        else:
            self.stockage.ecrire(relatif, contenu)
        return {
            "service_id": service_id,
            "nom": f"{code}.pdf",
            "extension": "pdf",
            "type_mime": "application/pdf",
            "taille": len(contenu),
            "sha256": sha,
            "chemin": relatif,
            "alerte": "",
            "depose_par_id": par_id,
            "depose_le": instant,
        }

    # --- Séances ------------------------------------------------------------------------------------------------

    def seances(self):
        for rang, service in enumerate(self.services):
            for indice, (indice_campagne, phase, _) in enumerate(self._plan_seances(rang)):
                self._seance(service, indice, service["campagnes"][indice_campagne], phase, indice + 1)

    def _seance(self, service, indice, campagne, phase, trimestre):
        from candidatures.models import ChangementStatut, Dossier
        from notation.models import Decision, Declaration, FeuilleNotation, MembreSeance, Note, PointOrdreDuJour, Seance

        db, rng = self.db, self.rng
        dossiers = service["dossiers_par_seance"][indice]
        membres = service["membres"]
        if phase == "close":
            tenue_le = min(campagne["cloture_le"] + timedelta(days=20 + 10 * indice), self.instant - timedelta(days=5))
        elif phase == "deliberation":
            tenue_le = self.instant - timedelta(hours=2)
        else:
            tenue_le = self.instant + timedelta(days=10)
        seance = Seance(
            campagne_id=campagne["id"],
            service_id=service["id"],
            tenue_le=tenue_le,
            lieu="Salle du conseil, préfecture",
            annee=tenue_le.year,
            trimestre=min(4, trimestre),
            phase=phase,
            president_id=membres[0],
            cree_par_id=service["agent"],
            notation_ouverte_le=tenue_le - timedelta(days=20),
            deliberation_le=tenue_le if phase in ("deliberation", "close") else None,
            close_le=tenue_le + timedelta(hours=3) if phase == "close" else None,
            close_par_id=membres[0] if phase == "close" else None,
        )
        seance.membres = [MembreSeance(utilisateur_id=m, ajoute_le=tenue_le - timedelta(days=30)) for m in membres]
        seance.ordre_du_jour = [
            PointOrdreDuJour(dossier_id=d, rang=i + 1, inscrit_le=tenue_le - timedelta(days=25), inscrit_par_id=service["agent"])
            for i, (d, _, _) in enumerate(dossiers)
        ]
        db.session.add(seance)
        db.session.flush()
        criteres = campagne["criteres"]
        soumise_le = tenue_le - timedelta(days=2)
        declarations, feuilles, qualites, decisions, historiques, issues = [], [], [], [], [], {}
        membre_du_banc = membres[1]
        for rang_dossier, (dossier_id, montant, etp) in enumerate(dossiers):
            for membre in membres:
                conflit = rng.random() < 0.01 and membre not in (membre_du_banc, membres[0])
                declarations.append(
                    {
                        "seance_id": seance.id,
                        "dossier_id": dossier_id,
                        "membre_id": membre,
                        "conflit": conflit,
                        "nature": "Administrateur de la structure" if conflit else "",
                        "declaree_le": soumise_le,
                    }
                )
                if conflit:
                    continue
                # En notation, le membre que le banc connecte n'a soumis que la moitié de ses feuilles.
                brouillon = phase == "notation" and membre == membre_du_banc and rang_dossier % 2 == 1
                feuilles.append(
                    {
                        "seance_id": seance.id,
                        "dossier_id": dossier_id,
                        "membre_id": membre,
                        "avis": rng.choice(("favorable", "favorable", "reserve", "defavorable")),
                        "commentaire": "Projet solide, territoire bien décrit." if rng.random() < 0.3 else "",
                        "creee_le": soumise_le - timedelta(days=3),
                        "modifiee_le": soumise_le,
                        "soumise_le": None if brouillon else soumise_le,
                    }
                )
                qualites.append(rng.uniform(0.4, 0.95))
            if phase == "close" or (phase == "deliberation" and rang_dossier % 2 == 0):
                tirage = rng.random()
                nature = "retenu" if tirage < 0.65 else ("rejete" if tirage < 0.9 else "ajourne")
                decisions.append(
                    {
                        "seance_id": seance.id,
                        "dossier_id": dossier_id,
                        "nature": nature,
                        "montant_accorde": montant if nature == "retenu" else None,
                        "etp_facilitateur": etp if nature == "retenu" else Decimal("0"),
                        "etp_coordinateur": Decimal("0"),
                        "conditions": "",
                        "motif": "" if nature == "retenu" else "Classement insuffisant au regard des crédits disponibles.",
                        "decide_le": tenue_le + timedelta(hours=1),
                        "decide_par_id": membres[0],
                        "notifie_le": tenue_le + timedelta(hours=3) if phase == "close" else None,
                    }
                )
                if phase == "close":
                    historiques.append(
                        {"dossier_id": dossier_id, "statut": nature, "par_id": membres[0], "le": tenue_le + timedelta(hours=3)}
                    )
                    issues.setdefault(nature, []).append(dossier_id)
        db.session.execute(insert(Declaration), declarations)
        ids = db.session.scalars(
            insert(FeuilleNotation).returning(FeuilleNotation.id, sort_by_parameter_order=True), feuilles
        ).all()
        notes = [
            {
                "feuille_id": feuille_id,
                "critere_id": critere_id,
                "maximum": Decimal(maximum),
                "commentaire": "",
                "points": Decimal(round(maximum * 2 * min(1.0, max(0.0, rng.gauss(qualite, 0.1))))) / 2,
            }
            for feuille_id, qualite in zip(ids, qualites, strict=True)
            for critere_id, _, maximum in criteres
        ]
        for debut in range(0, len(notes), 20_000):
            db.session.execute(insert(Note), notes[debut : debut + 20_000])
        if decisions:
            db.session.execute(insert(Decision), decisions)
        if historiques:
            db.session.execute(insert(ChangementStatut), historiques)
        for nature, dossier_ids in issues.items():
            db.session.execute(
                update(Dossier).where(Dossier.id.in_(dossier_ids)).values(statut=nature, version=Dossier.version + 1)
            )
        db.session.commit()
        self.compter("feuilles", len(feuilles))
        self.compter("notes", len(notes))
        self.compter("declarations", len(declarations))
        self.compter("decisions", len(decisions))
        if indice == 0 and service is self.services[0]:
            self.manifeste["seance_classement"] = seance.id
        if phase == "notation" and service is self.services[0]:
            self.manifeste["seance_notation"] = seance.id
            self.manifeste["dossier_notation"] = dossiers[1][0]
            self.manifeste["membre"] = f"copil1.{service['code'].lower()}@banc.exemple.fr"
        self.compter("seances")
        db.session.expunge_all()

    # --- Conventions ---------------------------------------------------------------------------------------------

    def conventions(self):
        """The conventions of retenu, notified decisions (the 'close' sessions'), each lived up to today."""
        from aap.models import Compteur
        from bench.vie_conventions import Vie
        from conventions.regles import jour_local

        decisions = self._decisions_retenues()
        cible = self.echelle.conventions
        if len(decisions) > cible:
            decisions = sorted(self.rng.sample(decisions, cible), key=lambda d: d["id"])
        numeros = {}
        for service in self.services:
            fuseau = FUSEAUX.get(service["code"], "Europe/Paris")
            vie = Vie(self.rng, service, fuseau, jour_local(self.instant, fuseau), self.fichier)
            annees = {c["id"]: c["annee"] for c in service["campagnes"]}
            crees = []
            for decision in (d for d in decisions if d["service_id"] == service["id"]):
                cle = f"convention:{service['code']}:{annees[decision['campagne_id']]}"
                numeros[cle] = numeros.get(cle, 0) + 1
                numero = f"CONV-{annees[decision['campagne_id']]}-{service['code']}-{numeros[cle]:04d}"
                crees.append(vie.vivre(decision, numero))
            for debut in range(0, len(crees), LOT):
                self._inserer_conventions(crees[debut : debut + LOT])
            if service is self.services[0] and crees:
                # La page la plus chargée : le plus d'années, puis de dépôts de bilans.
                self.manifeste["convention"] = max(crees, key=_poids_convention)["id"]
        # Les numéros suivants, s'ils sont créés par l'application, continuent la série.
        self.db.session.add_all([Compteur(cle=cle, valeur=valeur) for cle, valeur in numeros.items()])
        self.db.session.commit()
        manque = (
            f" sur {cible} visées : il n'y a que {len(decisions)} décisions retenues notifiées" if len(decisions) < cible else ""
        )
        self.dire(f"  conventions : {len(decisions)}{manque} ; {self._stades_conventions()}")

    def _decisions_retenues(self):
        from candidatures.models import Dossier, VolumeActivite
        from notation.models import Decision

        retenues = (Decision.nature == "retenu", Decision.notifie_le.is_not(None))
        volumes = {
            dossier_id: (heures, marches)
            for dossier_id, heures, marches in self.db.session.execute(
                select(
                    VolumeActivite.dossier_id, func.sum(VolumeActivite.heures_insertion), func.sum(VolumeActivite.nombre_marches)
                )
                .where(VolumeActivite.dossier_id.in_(select(Decision.dossier_id).where(*retenues)))
                .group_by(VolumeActivite.dossier_id)
            )
        }
        porteurs = {s["id"]: s["porteur"] for service in self.services for s in service["structures"]}
        lignes = self.db.session.execute(
            select(
                Decision.id,
                Decision.dossier_id,
                Decision.montant_accorde.label("montant"),
                Decision.etp_facilitateur,
                Decision.etp_coordinateur,
                Decision.notifie_le,
                Dossier.service_id,
                Dossier.campagne_id,
                Dossier.structure_id,
            )
            .join(Dossier, Dossier.id == Decision.dossier_id)
            .where(*retenues)
            .order_by(Decision.id)
        ).mappings()
        return [
            dict(
                ligne,
                porteur=porteurs[ligne["structure_id"]],
                heures=volumes[ligne["dossier_id"]][0],
                marches=volumes[ligne["dossier_id"]][1],
            )
            for ligne in lignes
        ]

    def _inserer(self, modele, lignes):
        """Ids of the rows inserted, in order."""
        if not lignes:
            return []
        return self.db.session.scalars(insert(modele).returning(modele.id, sort_by_parameter_order=True), lignes).all()

    def _inserer_conventions(self, conventions):
        from aap.fichiers import Fichier
        from bench.vie_conventions import instantane
        from conventions.models import AnneeConvention, Bilan, Convention, Objectif, Reversement, Versement

        annees = [a for c in conventions for a in c["annees"]]
        bilans = [b for a in annees for b in a["bilans"]]
        fichiers = [(a["ligne"], "scan_id", a["scan"]) for a in annees if a["scan"]]
        fichiers += [(b, "crf_id", b["crf"]) for b in bilans if b["crf"]]
        for (cible, cle, _), ident in zip(fichiers, self._inserer(Fichier, [f for *_, f in fichiers]), strict=True):
            cible[cle] = ident
        for convention, ident in zip(conventions, self._inserer(Convention, [c["ligne"] for c in conventions]), strict=True):
            convention["id"] = ident
            for annee in convention["annees"]:
                annee["ligne"]["convention_id"] = ident
        objectifs, versements, reversements = [], [], []
        for annee, ident in zip(annees, self._inserer(AnneeConvention, [a["ligne"] for a in annees]), strict=True):
            liens = {"annee_id": ident, "convention_id": annee["ligne"]["convention_id"]}
            objectifs += [
                {"annee_id": ident, "poste": cle.split(".")[0], "code": cle.split(".")[1], "cible": v}
                for cle, v in annee["cibles"].items()
            ]
            versements += [v | liens for v in annee["versements"]]
            reversements += [annee["reversement"] | liens] if annee["reversement"] else []
            for bilan in annee["bilans"]:
                bilan["ligne"] |= liens
        self.db.session.execute(insert(Objectif), objectifs)
        self.db.session.execute(insert(Versement), versements)
        if reversements:
            self.db.session.execute(insert(Reversement), reversements)
        self._inserer_bilans(bilans, self._inserer(Bilan, [b["ligne"] for b in bilans]), instantane)
        self.db.session.commit()
        self.compter("conventions", len(conventions))
        self.compter("annees_convention", len(annees))
        self.compter("versements", len(versements))
        self.compter("bilans", len(bilans))
        self.db.session.expunge_all()

    def _inserer_bilans(self, bilans, ids, instantane):
        from conventions.models import PieceBilan, ValeurBilan, VersionBilan

        valeurs, versions, pieces = [], [], []
        for bilan, ident in zip(bilans, ids, strict=True):
            for cle, v in bilan["valeurs"].items():
                texte = isinstance(v, str)
                poste, code = cle.split(".", 1)
                valeurs.append(
                    {"bilan_id": ident, "poste": poste, "code": code, "nombre": None if texte else v, "texte": v if texte else ""}
                )
            if bilan["versions"]:
                texte, empreinte = instantane(ident, bilan)
                versions += [v | {"bilan_id": ident, "instantane": texte, "empreinte": empreinte} for v in bilan["versions"]]
            if bilan["crf"]:
                crf = bilan["crf"]
                pieces.append(
                    {
                        "bilan_id": ident,
                        "nature": "compte_rendu_financier",
                        "libelle": "",
                        "fichier_id": bilan["crf_id"],
                        "ajoutee_le": crf["depose_le"],
                        "ajoutee_par_id": crf["depose_par_id"],
                        "retiree_le": None,
                    }
                )
        for modele, lignes in ((ValeurBilan, valeurs), (VersionBilan, versions), (PieceBilan, pieces)):
            if lignes:
                self.db.session.execute(insert(modele), lignes)
        self.compter("valeurs_bilan", len(valeurs))

    def _stades_conventions(self):
        from conventions.models import AnneeConvention, Bilan, Convention, Versement

        db = self.db
        statuts = dict(db.session.execute(select(Convention.statut, func.count()).group_by(Convention.statut)).all())
        versements = dict(db.session.execute(select(Versement.etat, func.count()).group_by(Versement.etat)).all())
        bilans = dict(db.session.execute(select(Bilan.statut, func.count()).group_by(Bilan.statut)).all())
        avenants = db.session.scalar(select(func.count()).where(AnneeConvention.rang > 1))
        return f"statuts {statuts}, {avenants} avenants, versements {versements}, bilans {bilans}"

    # --- Tout ---------------------------------------------------------------------------------------------------

    def jeton_api(self):
        from aap.models import Utilisateur
        from aap.operations import creer_jeton_api

        agent = self.db.session.scalar(select(Utilisateur).where(Utilisateur.email == self.manifeste["agent"]))
        clair, _ = creer_jeton_api(agent, "banc d'essai")
        self.db.session.commit()
        self.manifeste["jeton_agent"] = clair

    def tout(self):
        debut = time.perf_counter()
        etapes = [
            ("services, comptes, campagnes, structures", self.socle),
            ("fichiers modèles", self.modeles_de_pieces),
            ("dossiers", self.dossiers),
            ("séances et notes", self.seances),
            ("conventions", self.conventions),
            ("jeton d'API", self.jeton_api),
        ]
        for nom, etape in etapes:
            t = time.perf_counter()
            etape()
            self.dire(f"{nom} : {time.perf_counter() - t:.1f} s")
        duree = time.perf_counter() - debut
        self.manifeste["generation_s"] = round(duree, 1)
        self.manifeste["totaux"] = self.totaux
        self.dire(f"Génération ({self.nom_echelle}) : {duree:.1f} s — {self.totaux}")
        return self.manifeste


def _poids_convention(convention):
    annees = convention["annees"]
    return len(annees), sum(len(b["versions"]) for a in annees for b in a["bilans"])


def base_vide(db):
    from candidatures.models import Dossier

    return db.session.scalar(select(func.count()).select_from(Dossier)) == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Génère le jeu de données du banc d'essai.")
    parser.add_argument("--echelle", choices=list(ECHELLES), default="national")
    parser.add_argument("--base", required=True, help="URL SQLAlchemy d'une base migrée et vide")
    parser.add_argument("--fichiers", required=True, help="répertoire des fichiers stockés")
    parser.add_argument("--manifeste", required=True, help="où écrire le manifeste (JSON)")
    parser.add_argument("--graine", type=int, default=2022)
    args = parser.parse_args(argv)
    os.environ.setdefault("AAP_ENV", "production")
    os.environ.setdefault("SECRET_KEY", "banc-d-essai")
    os.environ.setdefault("URL_PUBLIQUE", "http://127.0.0.1")

    from aap import create_app
    from aap.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.base, "FICHIERS_DIR": args.fichiers, "COURRIEL_TRANSPORT": "console"})
    with app.app_context():
        # Génération seulement : pas d'attente du disque à chaque validation (un échec se rejoue de zéro).
        sqlite = db.engine.dialect.name == "sqlite"
        event.listen(
            db.engine,
            "connect",
            lambda connexion, _: connexion.cursor().execute("PRAGMA synchronous=OFF" if sqlite else "SET synchronous_commit=off"),
        )
        db.engine.dispose()
        if not base_vide(db):
            parser.error("la base contient déjà des dossiers : partez d'une base migrée et vide")
        manifeste = Generateur(args.echelle, args.graine).tout()
    Path(args.manifeste).parent.mkdir(parents=True, exist_ok=True)
    Path(args.manifeste).write_text(json.dumps(manifeste, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
