"""A session's stored aggregates (`notation.agregats`) are the ones the aggregation of every score gives, after every
step of random sequences of what can change them — sheets saved, submitted and reopened, declarations of interest
(recusals), the agenda, the members and the threshold —, through the operations and the API; and a new write path
of the notation domain cannot be added without being listed here.

`AGREGATS_EXEMPLES` (machines, 8 by default) and `AGREGATS_ETAPES` (steps per machine, 40) go deeper.
"""

import inspect
import os
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import delete as sa_delete
from sqlalchemy import select

import notation.operations as operations
from aap.erreurs import Refus
from aap.extensions import db
from notation import agregats, lecture, resultats
from notation.models import AgregatSeance, FeuilleNotation, Phase, Seance

EXEMPLES = int(os.environ.get("AGREGATS_EXEMPLES", "8"))
ETAPES = int(os.environ.get("AGREGATS_ETAPES", "40"))
ATTEINT = Counter()

COUVERTS = {"declarer", "enregistrer_notes", "rouvrir", "inscrire", "retirer", "modifier_seance", "changer_phase"}
NON_CONCERNES = {
    "delais_rappel": "lecture",
    "creer_seance": "une séance neuve n'a ni ordre du jour ni note",
    "marquer_presences": "présences au procès-verbal",
    "notes_visibles": "lecture",
    "feuille_de": "lecture",
    "empreinte_feuille": "calcul",
    "envoyer_rappels": "courriels",
    "alerter_trimestres": "courriels",
    "decider": "décision : le classement la lit à part, pas les agrégats",
    "demande_de": "lecture",
    "destinataires": "lecture",
    "clore": "phase et statut des dossiers : ni note ni déclaration",
}


def test_chaque_chemin_d_ecriture_de_la_notation_est_couvert_ou_dit_sans_effet():
    chemins = {
        nom
        for nom, fonction in inspect.getmembers(operations, inspect.isfunction)
        if fonction.__module__.startswith(f"{operations.__name__}.") and not nom.startswith("_")
    }
    assert chemins - COUVERTS - set(NON_CONCERNES) == set(), "un chemin d'écriture que la machine ne parcourt pas"


def test_chaque_table_lue_par_l_agregation_est_suivie():
    """The aggregation reads the session (threshold), its members and agenda, its declarations, its sheets and
    their scores, and the campaign's grid: each has its entry in `SOURCES`."""
    from aap.models import Critere
    from notation.models import Declaration, MembreSeance, Note, PointOrdreDuJour

    assert set(agregats.SOURCES) == {Seance, MembreSeance, PointOrdreDuJour, Declaration, FeuilleNotation, Note, Critere}


def verifier_agregats(seance_id=None):
    """Every session's stored aggregates (one session's only, when given) equal those computed from its scores."""
    db.session.expire_all()
    portee = True if seance_id is None else Seance.id == seance_id
    seances = db.session.scalars(select(Seance).options(*lecture.options_seance()).where(portee)).unique().all()
    assert seances, "aucune séance vérifiée"  # une vérification qui ne lirait rien ne prouverait rien
    for seance in seances:
        lus, _ = resultats.agregats_seance(seance)
        calcules, _ = resultats.calculer_agregats(seance)
        stockes = db.session.scalar(select(AgregatSeance.seance_id).where(AgregatSeance.seance_id == seance.id).limit(1))
        assert seance.ordre_du_jour == [] or stockes is not None, seance.id  # lus, pas recalculés faute de lignes
        assert lus == calcules, seance.id


class Agregats(RuleBasedStateMachine):
    """One session scoring three dossiers with three members (the first presides); a fourth dossier waits."""

    contexte = None

    @initialize()
    def preparer(self):
        ATTEINT[("machine", "exemples")] += 1
        fab = self.contexte["fab"]
        campagne = fab.campagne(service=self.contexte["service"], etat="cloturee")
        self.dossiers = [fab.dossier_pour_copil(campagne=campagne) for _ in range(4)]
        seance = fab.seance(campagne=campagne, membres=3, dossiers=self.dossiers[:3], phase=Phase.NOTATION)
        db.session.commit()
        self.seance_id = seance.id
        self.membres = [m.utilisateur for m in seance.membres]
        self.jetons = {u.id: fab.jeton(u)[0] for u in self.membres}
        db.session.commit()

    def _seance(self):
        return lecture.charger_seance(self.seance_id)

    def _api(self, methode, url, membre, **kwargs):
        return self.contexte["client"].open(
            f"/api/v1{url}", method=methode, headers={"Authorization": f"Bearer {self.jetons[membre.id]}"}, **kwargs
        )

    def _operation(self, nom, fonction):
        try:
            fonction()
        except Refus:
            db.session.rollback()
            ATTEINT[(nom, "refus")] += 1
        else:
            db.session.commit()
            ATTEINT[(nom, "operations")] += 1

    def _reponse(self, nom, reponse):
        assert reponse.status_code < 500, (nom, reponse.status_code)
        ATTEINT[(nom, "api" if reponse.status_code < 400 else "refus")] += 1

    @rule(
        membre=st.integers(0, 2),
        dossier=st.integers(0, 3),
        conflit=st.sampled_from([False, False, True]),
        voie=st.sampled_from(["operations", "api"]),
    )
    def declarer(self, membre, dossier, conflit, voie):
        seance, membre, dossier = self._seance(), self.membres[membre], self.dossiers[dossier]
        nature = "Administrateur de la structure." if conflit else ""
        if voie == "api":
            corps = {"conflit": conflit, "nature": nature}
            url = f"/seances/{seance.id}/dossiers/{dossier.id}/declaration"
            return self._reponse("declarer", self._api("PUT", url, membre, json=corps))
        self._operation(
            "declarer", lambda: operations.declarer(seance, db.session.merge(dossier), membre, conflit=conflit, nature=nature)
        )

    @rule(
        membre=st.integers(0, 2),
        dossier=st.integers(0, 3),
        part=st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("0.75"), Decimal("1")]),
        ecart=st.booleans(),
        avis=st.sampled_from(["favorable", "reserve", "defavorable"]),
        soumettre=st.booleans(),
        voie=st.sampled_from(["operations", "api"]),
    )
    def noter(self, membre, dossier, part, ecart, avis, soumettre, voie):
        seance, membre, dossier = self._seance(), self.membres[membre], self.dossiers[dossier]
        points = {}
        for i, critere in enumerate(seance.campagne.criteres):
            # Des demi-points ; un critère sur deux à l'opposé quand les membres divergent.
            fraction = (1 - part) if ecart and i % 2 else part
            points[critere.code] = (Decimal(critere.maximum) * fraction * 2).to_integral_value() / 2
        commentaires = {code: "Motif de la note." for code in points}
        if lecture.acces(seance, membre).declaration(dossier.id) is None:  # on déclare avant de noter
            self.declarer(self.membres.index(membre), self.dossiers.index(dossier), False, voie)
            seance = self._seance()
        feuille = operations.feuille_de(seance, dossier.id, membre.id)
        version = feuille.version if feuille is not None else 0
        if voie == "api":
            url = f"/seances/{seance.id}/dossiers/{dossier.id}/ma-feuille"
            notes = [{"critere": c, "points": str(p), "commentaire": commentaires[c]} for c, p in points.items()]
            reponse = self._api("PUT", url, membre, json={"version": version, "notes": notes, "avis": avis})
            self._reponse("enregistrer_notes", reponse)
            if soumettre and reponse.status_code == 200:
                reponse = self._api("POST", f"{url}/soumission", membre, json={"version": reponse.get_json()["version"]})
                self._reponse("soumettre", reponse)
            return
        self._operation(
            "enregistrer_notes",
            lambda: operations.enregistrer_notes(
                seance,
                db.session.merge(dossier),
                membre,
                version=version,
                points=points,
                commentaires=commentaires,
                avis=avis,
                soumettre=soumettre,
            ),
        )

    def _soumises(self):
        return db.session.scalars(
            select(FeuilleNotation)
            .where(FeuilleNotation.seance_id == self.seance_id, FeuilleNotation.soumise_le.is_not(None))
            .order_by(FeuilleNotation.id)
        ).all()

    @precondition(lambda self: self._soumises())
    @rule(data=st.data(), voie=st.sampled_from(["operations", "api"]))
    def rouvrir(self, data, voie):
        feuille = data.draw(st.sampled_from(self._soumises()))
        seance, president = self._seance(), self.membres[0]
        if voie == "api":
            url = f"/seances/{seance.id}/dossiers/{feuille.dossier_id}/feuilles/{feuille.membre_id}/reouverture"
            return self._reponse("rouvrir", self._api("POST", url, president, json={"motif": "Erreur de saisie."}))
        self._operation("rouvrir", lambda: operations.rouvrir(seance, feuille, motif="Erreur de saisie.", par=president))

    @rule(dossier=st.integers(0, 3), retirer=st.booleans())
    def ordre_du_jour(self, dossier, retirer):
        seance, dossier = self._seance(), db.session.merge(self.dossiers[dossier])
        if retirer:
            return self._operation("retirer", lambda: operations.retirer(seance, dossier, par=self.membres[0]))
        self._operation("inscrire", lambda: operations.inscrire(seance, dossier, par=self.membres[0]))

    @rule(seuil=st.sampled_from([Decimal("0.1"), Decimal("0.3"), Decimal("0.6")]), sans_dernier=st.booleans())
    def modifier_seance(self, seuil, sans_dernier):
        seance = self._seance()
        membres = self.membres[:2] if sans_dernier else self.membres
        self._operation(
            "modifier_seance",
            lambda: operations.modifier_seance(
                seance,
                version=seance.version,
                tenue_le=seance.tenue_le,
                lieu=seance.lieu,
                lien_visio=seance.lien_visio,
                president=self.membres[0],
                membres=membres,
                par=self.membres[0],
                seuil_desaccord=seuil,
            ),
        )

    @precondition(lambda self: self._seance().phase == Phase.NOTATION and len(self._soumises()) >= 3)
    @rule()
    def deliberer(self):
        seance = self._seance()
        self._operation(
            "changer_phase",
            lambda: operations.changer_phase(
                seance, Phase.DELIBERATION, par=self.membres[0], motif="Séance avancée.", confirmer=True
            ),
        )

    # Après chaque étape, la séance de l'exemple ; à la fin de chaque exemple, toutes (une écriture qui toucherait
    # aux agrégats d'une autre séance s'y verrait).
    @invariant()
    def agregats_exacts(self):
        verifier_agregats(self.seance_id)

    def teardown(self):
        verifier_agregats()


@pytest.fixture
def machine(fab, app):
    service = fab.service()
    db.session.commit()
    return type("AgregatsDuTest", (Agregats,), {"contexte": {"fab": fab, "client": app.test_client(), "service": service}})


def test_les_agregats_stockes_sont_ceux_qu_on_recalcule_a_chaque_etape(machine):
    machine.TestCase.settings = settings(
        max_examples=EXEMPLES,
        stateful_step_count=ETAPES,
        deadline=None,
        database=None,
        derandomize="AGREGATS_EXEMPLES" not in os.environ,
        suppress_health_check=list(HealthCheck),
    )
    ATTEINT.clear()
    machine.TestCase().runTest()
    print("\nétapes par règle et par voie :", dict(sorted(ATTEINT.items())))
    for regle, voie in (
        ("declarer", "api"),
        ("declarer", "operations"),
        ("enregistrer_notes", "api"),
        ("enregistrer_notes", "operations"),
        ("soumettre", "api"),
        ("rouvrir", "operations"),
        ("inscrire", "operations"),
        ("modifier_seance", "operations"),
    ):
        assert ATTEINT[(regle, voie)], (regle, voie)


def test_une_seance_sans_agregats_stockes_est_calculee_puis_la_commande_les_stocke(fab, runner):
    """A database migrated to 0010 has no aggregates yet: the session computes them (same figures), then
    `flask notation agregats` stores them."""
    seance = fab.seance(dossiers=2, phase=Phase.NOTATION)
    membre = seance.membres[0].utilisateur
    for point in seance.ordre_du_jour:
        fab.feuille(seance, point.dossier, membre)
    db.session.commit()
    attendus, _ = resultats.calculer_agregats(seance)
    db.session.execute(sa_delete(AgregatSeance))
    db.session.commit()
    assert resultats.agregats_seance(seance)[0] == attendus
    assert "1 séance(s)" in runner.invoke(args=["notation", "agregats"]).output
    assert db.session.scalar(select(AgregatSeance.seance_id).limit(1)) == seance.id
    assert resultats.agregats_seance(seance)[0] == attendus
    assert "0 séance(s)" in runner.invoke(args=["notation", "agregats"]).output
