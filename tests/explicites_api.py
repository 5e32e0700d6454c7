"""Which role may act on which API operation (REACH), and for each pair a request that the world lets succeed,
built just before it is sent: objects of the demo world, or made by the factories in the state the operation
needs (a complete draft to file, a deposited report to approve…). The API fuzz test sends these through
schemathesis, with all of its checks, wherever its generated requests found no 2xx for that pair."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from aap.extensions import db
from aap.models import Campagne, Utilisateur
from aap.pdf import pdf_minimal
from aap.types import maintenant
from candidatures.models import Dossier, Statut
from conventions import bilans, lecture, operations, regles
from conventions.models import Bilan, Convention, EtatVersement, StatutBilan, StatutConvention, TypeBilan
from notation.models import Phase, Seance

from . import contenus
from .fabrique_conventions import valeurs_bilan

LECTEURS = {"agent", "admin", "national"}
GESTION = {"agent", "admin"}
DU_DOSSIER = {"porteur"} | LECTEURS
DE_LA_SEANCE = {"copil"} | LECTEURS
TOUS = {"porteur", "copil"} | LECTEURS

# Rôles autorisés par opération (operationId) : chacun doit y obtenir un 2xx au moins une fois.
REACH = {
    "socle_moi": TOUS,
    "socle_journal": LECTEURS,
    "candidatures_campagnes": TOUS,
    "candidatures_campagne": TOUS,
    "candidatures_structure": DU_DOSSIER,
    "candidatures_modifier_structure": {"porteur"},
    "candidatures_dossiers": DU_DOSSIER,
    "candidatures_creer_dossier": {"porteur"},
    "candidatures_dossier": DU_DOSSIER,
    "candidatures_modifier_dossier": {"porteur"},
    "candidatures_budget": DU_DOSSIER,
    "candidatures_remplacer_budget": {"porteur"},
    "candidatures_controles": DU_DOSSIER,
    "candidatures_historique": DU_DOSSIER,
    "candidatures_pieces": DU_DOSSIER,
    "candidatures_envoyer_piece": {"porteur"},
    "candidatures_retirer_piece": {"porteur"},
    "candidatures_fichier_piece": DU_DOSSIER,
    "candidatures_deposer": {"porteur"},
    "candidatures_depots": DU_DOSSIER,
    "candidatures_accuse": DU_DOSSIER,
    "candidatures_decider": GESTION,
    "candidatures_avis_ctn": GESTION,
    "notation_seances": DE_LA_SEANCE,
    "notation_creer_seance": GESTION,
    "notation_seance": DE_LA_SEANCE,
    "notation_phase": GESTION,
    "notation_ordre_du_jour": DE_LA_SEANCE,
    "notation_inscrire": GESTION,
    "notation_retirer": GESTION,
    "notation_ma_declaration": {"copil"},
    "notation_declarer": {"copil"},
    "notation_ma_feuille": {"copil"},
    "notation_enregistrer_feuille": {"copil"},
    "notation_soumettre_feuille": {"copil"},
    "notation_rouvrir": GESTION,  # le président de la séance, un agent ou un administrateur du service
    "notation_notes": DE_LA_SEANCE,
    "notation_classement": DE_LA_SEANCE,
    "notation_decisions": DE_LA_SEANCE,
    "notation_decider": GESTION,  # le président, en délibération
    "notation_documents": DE_LA_SEANCE,
    "notation_proces_verbal": DE_LA_SEANCE,
    "notation_classeur": LECTEURS,
    "notation_lettre": LECTEURS,
    "conventions_conventions": DU_DOSSIER,
    "conventions_creer": GESTION,
    "conventions_convention": DU_DOSSIER,
    "conventions_document": DU_DOSSIER,
    "conventions_signer": GESTION,
    "conventions_versements": DU_DOSSIER,
    "conventions_payer": GESTION,
    "conventions_annuler": GESTION,
    "conventions_ajuster": GESTION,
    "conventions_bilan": DU_DOSSIER,
    "conventions_enregistrer_bilan": {"porteur"},
    "conventions_joindre": {"porteur"},
    "conventions_deposer": {"porteur"},
    "conventions_approuver": GESTION,
    "conventions_corriger": GESTION,
    "conventions_renouvellement": LECTEURS,
    "conventions_renouveler": GESTION,
    "conventions_ne_pas_renouveler": GESTION,
    "conventions_tableau_de_bord": LECTEURS,
    "conventions_a_faire": DU_DOSSIER,
}

COMPTES = {
    "porteur": "porteur@exemple.fr",
    "copil": "copil@exemple.fr",
    "agent": "agent@exemple.fr",
    "admin": "admin@exemple.fr",
    "national": "national@exemple.fr",
}


@dataclass
class Requete:
    """What to send, and as whom (a demo account, or one the factories made for the occasion)."""

    utilisateur: Utilisateur
    chemin: dict = field(default_factory=dict)
    corps: object = None
    type_: str | None = None


def _un(requete):
    return db.session.scalars(requete).first()


class Explicites:
    """`requete(operation_id, role)` prepares the world and returns the request that must succeed."""

    def __init__(self, fab):
        self.fab = fab
        self.comptes = {role: _un(select(Utilisateur).where(Utilisateur.email == email)) for role, email in COMPTES.items()}
        porteur = self.comptes["porteur"]
        self.service = self.comptes["agent"].service
        self.campagne_ouverte = _un(
            select(Campagne).where(Campagne.service_id == self.service.id).order_by(Campagne.cloture_le.desc())
        )
        # Un dossier déposé de la structure du porteur de démonstration, avec ses dépôts et ses pièces.
        self.dossier = _un(
            select(Dossier)
            .where(Dossier.structure_id == porteur.structure_id, Dossier.statut == Statut.RETENU)
            .order_by(Dossier.id)
        )
        self.seance_close = _un(select(Seance).where(Seance.phase == Phase.CLOSE).order_by(Seance.id))
        # Une convention signée de la structure du porteur (celle que le fuzzing a pu clore reste lisible).
        self.convention = _un(
            select(Convention)
            .where(Convention.structure_id == porteur.structure_id, Convention.statut != StatutConvention.A_SIGNER)
            .order_by(Convention.id.desc())
        )

    # --- Identifiants du monde de démonstration, pour les lectures -----------------------------------------

    def _chemin(self, operation_id):
        dossier, seance, convention = self.dossier, self.seance_close, self.convention
        piece = next(p for p in dossier.pieces if p.en_vigueur)
        bilan = convention.annees[-1].bilans[0]
        valeurs = {
            "structure_id": dossier.structure_id,
            "campagne_id": self.campagne_ouverte.id,
            "dossier_id": dossier.id,
            "piece_id": piece.id,
            "rang": 1,
            "convention_id": convention.id,
            "bilan_id": bilan.id,
        }
        if operation_id.startswith("notation_"):
            valeurs |= {"seance_id": seance.id, "dossier_id": seance.ordre_du_jour[0].dossier_id}
        return valeurs

    def requete(self, operation, role):
        operation_id = operation.definition.raw["operationId"]
        preparer = getattr(self, operation_id, None)
        if preparer is not None:
            return preparer(role)
        noms = {p.name for p in operation.path_parameters}
        return Requete(self.comptes[role], {n: v for n, v in self._chemin(operation_id).items() if n in noms})

    # --- Candidatures --------------------------------------------------------------------------------------

    def candidatures_modifier_structure(self, role):
        porteur = self.comptes[role]
        return Requete(porteur, {"structure_id": porteur.structure_id}, corps={"contact_nom": "Nassur Attoumani"})

    def _porteur_neuf(self):
        structure = self.fab.structure_complete(service=self.service)
        return self.fab.porteur_de(structure)

    def candidatures_creer_dossier(self, role):
        return Requete(self._porteur_neuf(), corps={"campagne_id": self.campagne_ouverte.id, "titre": "Par l'API"})

    def _brouillon(self):
        porteur = self._porteur_neuf()
        dossier = self.fab.dossier(statut="brouillon", structure=porteur.structure, porteur=porteur)
        return porteur, dossier

    def candidatures_modifier_dossier(self, role):
        porteur, dossier = self._brouillon()
        return Requete(porteur, {"dossier_id": dossier.id}, corps={"version": dossier.version, "titre": "Titre revu"})

    def candidatures_remplacer_budget(self, role):
        porteur, dossier = self._brouillon()
        lignes = {"salaires": {"montants": ["42000", "42840.50", "43680.00"]}, "etat_aap": {"montants": ["29400", "0", "0"]}}
        return Requete(porteur, {"dossier_id": dossier.id}, corps={"version": dossier.version, "lignes": lignes})

    def candidatures_envoyer_piece(self, role):
        porteur, dossier = self._brouillon()
        corps = {"code": "autre", "libelle": "Lettre de soutien", "fichier": contenus.pdf("Lettre de soutien")}
        return Requete(porteur, {"dossier_id": dossier.id}, corps=corps, type_="multipart/form-data")

    def candidatures_retirer_piece(self, role):
        porteur, dossier = self._brouillon()
        piece = next(p for p in dossier.pieces if p.en_vigueur)
        return Requete(porteur, {"dossier_id": dossier.id, "piece_id": piece.id})

    def candidatures_deposer(self, role):
        porteur, dossier = self._brouillon()
        return Requete(porteur, {"dossier_id": dossier.id}, corps={"version": dossier.version})

    def candidatures_decider(self, role):
        dossier = self.fab.dossier(statut="depose", structure=self.fab.structure_complete(service=self.service))
        return Requete(self.comptes[role], {"dossier_id": dossier.id}, corps={"decision": "recevable"})

    def candidatures_avis_ctn(self, role):
        structure = self.fab.structure_complete(service=self.service, emergente=True)
        dossier = self.fab.dossier(statut="recevable", structure=structure)
        return Requete(self.comptes[role], {"dossier_id": dossier.id}, corps={"avis": "favorable", "commentaire": "Pertinent."})

    # --- Notation ------------------------------------------------------------------------------------------

    def _seance(self, role, phase, dossiers=1, membres=None):
        campagne = self.fab.campagne(service=self.service, etat="cloturee")
        president = self.comptes[role] if role in GESTION else self.comptes["agent"]
        return self.fab.seance(
            campagne=campagne,
            phase=phase,
            president=president,
            membres=membres or [president, self.comptes["copil"]],
            dossiers=dossiers,
        )

    def notation_creer_seance(self, role):
        tenue = (maintenant() + timedelta(days=10)).replace(microsecond=0).isoformat()
        corps = {
            "campagne_id": self.campagne_ouverte.id,
            "tenue_le": tenue,
            "lieu": "DEETS, Mamoudzou",
            "president_id": self.comptes[role].id,
            "membres": [self.comptes["copil"].id],
        }
        return Requete(self.comptes[role], corps=corps)

    def notation_phase(self, role):
        seance = self._seance(role, Phase.PREPARATION)
        return Requete(self.comptes[role], {"seance_id": seance.id}, corps={"phase": "notation"})

    def notation_inscrire(self, role):
        seance = self._seance(role, Phase.PREPARATION, dossiers=0)
        dossier = self.fab.dossier_pour_copil(campagne=seance.campagne)
        return Requete(self.comptes[role], {"seance_id": seance.id}, corps={"dossier_id": dossier.id})

    def notation_retirer(self, role):
        seance = self._seance(role, Phase.PREPARATION)
        return Requete(self.comptes[role], {"seance_id": seance.id, "dossier_id": seance.ordre_du_jour[0].dossier_id})

    def _point_a_noter(self, declarer=True):
        seance = self._seance("copil", Phase.NOTATION)
        dossier = db.session.get(Dossier, seance.ordre_du_jour[0].dossier_id)
        if declarer:
            self.fab.declaration(seance, dossier, self.comptes["copil"])
        return seance, dossier

    def notation_ma_declaration(self, role):
        seance, dossier = self._point_a_noter()
        return Requete(self.comptes[role], {"seance_id": seance.id, "dossier_id": dossier.id})

    notation_ma_feuille = notation_ma_declaration

    def notation_declarer(self, role):
        seance, dossier = self._point_a_noter(declarer=False)
        return Requete(self.comptes[role], {"seance_id": seance.id, "dossier_id": dossier.id}, corps={"conflit": False})

    def _notes(self, seance):
        return [
            {"critere": c.code, "points": str(Decimal(c.maximum) / 2), "commentaire": "Pertinent."}
            for c in seance.campagne.criteres
        ]

    def notation_enregistrer_feuille(self, role):
        seance, dossier = self._point_a_noter()
        corps = {"version": 0, "notes": self._notes(seance), "avis": "favorable", "commentaire": ""}
        return Requete(self.comptes[role], {"seance_id": seance.id, "dossier_id": dossier.id}, corps=corps)

    def notation_soumettre_feuille(self, role):
        seance, dossier = self._point_a_noter()
        feuille = self.fab.feuille(seance, dossier, self.comptes["copil"], soumise=False, declarer=False)
        return Requete(self.comptes[role], {"seance_id": seance.id, "dossier_id": dossier.id}, corps={"version": feuille.version})

    def notation_rouvrir(self, role):
        seance = self._seance(role, Phase.NOTATION)
        dossier = db.session.get(Dossier, seance.ordre_du_jour[0].dossier_id)
        copil = self.comptes["copil"]
        self.fab.feuille(seance, dossier, copil)
        chemin = {"seance_id": seance.id, "dossier_id": dossier.id, "membre_id": copil.id}
        return Requete(self.comptes[role], chemin, corps={"motif": "Une note à revoir."})

    def notation_decider(self, role):
        seance = self._seance(role, Phase.DELIBERATION)
        chemin = {"seance_id": seance.id, "dossier_id": seance.ordre_du_jour[0].dossier_id}
        return Requete(self.comptes[role], chemin, corps={"nature": "ajourne", "motif": "Budget à préciser."})

    # --- Conventions ---------------------------------------------------------------------------------------

    def _decision(self, **champs):
        return self.fab.decision(
            dossier=self.fab.dossier(statut="recevable", campagne=self.fab.campagne(service=self.service, etat="cloturee")),
            **champs,
        )

    def conventions_creer(self, role):
        decision = self._decision()
        objectifs = {
            cle: str(v)
            for cle, v in operations.objectifs_proposes(
                decision.dossier, decision.etp_facilitateur, decision.etp_coordinateur
            ).items()
        }
        debut = (maintenant() + timedelta(days=20)).date().isoformat()
        return Requete(self.comptes[role], corps={"decision_id": decision.id, "date_effet": debut, "objectifs": objectifs})

    def _convention(self, role, **etat):
        return self.fab.convention(decision=self._decision(), par=self.comptes[role], **etat)

    def _convention_d_un_an(self, role, **etat):
        """Notified more than a year ago: its first year has ended, each of its reports' windows is open."""
        decision = self._decision(notifie_le=maintenant() - timedelta(days=400))
        return self.fab.convention(decision=decision, par=self.comptes[role], **etat)

    def conventions_signer(self, role):
        convention = self._convention(role)
        corps = {"signee_le": lecture.aujourdhui(convention).isoformat(), "scan": pdf_minimal("Convention signée")}
        return Requete(self.comptes[role], {"convention_id": convention.id, "rang": 1}, corps=corps, type_="multipart/form-data")

    def conventions_payer(self, role):
        convention = self._convention(role, signee=True)
        avance = convention.premiere.avance
        corps = {"paye_le": lecture.aujourdhui(convention).isoformat(), "reference": "CHORUS-0001", "version": avance.version}
        return Requete(self.comptes[role], {"versement_id": avance.id}, corps=corps)

    def conventions_annuler(self, role):
        convention = self._convention(role)
        solde = next(v for v in convention.premiere.versements if v.etat == EtatVersement.PREVU and v.nature == "solde")
        return Requete(self.comptes[role], {"versement_id": solde.id}, corps={"motif": "Erreur de saisie."})

    def _annuel_approuve(self, role, compte_rendu=False):
        """A convention notified more than a year ago (its reports' windows are open), its annual report approved;
        with `compte_rendu`, its final account too, which makes its balance payable."""
        convention = self._convention_d_un_an(role, avance_payee=True)
        self.fab.bilan_depose(convention.premiere.bilan_annuel, approuve=True, agent=self.comptes[role])
        if compte_rendu:
            convention = lecture.charger(convention.id)
            self.fab.bilan_depose(convention.premiere.compte_rendu_financier, approuve=True, agent=self.comptes[role])
        return lecture.charger(convention.id)

    def conventions_ajuster(self, role):
        convention = self._annuel_approuve(role, compte_rendu=True)
        solde = next(v for v in convention.premiere.versements if v.nature == "solde")
        corps = {
            "montant": str((solde.montant / 2).quantize(regles.CENTIME)),
            "motif": "Dépenses en deçà.",
            "version": solde.version,
        }
        return Requete(self.comptes[role], {"versement_id": solde.id}, corps=corps)

    def _bilan_du_porteur(self):
        convention = self._convention_d_un_an("agent", signee=True)
        bilan = next(b for b in convention.premiere.bilans if b.type == TypeBilan.INTERMEDIAIRE)
        porteur = next(m for m in convention.structure.membres if m.role == "porteur")
        return porteur, bilan

    def conventions_enregistrer_bilan(self, role):
        porteur, bilan = self._bilan_du_porteur()
        valeurs = {cle: (None if v is None else str(v)) for cle, v in valeurs_bilan(bilan).items()}
        return Requete(porteur, {"bilan_id": bilan.id}, corps={"valeurs": valeurs, "version": bilan.version})

    def conventions_joindre(self, role):
        porteur, bilan = self._bilan_du_porteur()
        corps = {"nature": "annexe", "libelle": "Feuille d'émargement", "fichier": contenus.pdf("Émargement")}
        return Requete(porteur, {"bilan_id": bilan.id}, corps=corps, type_="multipart/form-data")

    def conventions_deposer(self, role):
        porteur, bilan = self._bilan_du_porteur()
        bilans.enregistrer_bilan(bilan, valeurs=valeurs_bilan(bilan), par=porteur)
        db.session.commit()
        return Requete(porteur, {"bilan_id": bilan.id}, corps={"version": bilan.version})

    def _bilan_depose(self, role):
        convention = self._convention_d_un_an(role, signee=True)
        bilan = next(b for b in convention.premiere.bilans if b.type == TypeBilan.INTERMEDIAIRE)
        self.fab.bilan_depose(bilan)
        return db.session.get(Bilan, bilan.id)

    def conventions_approuver(self, role):
        bilan = self._bilan_depose(role)
        assert bilan.statut == StatutBilan.DEPOSE
        return Requete(self.comptes[role], {"bilan_id": bilan.id}, corps={"commentaire": "Complet.", "version": bilan.version})

    def conventions_corriger(self, role):
        bilan = self._bilan_depose(role)
        limite = (maintenant() + timedelta(days=15)).date().isoformat()
        corps = {"message": "Précisez les heures.", "date_limite": limite, "version": bilan.version}
        return Requete(self.comptes[role], {"bilan_id": bilan.id}, corps=corps)

    def conventions_renouveler(self, role):
        convention = self._annuel_approuve(role)
        objectifs = {f"{o.poste}.{o.code}": str(o.cible) for o in convention.premiere.objectifs}
        corps = {"montant": str(convention.premiere.montant), "objectifs": objectifs}
        return Requete(self.comptes[role], {"convention_id": convention.id}, corps=corps)

    def conventions_ne_pas_renouveler(self, role):
        convention = self._convention(role, signee=True)
        return Requete(self.comptes[role], {"convention_id": convention.id}, corps={"motif": "Objectifs non atteints."})
