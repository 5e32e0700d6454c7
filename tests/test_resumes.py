"""The stored findings summary of each dossier (`candidatures.resumes`) is the one a fresh computation gives, after
every step of random sequences of the write paths that can change it — pages, API and operations —, and a new write
path cannot be added without being listed here (exercised by the machine, or said not to concern the summary).

`RESUMES_EXEMPLES` (machines, 10 by default) and `RESUMES_ETAPES` (steps per machine, 40) go deeper.
"""

import inspect
import os
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import delete as sa_delete
from sqlalchemy import select

import aap.campagnes.operations as operations_campagnes
import candidatures.depots as depots_candidatures
import candidatures.instruction as instruction_candidatures
import candidatures.operations as operations_candidatures
import candidatures.retention as retention_candidatures
import candidatures.structures as structures_candidatures
import notation.operations as operations_notation
from aap.erreurs import Refus
from aap.extensions import db
from aap.pdf import pdf_minimal
from aap.types import maintenant
from candidatures import constats, resumes
from candidatures.models import Dossier, FinancementExistant, Piece, ResumeDossier, Structure
from candidatures.synthese import controles_dossier, options_liste, synthese_budget

from .fabrique_candidatures import budget_pour

EXEMPLES = int(os.environ.get("RESUMES_EXEMPLES", "10"))
ETAPES = int(os.environ.get("RESUMES_ETAPES", "40"))
D = Decimal
ATTEINT = Counter()

# Les chemins d'écriture que la machine parcourt, et ceux qui ne touchent à rien de ce que le résumé lit.
COUVERTS = {
    "creer_dossier",
    "modifier",
    "remplacer_budget",
    "ajouter_piece",
    "reprendre_document",
    "retirer_piece",
    "deposer",
    "declarer_recevable",
    "declarer_irrecevable",
    "demander_complements",
    "enregistrer_avis_ctn",
    "modifier_structure",
    "ajouter_financement",
    "supprimer_financement",
    "modifier_campagne",
    "enregistrer_piece",
    "supprimer_piece",
    "enregistrer_mission",
    "supprimer_mission",
    "brouillons",
    "dossiers_non_retenus",
}
NON_CONCERNES = {
    "membres_actifs": "lecture",
    "destinataires": "lecture",
    "verifier_version": "lecture",
    "numero_dossier": "numéro, que le résumé ne lit pas",
    "accuse_de": "accusé de réception d'un dépôt (un fichier)",
    "ajouter_document": "document de la structure ; le dossier le reprend par `reprendre_document`",
    "retirer_document": "document de la structure ; les pièces qui le reprennent restent",
    "dossiers_deposes": "lecture",
    "figee": "lecture",
    "instant_local": "calcul",
    "creer_campagne": "une campagne neuve n'a pas de dossier",
    "inscrire_porteur": "un compte et, au besoin, une structure neuve : aucun dossier encore",
    "engage": "lecture",
    "enregistrer_critere": "grille de notation",
    "supprimer_critere": "grille de notation",
    "donnees_personnelles": "compte d'une personne (export RGPD)",
    # Un dossier modifié est recalculé comme tout autre ; recevable, retenu ou rejeté, aucun n'est modifiable.
    "clore": "passe des dossiers recevables à retenu ou rejeté : le résumé n'en dépend pas",
}
# Hors de ces modules, une opération qui change un dossier (son statut : `clore`) se repère à sa source.
MODULES_SOURCES = (
    operations_candidatures,
    depots_candidatures,
    instruction_candidatures,
    structures_candidatures,
    operations_campagnes,
    retention_candidatures,
)
AUTRES_MODULES = (operations_notation,)
ECRIT_UN_DOSSIER = re.compile(r"\bdossier\.\w+\s*=[^=]|\b(" + "|".join(m.__name__ for m in resumes.SOURCES) + r")\(")


def chemins_d_ecriture():
    chemins = set()
    for module in (*MODULES_SOURCES, *AUTRES_MODULES):
        for nom, fonction in inspect.getmembers(module, inspect.isfunction):
            if not f"{fonction.__module__}.".startswith(f"{module.__name__}.") or nom.startswith("_"):
                continue
            if module in MODULES_SOURCES or ECRIT_UN_DOSSIER.search(inspect.getsource(fonction)):
                chemins.add(nom)
    return chemins


def test_chaque_chemin_d_ecriture_est_couvert_ou_dit_sans_effet():
    chemins = chemins_d_ecriture()
    assert chemins - COUVERTS - set(NON_CONCERNES) == set(), "un chemin d'écriture que la machine ne parcourt pas"
    assert "clore" in chemins  # la recherche dans les autres modules trouve ce qu'elle doit trouver


def test_chaque_table_lue_par_le_resume_est_suivie():
    """Every table the summary's loading reads (the relationships of `options_liste`, and the items of a request
    for compléments that the check of unchanged items reads) has its entry in `SOURCES`: a row written there marks
    its dossiers."""
    from aap.models import Commune, Service
    from candidatures.models import ElementComplement

    lues = {ElementComplement}
    for option in options_liste():
        for element in option.context:
            lues.update(maillon.class_ for maillon in element.path.natural_path if hasattr(maillon, "class_"))
    # Le service (son fuseau) ne sert qu'au calendrier, jugé à la lecture ; une commune ne compte que par son code,
    # que porte la collection du dossier (ou la colonne de la structure).
    assert lues - {Service, Commune} == set(resumes.SOURCES)


def _attendu(dossier, instant):
    annee = synthese_budget(dossier)[0]
    return (
        constats.resume(controles_dossier(dossier, instant)),
        (annee.charges, annee.part_etat, annee.taux_etat, annee.cofinancement, sum(v.heures_insertion for v in dossier.volumes)),
    )


def verifier_resumes(ids=None):
    """Every dossier's stored summary (and its calendar judged now) equals a fresh computation."""
    db.session.expire_all()
    instant = maintenant()
    dossiers = db.session.scalars(select(Dossier).options(*options_liste()).order_by(Dossier.id)).all()
    lus = resumes.resumes_de([d.id for d in dossiers], instant)
    stockes = {r.dossier_id: r for r in db.session.scalars(select(ResumeDossier))}
    assert set(stockes) == {d.id for d in dossiers}
    for dossier in dossiers:
        (resume, budget) = _attendu(dossier, instant)
        ligne = stockes[dossier.id]
        assert lus[dossier.id] == resume, dossier.id
        assert (
            ligne.charges_annee1,
            ligne.part_etat_annee1,
            ligne.taux_etat_annee1,
            ligne.cofinancement_annee1,
            ligne.heures_insertion,
        ) == budget, dossier.id


class Resumes(RuleBasedStateMachine):
    """One open campaign of one service, two structures (an association, an emerging one), their dossiers; each
    rule writes through the operations, the API or the pages (drawn)."""

    contexte = None

    @initialize()
    def preparer(self):
        ATTEINT[("machine", "exemples")] += 1
        fab, service = self.contexte["fab"], self.contexte["service"]
        self.campagne = fab.campagne(service=service)
        self.agent = fab.agent_de(service)
        self.admin = fab.utilisateur("admin", service=service)
        self.structures = [fab.structure_complete(service=service), fab.structure_complete(service=service, emergente=True)]
        self.porteurs = {s.id: fab.porteur_de(s) for s in self.structures}
        self.jetons = {u.id: fab.jeton(u)[0] for u in self.porteurs.values()}
        fab.dossier(statut="brouillon", campagne=self.campagne, structure=self.structures[0])
        fab.dossier(statut="brouillon", campagne=self.campagne, structure=self.structures[1])
        fab.dossier(statut="brouillon", complet=False, campagne=self.campagne, structure=self.structures[1])
        db.session.commit()
        self.pages = {}
        self.purge = False

    # --- Outils ----------------------------------------------------------------------------------------------

    def _dossiers(self, *statuts):
        requete = select(Dossier).where(Dossier.campagne_id == self.campagne.id).order_by(Dossier.id)
        if statuts:
            requete = requete.where(Dossier.statut.in_([str(s) for s in statuts]))
        return db.session.scalars(requete).all()

    def _porteur(self, dossier):
        return self.porteurs[dossier.structure_id]

    def _api(self, methode, url, porteur, **kwargs):
        client = self.contexte["client"]
        return client.open(
            f"/api/v1{url}", method=methode, headers={"Authorization": f"Bearer {self.jetons[porteur.id]}"}, **kwargs
        )

    def _page(self, utilisateur):
        if utilisateur.id not in self.pages:
            self.pages[utilisateur.id] = self.contexte["client_de"](utilisateur)
        return self.pages[utilisateur.id]

    def _operation(self, nom, fonction):
        try:
            fonction()
        except Refus:
            db.session.rollback()
            ATTEINT[(nom, "refus")] += 1
        else:
            db.session.commit()
            ATTEINT[(nom, "operations")] += 1

    def _reponse(self, nom, voie, reponse):
        assert reponse.status_code < 500, (nom, voie, reponse.status_code)
        ATTEINT[(nom, voie if reponse.status_code < 400 else "refus")] += 1

    # --- Le dossier ------------------------------------------------------------------------------------------

    @rule(voie=st.sampled_from(["operations", "page"]), structure=st.integers(0, 1))
    def creer_dossier(self, voie, structure):
        structure = self.structures[structure]
        porteur = self.porteurs[structure.id]
        if voie == "page":
            reponse = self._page(porteur).post("/dossiers/nouveau", data={"campagne_id": self.campagne.id, "titre": "Nouveau"})
            return self._reponse("creer_dossier", voie, reponse)
        self._operation(
            "creer_dossier",
            lambda: operations_candidatures.creer_dossier(self.campagne, db.session.get(Structure, structure.id), par=porteur),
        )

    @precondition(lambda self: self._dossiers())
    @rule(
        data=st.data(),
        voie=st.sampled_from(["operations", "api", "page"]),
        titre=st.sampled_from(["", "Facilitation à Koungou"]),
        etp=st.sampled_from([D("0"), D("0.25"), D("0.5"), D("1.5")]),
        zone_blanche=st.booleans(),
    )
    def modifier(self, data, voie, titre, etp, zone_blanche):
        dossier = data.draw(st.sampled_from(self._dossiers()))
        porteur = self._porteur(dossier)
        if voie == "api":
            corps = {"version": dossier.version, "titre": titre, "etp_facilitateur": str(etp), "zone_blanche": zone_blanche}
            return self._reponse("modifier", voie, self._api("PATCH", f"/dossiers/{dossier.id}", porteur, json=corps))
        if voie == "page":
            donnees = {"version": dossier.version, "titre": titre, "etp_facilitateur": str(etp).replace(".", ",")}
            reponse = self._page(porteur).post(f"/dossiers/{dossier.id}/etapes/projet", data=donnees)
            return self._reponse("modifier", voie, reponse)
        valeurs = {"titre": titre, "etp_facilitateur": etp, "zone_blanche": zone_blanche}
        self._operation("modifier", lambda: operations_candidatures.modifier(dossier, valeurs, par=porteur))

    @precondition(lambda self: self._dossiers())
    @rule(
        data=st.data(),
        voie=st.sampled_from(["operations", "api", "page"]),
        etp=st.sampled_from([D("0.5"), D("1"), D("3")]),
        taux=st.sampled_from([None, D("0.65"), D("0.75"), D("0.9")]),
    )
    def remplacer_budget(self, data, voie, etp, taux):
        dossier = data.draw(st.sampled_from(self._dossiers()))
        porteur = self._porteur(dossier)
        budget = budget_pour(etp, taux)
        if voie == "api":
            lignes = {c: {"precision": p, "montants": [str(m) for m in ms]} for c, (p, ms) in budget.items()}
            corps = {"version": dossier.version, "lignes": lignes}
            return self._reponse(
                "remplacer_budget", voie, self._api("PUT", f"/dossiers/{dossier.id}/budget", porteur, json=corps)
            )
        if voie == "page":
            donnees = {"version": dossier.version}
            for categorie, (precision, montants) in budget.items():
                donnees[f"{categorie}_precision"] = precision
                donnees |= {f"{categorie}_{i}": str(m).replace(".", ",") for i, m in enumerate(montants, start=1)}
            reponse = self._page(porteur).post(f"/dossiers/{dossier.id}/etapes/budget", data=donnees)
            return self._reponse("remplacer_budget", voie, reponse)
        self._operation("remplacer_budget", lambda: operations_candidatures.remplacer_budget(dossier, budget, par=porteur))

    @precondition(lambda self: self._dossiers())
    @rule(
        data=st.data(),
        voie=st.sampled_from(["operations", "api"]),
        code=st.sampled_from(["kbis_statuts", "comptes_annuels", "budget_previsionnel", "rib", "autre"]),
    )
    def ajouter_piece(self, data, voie, code):
        dossier = data.draw(st.sampled_from(self._dossiers()))
        porteur = self._porteur(dossier)
        contenu = pdf_minimal(code, str(dossier.id))
        if voie == "api":
            reponse = self._api(
                "POST",
                f"/dossiers/{dossier.id}/pieces",
                porteur,
                data={"code": code, "libelle": "Annexe", "fichier": (__import__("io").BytesIO(contenu), f"{code}.pdf")},
                content_type="multipart/form-data",
            )
            return self._reponse("ajouter_piece", voie, reponse)
        self._operation(
            "ajouter_piece",
            lambda: operations_candidatures.ajouter_piece(dossier, code, (f"{code}.pdf", contenu), par=porteur, libelle="Annexe"),
        )

    def _pieces(self):
        return db.session.scalars(
            select(Piece)
            .join(Dossier, Dossier.id == Piece.dossier_id)
            .where(Dossier.campagne_id == self.campagne.id, Piece.retiree_le.is_(None), Piece.remplacee_le.is_(None))
            .order_by(Piece.id)
        ).all()

    @precondition(lambda self: self._pieces())
    @rule(data=st.data(), voie=st.sampled_from(["operations", "api"]))
    def retirer_piece(self, data, voie):
        pieces = self._pieces()
        if not pieces:
            return
        piece = data.draw(st.sampled_from(pieces))
        porteur = self._porteur(piece.dossier)
        if voie == "api":
            reponse = self._api("DELETE", f"/dossiers/{piece.dossier_id}/pieces/{piece.id}", porteur)
            return self._reponse("retirer_piece", voie, reponse)
        self._operation("retirer_piece", lambda: operations_candidatures.retirer_piece(piece, par=porteur))

    @precondition(lambda self: self._dossiers())
    @rule(data=st.data())
    def reprendre_document(self, data):
        dossier = data.draw(st.sampled_from(self._dossiers()))
        porteur = self._porteur(dossier)
        structure = dossier.structure
        document = next(iter(structure.documents), None) or self.contexte["fab"].document(structure, par=porteur)
        self._operation("reprendre_document", lambda: operations_candidatures.reprendre_document(dossier, document, par=porteur))

    @precondition(lambda self: self._dossiers("brouillon", "complements_demandes"))
    @rule(data=st.data(), voie=st.sampled_from(["operations", "api"]))
    def deposer(self, data, voie):
        dossier = data.draw(st.sampled_from(self._dossiers("brouillon", "complements_demandes")))
        porteur = self._porteur(dossier)
        if voie == "api":
            reponse = self._api("POST", f"/dossiers/{dossier.id}/depot", porteur, json={"version": dossier.version})
            return self._reponse("deposer", voie, reponse)
        self._operation("deposer", lambda: depots_candidatures.deposer(dossier, par=porteur, accuse=False, notifier=False))

    # --- L'instruction ---------------------------------------------------------------------------------------

    @precondition(lambda self: self._dossiers("depose"))
    @rule(data=st.data(), issue=st.sampled_from(["recevable", "irrecevable", "complements"]), rubrique=st.booleans())
    def instruire(self, data, issue, rubrique):
        dossier = data.draw(st.sampled_from(self._dossiers("depose")))
        if issue == "recevable":
            return self._operation(
                "declarer_recevable", lambda: instruction_candidatures.declarer_recevable(dossier, par=self.agent, notifier=False)
            )
        if issue == "irrecevable":
            return self._operation(
                "declarer_irrecevable",
                lambda: instruction_candidatures.declarer_irrecevable(
                    dossier, par=self.agent, motif="Hors du champ", notifier=False
                ),
            )
        # Une date limite passée : le calendrier du dossier (jugé à la lecture) bloque le nouveau dépôt.
        limite = maintenant().date() + (timedelta(days=10) if rubrique else timedelta(days=-3))
        self._operation(
            "demander_complements",
            lambda: instruction_candidatures.demander_complements(
                dossier,
                par=self.agent,
                rubriques=["budget", "projet"] if rubrique else [],
                pieces=["comptes_annuels"],
                date_limite=limite,
                notifier=False,
            ),
        )

    @precondition(lambda self: self._dossiers("recevable"))
    @rule(data=st.data(), avis=st.sampled_from(["favorable", "reserve", "defavorable"]))
    def enregistrer_avis_ctn(self, data, avis):
        dossier = data.draw(st.sampled_from(self._dossiers("recevable")))
        self._operation(
            "enregistrer_avis_ctn", lambda: instruction_candidatures.enregistrer_avis_ctn(dossier, par=self.agent, avis=avis)
        )

    # --- La structure (jugée vivante avant le dépôt) ---------------------------------------------------------

    @rule(
        structure=st.integers(0, 1),
        voie=st.sampled_from(["operations", "api"]),
        statut=st.sampled_from(["association", "collectivite", "entreprise"]),
        adresse=st.sampled_from(["", "3 rue du Port"]),
        emergente=st.booleans(),
    )
    def modifier_structure(self, structure, voie, statut, adresse, emergente):
        structure = db.session.get(Structure, self.structures[structure].id)
        porteur = self.porteurs[structure.id]
        valeurs = {"statut_juridique": statut, "adresse": adresse, "emergente": emergente}
        if voie == "api":
            reponse = self._api("PATCH", f"/structures/{structure.id}", porteur, json=valeurs)
            return self._reponse("modifier_structure", voie, reponse)
        self._operation("modifier_structure", lambda: structures_candidatures.modifier_structure(structure, valeurs, par=porteur))

    @rule(structure=st.integers(0, 1), montant=st.sampled_from([D("0"), D("12000.00"), D("30000.00")]), ajout=st.booleans())
    def financements(self, structure, montant, ajout):
        structure = db.session.get(Structure, self.structures[structure].id)
        porteur = self.porteurs[structure.id]
        existant = db.session.scalar(select(FinancementExistant).where(FinancementExistant.structure_id == structure.id).limit(1))
        if ajout or existant is None:
            return self._operation(
                "ajouter_financement",
                lambda: structures_candidatures.ajouter_financement(
                    structure,
                    par=porteur,
                    poste="facilitateur",
                    financeur="collectivites",
                    nom_financeur="Commune",
                    montant_annee_precedente=D("18000.00"),
                    montant_annee_courante=montant,
                ),
            )
        self._operation("supprimer_financement", lambda: structures_candidatures.supprimer_financement(existant, par=porteur))

    # --- Les règles de la campagne ---------------------------------------------------------------------------

    @rule(
        champ=st.sampled_from(["taux_plafond", "etp_minimum", "credits"]),
        valeur=st.sampled_from([D("0.5"), D("0.8"), D("1"), D("3000")]),
    )
    def modifier_campagne(self, champ, valeur):
        self._operation(
            "modifier_campagne",
            lambda: operations_campagnes.modifier_campagne(self.campagne, {champ: valeur}, par=self.admin),
        )

    @rule(condition=st.sampled_from(["toujours", "facultative", "emergente"]), supprimer=st.booleans())
    def pieces_requises(self, condition, supprimer):
        ajoutees = [p for p in self.campagne.pieces if p.code.startswith("annexe")]
        if supprimer and ajoutees:
            return self._operation("supprimer_piece", lambda: operations_campagnes.supprimer_piece(ajoutees[-1], par=self.admin))
        self._operation(
            "enregistrer_piece",
            lambda: operations_campagnes.enregistrer_piece(
                self.campagne, par=self.admin, code=f"annexe_{len(ajoutees)}", libelle="Annexe locale", condition=condition
            ),
        )

    @rule(poste=st.sampled_from(["facilitateur", "coordinateur"]), supprimer=st.booleans())
    def missions(self, poste, supprimer):
        mission = self.campagne.missions[-1]
        if supprimer and len(self.campagne.missions) > 2:
            return self._operation("supprimer_mission", lambda: operations_campagnes.supprimer_mission(mission, par=self.admin))
        self._operation(
            "enregistrer_mission",
            lambda: operations_campagnes.enregistrer_mission(
                self.campagne, par=self.admin, mission=mission, poste=poste, libelle=mission.libelle
            ),
        )

    # --- Le temps et la conservation -------------------------------------------------------------------------

    @precondition(lambda self: not self.purge)
    @rule()
    def purger(self):
        self.purge = True
        instant = maintenant() + timedelta(days=3650)
        retention_candidatures.brouillons(instant)
        retention_candidatures.dossiers_non_retenus(instant)
        db.session.commit()
        ATTEINT[("purger", "operations")] += 1

    @invariant()
    def resumes_exacts(self):
        if self.contexte.get("pret"):
            verifier_resumes()


@pytest.fixture
def machine(fab, app, client_de):
    service = fab.service()
    db.session.commit()
    return type(
        "ResumesDuTest",
        (Resumes,),
        {"contexte": {"fab": fab, "client": app.test_client(), "client_de": client_de, "service": service, "pret": True}},
    )


def test_le_resume_stocke_est_celui_qu_on_recalcule_a_chaque_etape(machine):
    machine.TestCase.settings = settings(
        max_examples=EXEMPLES,
        stateful_step_count=ETAPES,
        deadline=None,
        database=None,
        derandomize="RESUMES_EXEMPLES" not in os.environ,
        suppress_health_check=list(HealthCheck),
    )
    ATTEINT.clear()
    machine.TestCase().runTest()
    print("\nétapes par règle et par voie :", dict(sorted(ATTEINT.items())))
    for regle, voie in (
        ("modifier", "api"),
        ("modifier", "page"),
        ("modifier", "operations"),
        ("remplacer_budget", "api"),
        ("remplacer_budget", "page"),
        ("ajouter_piece", "api"),
        ("deposer", "operations"),
        ("modifier_structure", "operations"),
        ("modifier_campagne", "operations"),
    ):
        assert ATTEINT[(regle, voie)], (regle, voie)


def test_un_dossier_sans_resume_stocke_est_calcule_puis_la_commande_le_stocke(fab, client_de, runner):
    """A database migrated to 0010 has no summaries yet: the list computes them (same figures), then `flask candidatures resumes`
    stores them; `--tout` rewrites every one."""
    dossier = fab.dossier(statut="depose", titre="Projet sans résumé")
    agent = fab.agent_de(dossier.service)
    db.session.commit()
    attendu = resumes.resumes_de([dossier.id])[dossier.id]
    db.session.execute(sa_delete(ResumeDossier))
    db.session.commit()
    assert resumes.resumes_de([dossier.id]) == {dossier.id: attendu}
    assert "Projet sans résumé" in client_de(agent).get("/dossiers/").get_data(as_text=True)
    assert "1 résumé(s)" in runner.invoke(args=["candidatures", "resumes"]).output
    assert db.session.get(ResumeDossier, dossier.id).bloquants == attendu[0]
    assert "0 résumé(s)" in runner.invoke(args=["candidatures", "resumes"]).output
    assert "1 résumé(s)" in runner.invoke(args=["candidatures", "resumes", "--tout"]).output
