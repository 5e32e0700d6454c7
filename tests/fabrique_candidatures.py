"""Factories of the candidatures domain, mixed into `tests.factories.Fabrique`.

`fab.dossier(statut="recevable")` builds a complete, realistic dossier (posts, territory, strategy,
volumes, a balanced 3-year budget at 70 %, every required piece as a real PDF, engagements) and walks
it through the real operations up to the status asked: filing (snapshot, number), completeness
decisions. Other domains build on it:

    dossier = fab.dossier(statut="recevable", etp_facilitateur=Decimal("1.5"))
    dossier = fab.dossier(statut="depose", campagne=fab.campagne(etat="cloturee"), structure=ma_structure)
"""

import json
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from aap.models import Commune, Epci
from aap.pdf import pdf_minimal
from aap.types import maintenant
from candidatures import depots, instruction, operations, structures
from candidatures.models import ChangementStatut, Statut
from candidatures.synthese import pieces_exigees

COMMUNES_PAR_DEFAUT = ("97611", "97607")  # Mamoudzou, Dembeni
# Où sont les structures de chaque service des tests : (code postal, commune, communes du projet, département).
LOCALITES = {
    "976": ("97600", "97611", COMMUNES_PAR_DEFAUT, "Conseil départemental de Mayotte"),
    "974": ("97400", "97411", ("97411", "97415"), "Conseil départemental de La Réunion"),  # Saint-Denis, Saint-Paul
}

# Budget d'un ETP (année 1, 2, 3) : équilibré, État à 70 % exactement.
BUDGET_UN_ETP = {
    "salaires": ("Facilitateur à temps plein, charges comprises", ("42000", "42800", "43600")),
    "fonctionnement": ("Quote-part des locaux, poste informatique", ("6000", "6100", "6200")),
    "deplacements": ("Déplacements sur les chantiers, Petite-Terre", ("2000", "2100", "2200")),
    "etat_aap": ("", ("35000", "35700", "36400")),
    "collectivites": ("Conseil départemental de Mayotte", ("10000", "10200", "10400")),
    "fonds_propres": ("", ("5000", "5100", "5200")),
}
VOLUMES = {"marches_etat": (4, 3500), "npnru": (2, 2000), "marches_locaux": (6, 4200), "marches_prives": (1, 300)}


@cache
def _referentiel(dossier_donnees, departement):
    """A département's communes and EPCI from the npm package, read once per test process."""
    racine = Path(dossier_donnees)
    communes = [
        c
        for c in json.loads((racine / "communes.json").read_text(encoding="utf-8"))
        if c.get("departement") == departement and c.get("type") == "commune-actuelle"
    ]
    codes = {c["code"] for c in communes}
    epci = [
        (e["code"], e["nom"], [m["code"] for m in e["membres"] if m["code"] in codes])
        for e in json.loads((racine / "epci.json").read_text(encoding="utf-8"))
        if any(m["code"] in codes for m in e.get("membres", []))
    ]
    lignes = tuple((c["code"], c["nom"], " ".join(c.get("codesPostaux", [])), c.get("population")) for c in communes)
    return lignes, tuple((code, nom, tuple(membres)) for code, nom, membres in epci)


def budget_pour(etp_total, taux=None):
    """The default budget scaled to `etp_total`; `taux` moves the State's share (co-financing follows)."""
    budget = {}
    for categorie, (precision, montants) in BUDGET_UN_ETP.items():
        budget[categorie] = (precision, tuple((Decimal(m) * etp_total).quantize(Decimal("0.01")) for m in montants))
    if taux is not None:
        charges = [sum(budget[c][1][i] for c in ("salaires", "fonctionnement", "deplacements")) for i in range(3)]
        etat = tuple((c * taux).quantize(Decimal("0.01")) for c in charges)
        fonds_propres = budget["fonds_propres"][1]
        collectivites = tuple(c - e - f for c, e, f in zip(charges, etat, fonds_propres, strict=True))
        budget["etat_aap"] = ("", etat)
        budget["collectivites"] = ("Conseil départemental de Mayotte", collectivites)
    return budget


class FabriqueCandidatures:
    def communes(self, departement="976"):
        """Loads a département's communes and EPCI (real data from @etalab/decoupage-administratif): Mayotte's
        17 communes and 5 EPCI by default, La Réunion's 24 and 5 with "974"."""
        if self.session.scalar(select(Commune.code).where(Commune.departement == departement).limit(1)) is not None:
            return
        communes, epci = _referentiel(current_app.config["REFERENTIEL_DIR"], departement)
        membre_de = {}
        for code, nom, membres in epci:
            self.session.add(Epci(code=code, nom=nom, departement=departement))
            membre_de.update({m: code for m in membres})
        self.session.flush()
        for code, nom, postaux, population in communes:
            self.session.add(
                Commune(
                    code=code,
                    nom=nom,
                    departement=departement,
                    codes_postaux=postaux,
                    population=population,
                    epci_code=membre_de.get(code),
                )
            )
        self.session.flush()

    def structure_complete(self, service=None, emergente=False, statut_juridique="association", **champs):
        """A structure whose profile is complete (address, representative, existing posts and their financing), in
        its service's territory."""
        service = service or self.service()
        code_postal, commune, _, financeur = LOCALITES.get(service.code, LOCALITES["976"])
        self.communes(service.codes_departements[0])
        valeurs = {
            "adresse": "12 rue du Commerce",
            "code_postal": code_postal,
            "commune_code": commune,
            "representant_nom": "Ahmed Ali",
            "representant_qualite": "Président",
            "contact_nom": "Fatima Saïd",
            "contact_courriel": "",
            "contact_telephone": "0269 61 00 00",
            "emergente": emergente,
            "statut_juridique": statut_juridique,
        }
        # Annexe 2 : chaque candidat présente l'état de financement de ses ETP existants (aucun s'il est émergent).
        valeurs["annee_financements"] = maintenant().year
        if not emergente:
            valeurs["etp_facilitateurs_existants"] = Decimal("1.0")
        sans_financement = champs.pop("sans_financement", False)
        structure = self.structure(service=service, **(valeurs | champs))
        if not emergente and not sans_financement:
            from candidatures.models import FinancementExistant

            self.session.add(
                FinancementExistant(
                    structure_id=structure.id,
                    poste="facilitateur",
                    financeur="collectivites",
                    nom_financeur=financeur,
                    montant_annee_precedente=Decimal("18000.00"),
                    montant_annee_courante=Decimal("18000.00"),
                )
            )
            self.session.flush()
            self.session.expire(structure, ["financements"])
        return structure

    def campagne_ouverte(self, service):
        """The service's open campaign, created once (numbers run per service and year)."""
        from aap.models import Campagne

        instant = maintenant()
        campagne = self.session.scalar(
            select(Campagne)
            .where(Campagne.service_id == service.id, Campagne.ouverture_le <= instant, Campagne.cloture_le > instant)
            .order_by(Campagne.id)
            .limit(1)
        )
        return campagne or self.campagne(service=service)

    def porteur_de(self, structure):
        membre = next((m for m in structure.membres if m.rattachement_valide and m.actif), None)
        if membre is None:
            membre = self.utilisateur("porteur", structure=structure)
            self.session.expire(structure, ["membres"])
        return membre

    def agent_de(self, service):
        from aap.models import Utilisateur

        agent = self.session.scalar(
            select(Utilisateur).where(Utilisateur.role == "agent", Utilisateur.service_id == service.id).limit(1)
        )
        return agent or self.utilisateur("agent", service=service)

    def piece(self, dossier, code="autre", contenu=None, nom=None, libelle="", par=None):
        """Adds a real file as a piece of `dossier` through the operation (replacing one of the same code)."""
        par = par or self.porteur_de(dossier.structure)
        contenu = contenu or pdf_minimal(f"{code} - {dossier.structure.raison_sociale}", f"Dossier {dossier.id}")
        piece = operations.ajouter_piece(
            dossier,
            code,
            (nom or f"{code}.pdf", contenu),
            par=par,
            libelle=libelle or ("Document complémentaire" if code == "autre" else ""),
        )
        self.session.flush()
        return piece

    def document(self, structure, type_="comptes_annuels", annee=None, par=None):
        par = par or self.porteur_de(structure)
        return structures.ajouter_document(
            structure,
            par=par,
            type_=type_,
            annee=annee or maintenant().year - 1,
            televersement=(f"{type_}.pdf", pdf_minimal(type_, structure.raison_sociale)),
        )

    def dossier(
        self,
        statut="brouillon",
        campagne=None,
        structure=None,
        porteur=None,
        complet=True,
        etp_facilitateur=Decimal("1.0"),
        etp_coordinateur=Decimal("0"),
        budget=None,
        communes=None,
        zone_blanche=False,
        accuse=False,
        depose_le=None,
        titre=None,
        **champs,
    ):
        """A complete dossier (or a bare draft with `complet=False`) brought to `statut` by the real operations.

        `accuse=True` also renders the receipt PDF and queues its emails at filing (slower).
        """
        statut = Statut(statut)
        if campagne is None:
            campagne = self.campagne_ouverte(structure.service if structure is not None else self.service())
        communes = communes or LOCALITES.get(campagne.service.code, LOCALITES["976"])[2]
        self.communes(campagne.service.codes_departements[0])
        structure = structure or self.structure_complete(service=campagne.service)
        porteur = porteur or self.porteur_de(structure)
        depose_le = depose_le or min(maintenant(), campagne.cloture_le) - timedelta(minutes=5)
        dossier = operations.creer_dossier(
            campagne,
            structure,
            par=porteur,
            titre=titre or f"Facilitation de la clause sociale — {structure}",
            instant=min(depose_le, campagne.cloture_le) - timedelta(days=1),
        )
        if complet:
            etp_total = etp_facilitateur + etp_coordinateur
            demandes = {"facilitateur": etp_facilitateur > 0, "coordinateur": etp_coordinateur > 0}
            missions = [
                m.id for poste in demandes if demandes[poste] for m in [m for m in campagne.missions if m.poste == poste][:2]
            ]
            valeurs = {
                "etp_facilitateur": etp_facilitateur,
                "etp_coordinateur": etp_coordinateur,
                "communes": list(communes),
                "zone_blanche": zone_blanche,
                "zone_blanche_justification": "Centre et sud de l'île : aucun facilitateur présent." if zone_blanche else "",
                "diagnostic": "Mamoudzou et Dembeni concentrent les chantiers NPNRU (Kawéni) et les marchés de l'État "
                "(caserne, lycée) ; 2 300 demandeurs d'emploi de longue durée sur le territoire.",
                "objectifs": "Accompagner 13 marchés et générer 10 000 heures d'insertion par an.",
                "strategie": "Rencontrer chaque acheteur public en amont, calibrer les clauses avec les SIAE, "
                "suivre les entreprises titulaires et les parcours des bénéficiaires avec France Travail.",
                "missions": missions,
                "volumes": VOLUMES,
                "calendrier": "Recrutement en janvier, premiers marchés accompagnés au deuxième trimestre.",
                "budget": budget or budget_pour(etp_total),
                "engagement_non_baisse": True,
                "declaration_honneur": True,
                "signataire_nom": structure.representant_nom or "Ahmed Ali",
                "signataire_qualite": structure.representant_qualite or "Président",
            } | champs
            operations.modifier(dossier, valeurs, par=porteur)
            fournies = {p.code for p in dossier.pieces_courantes}
            for piece in pieces_exigees(dossier):
                if piece.code not in fournies:
                    self.piece(dossier, piece.code, par=porteur)
        if statut == Statut.BROUILLON:
            return dossier
        depots.deposer(dossier, par=porteur, instant=depose_le, accuse=accuse)
        agent = self.agent_de(campagne.service)
        if statut == Statut.COMPLEMENTS_DEMANDES:
            instruction.demander_complements(
                dossier,
                par=agent,
                rubriques=["budget"],
                pieces=["comptes_annuels"],
                date_limite=maintenant().date() + timedelta(days=15),
                message="Merci de joindre les comptes 2023.",
            )
        elif statut == Statut.IRRECEVABLE:
            instruction.declarer_irrecevable(dossier, par=agent, motif="Pièces manquantes malgré la relance.")
        elif statut in (Statut.RECEVABLE, Statut.RETENU, Statut.AJOURNE, Statut.REJETE):
            instruction.declarer_recevable(dossier, par=agent, le=depose_le.astimezone(ZoneInfo(campagne.service.fuseau)).date())
            if structure.emergente:
                instruction.enregistrer_avis_ctn(dossier, par=agent, avis="favorable", le=maintenant().date())
            if statut != Statut.RECEVABLE:
                # Issues du COPIL : le domaine notation les décide ; ici, seulement l'état.
                dossier.statut = str(statut)
                self.session.add(ChangementStatut(dossier=dossier, statut=str(statut), par_id=agent.id))
        self.session.flush()
        return dossier
