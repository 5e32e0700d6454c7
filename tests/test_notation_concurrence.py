"""Real parallel requests against the served app (threads + requests): two decisions at once never overspend
the envelope, two tabs saving the same score sheet at once never both win, the reminder command run twice
at once sends each reminder once. On PostgreSQL (row locks) as on SQLite (the write lock)."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import requests
from sqlalchemy import func, select

from aap.extensions import db
from aap.models import Courriel
from notation import operations
from notation.models import Decision, FeuilleNotation, Phase


def en_meme_temps(*appels):
    """Runs the calls in threads released together; returns their results in order."""
    barriere = threading.Barrier(len(appels))
    resultats = [None] * len(appels)

    def lancer(i, appel):
        barriere.wait()
        resultats[i] = appel()

    fils = [threading.Thread(target=lancer, args=(i, a)) for i, a in enumerate(appels)]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join(30)
    return resultats


def test_deux_decisions_simultanees_ne_depassent_jamais_l_enveloppe(app, fab, serveur):
    for essai in range(3):
        campagne = fab.campagne(etat="cloturee", credits=Decimal("50000.00"))
        president = fab.utilisateur("agent", service=campagne.service)
        dossiers = [fab.dossier_pour_copil(campagne=campagne, montant_demande=Decimal("30000.00")) for _ in range(2)]
        seance = fab.seance(
            campagne=campagne, membres=[president], president=president, dossiers=dossiers, phase=Phase.DELIBERATION
        )
        # Deux onglets du président, ou le président et un agent (dossier où le président serait déporté) : même jeton ici.
        jeton = fab.jeton(president)[0]
        db.session.commit()

        adresses = [f"{serveur.url}/api/v1/seances/{seance.id}/dossiers/{d.id}/decision" for d in dossiers]
        entetes = {"Authorization": f"Bearer {jeton}"}

        def decider(adresse, entetes=entetes):
            return lambda: requests.put(
                adresse,
                json={"nature": "retenu", "montant_accorde": "30000.00", "etp_facilitateur": "1.0"},
                headers=entetes,
                timeout=30,
            )

        reponses = en_meme_temps(*(decider(a) for a in adresses))
        assert sorted(r.status_code for r in reponses) == [200, 422], (essai, [r.text for r in reponses])
        refus = next(r for r in reponses if r.status_code == 422).json()["errors"][0]
        assert refus["code"] == "credits_insuffisants" and "il reste 20\u202f000,00\xa0€" in refus["message"]
        db.session.expire_all()
        accorde = db.session.scalars(select(Decision.montant_accorde).where(Decision.seance_id == seance.id)).all()
        assert accorde == [Decimal("30000.00")]


def test_deux_onglets_enregistrent_la_meme_feuille_en_meme_temps(app, fab, serveur):
    campagne = fab.campagne(etat="cloturee")
    membre = fab.utilisateur("copil", service=campagne.service)
    dossier = fab.dossier_pour_copil(campagne=campagne)
    seance = fab.seance(campagne=campagne, membres=[membre], dossiers=[dossier], phase=Phase.NOTATION)
    fab.declaration(seance, dossier, membre)
    jeton = fab.jeton(membre)[0]
    db.session.commit()
    adresse = f"{serveur.url}/api/v1/seances/{seance.id}/dossiers/{dossier.id}/ma-feuille"

    def enregistrer(points, version):
        notes = [{"critere": c.code, "points": points} for c in campagne.criteres]
        return lambda: requests.put(
            adresse, json={"version": version, "notes": notes}, headers={"Authorization": f"Bearer {jeton}"}, timeout=30
        )

    premiers = en_meme_temps(enregistrer("1", 0), enregistrer("2", 0))
    assert sorted(r.status_code for r in premiers) == [200, 409], [r.text for r in premiers]
    gagnant = next(r for r in premiers if r.status_code == 200).json()
    suivants = en_meme_temps(enregistrer("3", 1), enregistrer("4", 1))
    assert sorted(r.status_code for r in suivants) == [200, 409], [r.text for r in suivants]
    db.session.expire_all()
    feuille = db.session.scalar(select(FeuilleNotation))
    assert feuille.version == 2 and gagnant["version"] == 1
    assert feuille.total in (Decimal("27"), Decimal("36"))
    assert db.session.scalar(select(func.count(FeuilleNotation.id))) == 1


def test_la_commande_de_rappel_lancee_deux_fois_a_la_fois(app, fab):
    campagne = fab.campagne(etat="cloturee")
    membres = [fab.utilisateur("copil", service=campagne.service) for _ in range(4)]
    fab.seance(
        campagne=campagne, membres=membres, dossiers=2, phase=Phase.NOTATION, tenue_le=datetime(2030, 6, 20, 6, 0, tzinfo=UTC)
    )
    db.session.commit()

    def rappeler():
        with app.app_context():
            nombre = operations.envoyer_rappels(instant=datetime(2030, 6, 19, 8, 0, tzinfo=UTC))
            db.session.commit()
            db.session.remove()
            return nombre

    resultats = en_meme_temps(rappeler, rappeler)
    assert sum(resultats) == 4
    assert db.session.scalar(select(func.count(Courriel.id)).where(Courriel.cle.like("rappel-notation:%"))) == 4
