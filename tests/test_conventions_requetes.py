"""The conventions' pages and API answers run a number of SQL statements that does not grow with the number of
conventions, years, payments or reports (eager loading), counted with SQLAlchemy's `before_cursor_execute`."""

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import time_machine
from sqlalchemy import event

from aap.aap2022 import MAYOTTE
from aap.extensions import db
from conventions import avenants, lecture

from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)

BORNE = 25


def a_mayotte(annee, mois, jour, heure=10):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


@contextmanager
def compter():
    instructions = []

    def noter(connexion, curseur, instruction, parametres, contexte, multiple):
        instructions.append(instruction)

    event.listen(db.engine, "before_cursor_execute", noter)
    try:
        yield instructions
    finally:
        event.remove(db.engine, "before_cursor_execute", noter)


def mesurer(client, adresse, entetes=None):
    client.get(adresse, headers=entetes or {})  # caches de l'application chauds
    with compter() as instructions:
        reponse = client.get(adresse, headers=entetes or {})
    assert reponse.status_code == 200, adresse
    return len(instructions)


def ajouter(fab, campagne, agent, nombre):
    conventions = []
    for _ in range(nombre):
        dossier = fab.dossier_pour_copil(campagne=campagne, montant_demande=Decimal("30000.00"))
        decision = fab.decision(dossier=dossier, notifie_le=a_mayotte(2030, 1, 10))
        conventions.append(fab.convention(decision=decision, date_effet=date(2030, 2, 1), par=agent, signee=True))
    return conventions


def test_pages_et_api_en_nombre_de_requetes_borne(app, fab, client_de, documents_rapides):  # noqa: F811
    campagne = fab.campagne(etat="cloturee", credits=Decimal("5000000.00"))
    agent = fab.utilisateur("agent", service=campagne.service)
    national = fab.utilisateur("national")
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        premieres = ajouter(fab, campagne, agent, 3)
    porteur = next(m for m in premieres[0].structure.membres if m.role == "porteur")
    bilan = premieres[0].premiere.bilans[0]
    adresses = {
        "liste": "/conventions/",
        "à faire": "/conventions/a-faire",
        "tableau de bord": "/conventions/tableau-de-bord",
        "convention": f"/conventions/{premieres[0].id}",
        "bilan": f"/conventions/{premieres[0].id}/bilans/{bilan.id}",
        "renouvellement": f"/conventions/{premieres[0].id}/renouvellement",
    }
    api = [
        "/api/v1/conventions",
        f"/api/v1/conventions/{premieres[0].id}",
        "/api/v1/a-faire",
        "/api/v1/tableau-de-bord",
        "/api/v1/versements",
        f"/api/v1/bilans/{bilan.id}",
    ]

    def tout_mesurer():
        with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
            pour_agent, pour_porteur, pour_national = client_de(agent), client_de(porteur), client_de(national)
            mesures = {f"{nom} (agent)": mesurer(pour_agent, adresse) for nom, adresse in adresses.items()}
            mesures |= {
                f"{nom} (porteur)": mesurer(pour_porteur, adresses[nom]) for nom in ("liste", "à faire", "convention", "bilan")
            }
            mesures |= {f"{nom} (national)": mesurer(pour_national, adresses[nom]) for nom in ("à faire", "tableau de bord")}
            entetes = {"Authorization": f"Bearer {fab.jeton(agent)[0]}"}
            mesures |= {adresse: mesurer(app.test_client(), adresse, entetes) for adresse in api}
        return mesures

    avant = tout_mesurer()
    # Six conventions de plus, et la première renouvelée : deux années, deux fois plus de versements et de bilans.
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        ajouter(fab, campagne, agent, 6)
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        convention = lecture.charger(premieres[0].id)
        fab.payer(convention.premiere.avance, par=agent)
        fab.bilan_depose(convention.premiere.bilan_annuel, approuve=True, agent=agent)
        avenants.renouveler(
            lecture.charger(convention.id),
            montant="30000",
            objectifs={k: str(v) for k, v in convention.premiere.cibles().items()},
            par=agent,
        )
        db.session.commit()
    apres = tout_mesurer()
    print("\nrequêtes (3 conventions → 9) :", {nom: (avant[nom], apres[nom]) for nom in avant})
    assert avant == apres
    assert max(apres.values()) <= BORNE, apres
