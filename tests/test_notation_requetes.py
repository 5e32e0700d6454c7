"""The ranking of a session, and a member's scoring page, cost the same number of SQL statements for 10
dossiers as for 60, scored by 8 members each (statements counted with a `before_cursor_execute` listener),
and at most 15."""

import contextlib
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, select

from aap.extensions import db
from notation.models import AgregatSeance, Declaration, FeuilleNotation, Note, Phase

from .conftest import ClientIsole

MEMBRES = 8


@contextlib.contextmanager
def compteur():
    instructions = []

    def compter(conn, cursor, statement, parameters, context, executemany):
        instructions.append(statement)

    event.listen(db.engine, "before_cursor_execute", compter)
    ClientIsole.distribuer = False  # le tour du travailleur des courriels après la requête n'est pas la page
    try:
        yield instructions
    finally:
        ClientIsole.distribuer = True
        event.remove(db.engine, "before_cursor_execute", compter)


def seance_notee(fab, nombre, phase=Phase.DELIBERATION):
    campagne = fab.campagne(etat="cloturee", credits=Decimal("1000000.00"))
    service = campagne.service
    membres = [fab.utilisateur("copil", service=service) for _ in range(MEMBRES)]
    structures = [fab.structure(service=service) for _ in range(5)]
    dossiers = [
        fab.dossier_pour_copil(
            campagne=campagne, structure=structures[i % 5], porteur=False, montant_demande=Decimal(20000 + 37 * i)
        )
        for i in range(nombre)
    ]
    seance = fab.seance(campagne=campagne, membres=membres, dossiers=dossiers, phase=phase)
    criteres = campagne.criteres
    for i, dossier in enumerate(dossiers):
        for j, membre in enumerate(membres):
            deporte = (i + j) % 17 == 0
            db.session.add(
                Declaration(
                    seance_id=seance.id,
                    dossier_id=dossier.id,
                    membre_id=membre.id,
                    conflit=deporte,
                    nature="Lien avec la structure" if deporte else "",
                )
            )
            if deporte:
                continue
            feuille = FeuilleNotation(
                seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, avis="favorable", soumise_le=seance.cree_le
            )
            feuille.notes = [
                Note(
                    critere_id=c.id,
                    maximum=Decimal(c.maximum),
                    points=Decimal((i * 7 + j * 3 + k) % (c.maximum * 2 + 1)) / 2,
                    commentaire="",
                )
                for k, c in enumerate(criteres)
            ]
            db.session.add(feuille)
    fab.decision(dossier=dossiers[0], seance=seance, notifie_le=None)
    db.session.commit()
    return seance


@pytest.mark.parametrize("canal", ["page", "api"])
def test_classement_en_nombre_de_requetes_borne(app, fab, client_de, canal):
    mesures = {}
    for nombre in (10, 60):
        seance = seance_notee(fab, nombre)
        agent = fab.utilisateur("agent", service=seance.campagne.service)
        if canal == "page":
            client, entetes, adresse = client_de(agent), {}, f"/copil/seances/{seance.id}/classement?normalise=1"
        else:
            client = app.test_client()
            entetes = {"Authorization": f"Bearer {fab.jeton(agent)[0]}"}
            adresse = f"/api/v1/seances/{seance.id}/classement?normalise=true"
        client.get(adresse, headers=entetes)  # une première fois : caches de l'application chauds
        with compteur() as instructions:
            reponse = client.get(adresse, headers=entetes)
        assert reponse.status_code == 200
        if canal == "api":
            assert len(reponse.json["lignes"]) == nombre
        else:
            assert reponse.get_data(as_text=True).count('id="ligne-') == nombre
        mesures[nombre] = len(instructions)
    print(f"\nclassement ({canal}) : {mesures[10]} requêtes pour 10 dossiers, {mesures[60]} pour 60")
    assert mesures[10] == mesures[60] <= 15, mesures


@pytest.mark.parametrize("soumise", [False, True])
def test_page_de_notation_en_nombre_de_requetes_borne(fab, client_de, soumise):
    """The page a member scores on: the dossier's synthesis and his sheet (a draft: the form), or once
    submitted, the session's aggregates for the dossier."""
    mesures = {}
    for nombre in (10, 60):
        seance = seance_notee(fab, nombre, phase=Phase.NOTATION)
        membre = seance.membres[1].utilisateur
        dossier_id = seance.ordre_du_jour[1].dossier_id
        if not soumise:
            feuille = db.session.scalar(
                select(FeuilleNotation).filter_by(seance_id=seance.id, dossier_id=dossier_id, membre_id=membre.id)
            )
            feuille.soumise_le = None
            db.session.commit()
        client = client_de(membre)
        adresse = f"/copil/seances/{seance.id}/dossiers/{dossier_id}"
        client.get(adresse)
        with compteur() as instructions:
            reponse = client.get(adresse)
        assert reponse.status_code == 200
        assert ('name="points_' in reponse.get_data(as_text=True)) is not soumise
        mesures[nombre] = len(instructions)
    assert mesures[10] == mesures[60] <= 15, mesures


def test_classement_lu_en_lignes_egal_au_classement_calcule(fab, client_de):
    """The ranking page reads the stored totals and disagreements as rows: the same page as when the session's
    aggregates are not stored yet and are computed from every score (a database before `flask notation agregats`)."""
    seance = seance_notee(fab, 12)
    client = client_de(fab.utilisateur("agent", service=seance.campagne.service))
    adresse = f"/copil/seances/{seance.id}/classement?normalise=1"
    lue = client.get(adresse).get_data(as_text=True)
    assert "Désaccord (" in lue
    db.session.execute(delete(AgregatSeance).where(AgregatSeance.seance_id == seance.id))
    db.session.commit()
    calculee = client.get(adresse).get_data(as_text=True)
    assert lue.count('id="ligne-') == 12
    assert calculee[calculee.index('id="credits"') :] == lue[lue.index('id="credits"') :]
