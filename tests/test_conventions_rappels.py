"""The daily reminders command: each deadline's reminder (before it, then late) reaches the people concerned once,
however many times the command runs — counted at a real SMTP server."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from aap.aap2022 import MAYOTTE
from aap.courriels import envoyer_en_attente
from aap.extensions import db
from aap.models import Courriel
from conventions import lecture

from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)


def a_mayotte(annee, mois, jour, heure=7):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


def rappels(runner):
    """The command queues the reminders; a round of the email worker sends them (at the same travelled time)."""
    resultat = runner.invoke(args=["conventions", "rappels"])
    assert resultat.exit_code == 0, resultat.output
    envoyer_en_attente()
    return int(resultat.output.split()[0])


@pytest.mark.usefixtures("documents_rapides")
def test_chaque_rappel_part_une_fois_meme_si_la_commande_tourne_deux_fois(fab, runner, serveur_smtp):
    decision = fab.decision(montant_accorde=Decimal("35000.00"), notifie_le=a_mayotte(2030, 1, 10, 10))
    convention = fab.convention(decision=decision, date_effet=date(2030, 2, 1))
    agent = convention.agent
    porteurs = [m.email for m in convention.structure.membres if m.role == "porteur"]
    envoyer_en_attente()  # les courriels de la création partent d'abord
    serveur_smtp.vider()

    with time_machine.travel(a_mayotte(2030, 1, 19), tick=False):  # 6 jours avant la limite : pas encore
        assert rappels(runner) == 0
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):  # 5 jours avant : l'agent et la structure
        assert rappels(runner) == 1 + len(porteurs)
        assert rappels(runner) == 0
    with time_machine.travel(a_mayotte(2030, 1, 24), tick=False):
        assert rappels(runner) == 0
    with time_machine.travel(a_mayotte(2030, 1, 26), tick=False):  # le 16e jour : en retard
        assert rappels(runner) == 1 + len(porteurs)
        assert rappels(runner) == 0
    sujets = [m["Subject"] for m in serveur_smtp.pour(agent.email)]
    assert sujets == [
        f"Rappel : signature de la convention — convention {convention.numero}",
        f"En retard : signature de la convention — convention {convention.numero}",
    ]
    for adresse in porteurs:
        assert len(serveur_smtp.pour(adresse)) == 2, [m["Subject"] for m in serveur_smtp.pour(adresse)]
    corps = serveur_smtp.texte(serveur_smtp.pour(agent.email)[1])
    assert "attendu au plus tard le 25 janvier 2030 (1 jour de retard)" in corps
    assert f"/conventions/{convention.id}" in corps

    # Signée (en retard), l'avance attend d'être mise en paiement : un rappel à l'agent, une fois ; le bilan
    # intermédiaire (dû le 1er août) fait l'objet d'un rappel à la structure 15 jours avant, puis d'un retard.
    with time_machine.travel(a_mayotte(2030, 1, 27), tick=False):
        fab.signer(lecture.charger(convention.id).premiere, date(2030, 1, 27), par=agent)
        envoyer_en_attente()
        serveur_smtp.vider()
        assert rappels(runner) == 1
        assert rappels(runner) == 0
    assert [m["Subject"] for m in serveur_smtp.messages] == [
        f"Rappel : mettre en paiement l'avance de l'année 1 (17\u202f500,00\u00a0€) — convention {convention.numero}"
    ]
    with time_machine.travel(a_mayotte(2030, 2, 27), tick=False):  # 31 jours après : le versement est en retard
        fab.payer(lecture.charger(convention.id).premiere.avance, paye_le=date(2030, 2, 27), par=agent)
        envoyer_en_attente()
    serveur_smtp.vider()
    with time_machine.travel(a_mayotte(2030, 7, 17), tick=False):
        assert rappels(runner) == len(porteurs)
    with time_machine.travel(a_mayotte(2030, 8, 2), tick=False):
        assert rappels(runner) == len(porteurs)
        assert rappels(runner) == 0
    for adresse in porteurs:
        assert [m["Subject"].split(" :")[0] for m in serveur_smtp.pour(adresse)] == ["Rappel", "En retard"]
    cles = db.session.scalars(select(Courriel.cle).where(Courriel.cle.like("rappel-convention:%"))).all()
    assert len(cles) == len(set(cles))


@pytest.mark.usefixtures("documents_rapides")
def test_le_rappel_du_compte_rendu_financier_dit_la_regle_du_solde(fab, runner, serveur_smtp):
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        decision = fab.decision(montant_accorde=Decimal("35000.00"), notifie_le=a_mayotte(2030, 1, 10, 10))
        convention = fab.convention(decision=decision, date_effet=date(2030, 2, 1), signee=True, avance_payee=True)
        envoyer_en_attente()
    serveur_smtp.vider()
    porteur = next(m.email for m in convention.structure.membres if m.role == "porteur")
    with time_machine.travel(a_mayotte(2031, 7, 16), tick=False):  # 15 jours avant le 31 juillet 2031
        rappels(runner)
    (message,) = [m for m in serveur_smtp.pour(porteur) if "compte rendu financier" in m["Subject"].lower()]
    assert message["Subject"].startswith("Rappel : déposer : Compte rendu financier")
    corps = " ".join(serveur_smtp.texte(message).split())
    assert "au plus tard le 31 juillet 2031" in corps
    assert (
        "Le solde de l'année est versé sur le compte rendu financier approuvé : l'État doit au plus 70 % des dépenses "
        "éligibles réellement engagées, dans la limite de la subvention de l'année" in corps.replace("\u202f", " ")
    )
