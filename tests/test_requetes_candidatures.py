"""The dossier list and the dossier page run a number of SQL queries that does not grow with the number of
dossiers, pieces or budget lines (eager loading), measured with SQLAlchemy's `before_cursor_execute`."""

from contextlib import contextmanager

from sqlalchemy import event

from aap.extensions import db

from . import contenus

MESURES = {}


@contextmanager
def compter():
    requetes = []

    def noter(connexion, curseur, instruction, parametres, contexte, multiple):
        requetes.append(instruction)

    event.listen(db.engine, "before_cursor_execute", noter)
    try:
        yield requetes
    finally:
        event.remove(db.engine, "before_cursor_execute", noter)


def nombre_de_requetes(session, url):
    with compter() as requetes:
        reponse = session.get(url)
    assert reponse.status_code == 200, url
    return len(requetes)


def test_la_liste_et_la_page_ne_grandissent_pas_avec_les_donnees(fab, client_de):
    campagne = fab.campagne_ouverte(fab.service())
    structure = fab.structure_complete(service=campagne.service)
    premiers = [fab.dossier(statut="depose", campagne=campagne, structure=structure) for _ in range(5)]
    agent = client_de(fab.agent_de(campagne.service))
    porteur = client_de(fab.porteur_de(structure))
    adresses = {
        "liste (agent)": "/dossiers/",
        "liste filtrée (agent)": "/dossiers/?poste=facilitateur&commune=97611&q=facilitation&tri=structure",
        "liste (porteur)": "/dossiers/",
        "page du dossier (agent)": f"/dossiers/{premiers[0].id}",
        "page du dossier (porteur)": f"/dossiers/{premiers[0].id}",
        "étape budget (porteur)": None,
        "étape pièces (porteur)": None,
    }
    brouillon = fab.dossier(statut="brouillon", campagne=campagne, structure=structure)
    adresses["étape budget (porteur)"] = f"/dossiers/{brouillon.id}/etapes/budget"
    adresses["étape pièces (porteur)"] = f"/dossiers/{brouillon.id}/etapes/pieces"
    db.session.commit()

    def mesurer():
        return {nom: nombre_de_requetes(porteur if "porteur" in nom else agent, url) for nom, url in adresses.items()}

    mesurer()  # premier passage : caches de l'application chauds
    avec_5 = mesurer()

    for _ in range(55):  # plus de deux pages de liste
        fab.dossier(statut="depose", campagne=campagne, structure=structure)
    # Le brouillon prend 16 pièces de plus (dont 8 versions remplacées, dans l'historique).
    for i in range(8):
        fab.piece(brouillon, "autre", contenu=contenus.pdf(f"annexe {i}"), libelle=f"Annexe {i}")
        fab.piece(brouillon, "comptes_annuels", contenu=contenus.pdf(f"comptes v{i}"))
    db.session.commit()
    avec_60 = mesurer()

    MESURES.update({nom: (avec_5[nom], avec_60[nom]) for nom in adresses})
    print("\nRequêtes SQL (5 dossiers → 60 dossiers) :", MESURES)
    assert avec_60 == avec_5
    assert max(avec_60.values()) <= 30
