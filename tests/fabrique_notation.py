"""Factories of the notation domain, mixed into `tests.factories.Fabrique`.

They write rows directly (fast, no PDF): `fab.decision(...)` gives the conventions domain a notified
decision with its whole chain; the notation tests drive the real operations for what they check.
"""

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from aap.numerotation import prochain
from aap.types import maintenant
from candidatures.models import ChangementStatut, Dossier, LigneBudget, Statut
from notation.models import (
    Decision,
    Declaration,
    FeuilleNotation,
    MembreSeance,
    Nature,
    Note,
    Phase,
    PointOrdreDuJour,
    Seance,
)


class FabriqueNotation:
    def dossier_pour_copil(
        self,
        campagne=None,
        structure=None,
        porteur=True,
        montant_demande=Decimal("50000.00"),
        etp_facilitateur=Decimal("1.0"),
        etp_coordinateur=Decimal("0"),
        titre=None,
        statut=Statut.RECEVABLE,
        **champs,
    ):
        """A recevable dossier (filed, numbered, checked complete), with a budget whose State share is
        `montant_demande` (70 % of the charges) and, by default, a porteur in its structure.

        Built with the candidatures models as they are; `fab.dossier(...)` of that domain replaces it
        once merged."""
        campagne = campagne or self.campagne(etat="cloturee")
        structure = structure or self.structure(service=campagne.service)
        if porteur and not any(m.role == "porteur" for m in structure.membres):
            self.utilisateur("porteur", structure=structure)
        instant = min(maintenant(), campagne.cloture_le) - timedelta(days=1)
        numero = prochain(f"dossier:{campagne.service.code}:{campagne.annee}")
        valeurs = {
            "titre": titre or f"Facilitation de la clause sociale — {structure.raison_sociale}",
            "numero": f"AAP-{campagne.annee}-{campagne.service.code}-{numero:04d}",
            "statut": str(statut),
            "depose_le": instant,
            "recevable_le": instant.date() if statut == Statut.RECEVABLE else None,
            "etp_facilitateur": etp_facilitateur,
            "etp_coordinateur": etp_coordinateur,
            "montant_demande": montant_demande,
            "diagnostic": "Territoire peu couvert par la facilitation des clauses sociales.",
            "objectifs": "Accompagner les acheteurs publics dans l'insertion de clauses sociales.",
            "strategie": "Un facilitateur à temps plein, en lien avec les acheteurs de l'État.",
            "calendrier": "Recrutement au premier trimestre, montée en charge sur douze mois.",
            "engagement_non_baisse": True,
            "declaration_honneur": True,
        }
        dossier = Dossier(
            campagne_id=campagne.id,
            structure_id=structure.id,
            service_id=campagne.service_id,
            **(valeurs | champs),
        )
        # Au centime supérieur : la part de l'État (70 % des charges, arrondis au centime inférieur) reste le montant demandé.
        charges = (montant_demande / Decimal("0.70")).quantize(Decimal("0.01"), rounding=ROUND_UP)
        for categorie, montant in (
            ("salaires", charges),
            ("etat_aap", montant_demande),
            ("collectivites", charges - montant_demande),
        ):
            dossier.lignes_budget.append(
                LigneBudget(
                    categorie=categorie,
                    precision="Département de Mayotte" if categorie == "collectivites" else "",
                    montant_annee1=montant,
                    montant_annee2=montant,
                    montant_annee3=montant,
                )
            )
        dossier.historique.append(ChangementStatut(statut=Statut.DEPOSE, le=instant))
        if statut != Statut.DEPOSE:
            dossier.historique.append(ChangementStatut(statut=str(statut), le=instant))
        return self._ajouter(dossier)

    def seance(self, campagne=None, phase=Phase.PREPARATION, membres=3, president=None, dossiers=0, **champs):
        """A session. `membres`: a number of new COPIL accounts or a list of users (the president is
        added if missing; by default the first member); `dossiers`: a number of new recevable dossiers
        or a list of dossiers, put on the agenda."""
        campagne = campagne or self.campagne(etat="cloturee")
        if isinstance(membres, int):
            membres = [self.utilisateur("copil", service=campagne.service) for _ in range(membres)]
        president = president or (membres[0] if membres else self.utilisateur("agent", service=campagne.service))
        if president not in membres:
            membres = [president, *membres]
        if isinstance(dossiers, int):
            dossiers = [self.dossier_pour_copil(campagne=campagne) for _ in range(dossiers)]
        # Une séance qui délibère s'est tenue (elle ne délibère pas avant sa date) ; sinon, elle se tient dans une semaine.
        phase = Phase(phase)
        tenue_le = champs.pop(
            "tenue_le",
            maintenant() - timedelta(hours=1) if phase.rang >= Phase.DELIBERATION.rang else maintenant() + timedelta(days=7),
        )
        instant = maintenant()
        phase = Phase(phase)
        seance = Seance(
            campagne_id=campagne.id,
            service_id=campagne.service_id,
            tenue_le=tenue_le,
            lieu=champs.pop("lieu", "DEETS de Mayotte, Mamoudzou — salle du conseil"),
            annee=tenue_le.year,
            trimestre=(tenue_le.month - 1) // 3 + 1,
            phase=str(phase),
            president_id=president.id,
            notation_ouverte_le=instant if phase.rang >= Phase.NOTATION.rang else None,
            deliberation_le=instant if phase.rang >= Phase.DELIBERATION.rang else None,
            close_le=instant if phase == Phase.CLOSE else None,
            **champs,
        )
        seance.membres = [MembreSeance(utilisateur_id=m.id) for m in membres]
        seance.ordre_du_jour = [PointOrdreDuJour(dossier_id=d.id, rang=i) for i, d in enumerate(dossiers, start=1)]
        return self._ajouter(seance)

    def declaration(self, seance, dossier, membre, conflit=False, nature=""):
        if conflit and not nature:
            nature = "Membre du conseil d'administration de la structure."
        return self._ajouter(
            Declaration(seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, conflit=conflit, nature=nature)
        )

    def feuille(self, seance, dossier, membre, points=None, soumise=True, avis="favorable", commentaires=None, declarer=True):
        """A score sheet. `points`: {criterion code: points} (default: 60 % of each maximum, rounded to the
        half-point); `commentaires`: {code: text}. Declares "no conflict" first unless told not to."""
        if declarer and not any(
            d.dossier_id == dossier.id and d.membre_id == membre.id
            for d in self.session.query(Declaration).filter_by(seance_id=seance.id)
        ):
            self.declaration(seance, dossier, membre)
        criteres = seance.campagne.criteres
        points = points or {c.code: (Decimal(c.maximum) * Decimal("1.2")).to_integral_value() / 2 for c in criteres}
        commentaires = commentaires or {}
        feuille = FeuilleNotation(
            seance_id=seance.id,
            dossier_id=dossier.id,
            membre_id=membre.id,
            avis=avis,
            soumise_le=maintenant() if soumise else None,
        )
        feuille.notes = [
            Note(
                critere_id=c.id,
                points=points.get(c.code),
                maximum=Decimal(c.maximum),
                commentaire=commentaires.get(c.code, "" if points.get(c.code, 0) * 2 >= c.maximum else "Insuffisant."),
            )
            for c in criteres
        ]
        return self._ajouter(feuille)

    def decision(
        self,
        nature="retenu",
        montant_accorde=None,
        notifie_le=...,
        dossier=None,
        seance=None,
        etp_facilitateur=None,
        etp_coordinateur=None,
        conditions="",
        motif=None,
        decide_par=None,
    ):
        """A decision with its whole chain: campaign (closed), structure with its profile and a porteur, a complete
        recevable dossier (`fab.dossier`), the session (closed when notified — `notifie_le` defaults to now —, in
        deliberation when `notifie_le=None`), the decision, and the dossier's new status (retenu, rejeté, or
        recevable again when adjourned)."""
        nature = Nature(nature)
        notifie_le = maintenant() if notifie_le is ... else notifie_le
        if dossier is None:
            dossier = self.dossier(statut="recevable", campagne=self.campagne(etat="cloturee"))
            self.session.commit()
        campagne = dossier.campagne
        if seance is None:
            president = decide_par or self.utilisateur("agent", service=campagne.service)
            seance = self.seance(
                campagne=campagne,
                president=president,
                membres=[president],
                dossiers=[dossier],
                phase=Phase.CLOSE if notifie_le else Phase.DELIBERATION,
                tenue_le=(notifie_le or maintenant()) - timedelta(days=1),
            )
        elif not any(p.dossier_id == dossier.id for p in seance.ordre_du_jour):
            seance.ordre_du_jour.append(PointOrdreDuJour(dossier_id=dossier.id, rang=len(seance.ordre_du_jour) + 1))
        retenu = nature == Nature.RETENU
        decision = Decision(
            seance_id=seance.id,
            dossier_id=dossier.id,
            nature=str(nature),
            montant_accorde=(montant_accorde or dossier.montant_demande) if retenu else None,
            etp_facilitateur=(etp_facilitateur if etp_facilitateur is not None else dossier.etp_facilitateur)
            if retenu
            else Decimal("0"),
            etp_coordinateur=(etp_coordinateur if etp_coordinateur is not None else dossier.etp_coordinateur)
            if retenu
            else Decimal("0"),
            conditions=conditions,
            motif=motif if motif is not None else ("" if retenu else "Projet insuffisamment étayé."),
            decide_par_id=seance.president_id,
            decide_le=(notifie_le or maintenant()) - timedelta(hours=1),
            notifie_le=notifie_le,
        )
        self.session.add(decision)
        if notifie_le:
            statut = {Nature.RETENU: Statut.RETENU, Nature.REJETE: Statut.REJETE, Nature.AJOURNE: Statut.RECEVABLE}[nature]
            dossier.statut = str(statut)
            dossier.historique.append(ChangementStatut(statut=str(statut), le=notifie_le, par_id=seance.president_id))
        return self._ajouter(decision)
