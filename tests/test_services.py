"""Per-service settings: the administrator of a service edits them on a page (errors next to their fields, a
summary, every value typed kept), every change is in the audit log; and a second service (La Réunion) gets its
own communes and its own time in pages, with nothing of Mayotte."""

import io
import json
import re
from datetime import UTC, timedelta

import openpyxl
from sqlalchemy import func, select

from aap.extensions import db
from aap.models import Commune, EntreeJournal
from aap.types import maintenant
from notation.models import Seance

from .conftest import texte
from .factories import SERVICES

# Les réglages de La Réunion des fabriques, tels qu'un administrateur les tape (le SIRET avec ses espaces).
REGLAGES = SERVICES["974"] | {"courriel": "dets-974@deets.gouv.fr", "siret": "130 009 749 00016"}


def test_l_administrateur_regle_son_service_sur_une_page(client_de, fab):
    service = fab.service(code="974")
    admin = fab.utilisateur("admin", service=service)
    session = client_de(admin)
    assert "Réglages du service" in texte(session.get("/admin/comptes"))
    page = texte(session.get("/admin/service"))
    assert "Saint-Denis" in page and "Mayotte" not in page

    fautif = REGLAGES | {"fuseau": "Indian/Atlantide", "code_postal": "974", "departements": "97A", "signataire_nom": ""}
    reponse = session.post("/admin/service", data=fautif)
    page = texte(reponse)
    assert reponse.status_code == 422 and "Le formulaire contient 4 erreurs" in page
    for message in (
        "Fuseau horaire inconnu",
        "Le code postal compte 5 chiffres",
        "Code de département invalide : 97A",
        "Indiquez le nom du signataire",
    ):
        assert message in page, message
    for valeur in ("Indian/Atlantide", "97A", "Saint-Denis Cedex", "tribunal administratif de La Réunion"):
        assert f'value="{valeur}"' in page, valeur  # tout ce qui a été tapé revient

    # 975 (Saint-Pierre-et-Miquelon) s'ajoute : ses communes sont chargées du référentiel officiel.
    reponse = session.post("/admin/service", data=REGLAGES | {"departements": "974 975", "signataire_nom": "Payet"})
    assert reponse.status_code == 302
    db.session.refresh(service)
    assert (
        service.signataire == "Marie Payet" and service.siret == "13000974900016" and service.codes_departements == ("974", "975")
    )
    assert db.session.scalar(select(func.count(Commune.code)).where(Commune.departement == "975")) == 2
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "service.modification"))
    assert json.loads(entree.details)["signataire_nom"] == ["Hoarau", "Payet"] and entree.acteur == admin.email


def test_la_reunion_a_ses_communes_et_son_heure(client_de, fab):
    service = fab.service(code="974")
    fab.communes("974")
    fab.communes("976")
    campagne = fab.campagne(service=service)
    dossier = fab.dossier(statut="brouillon", campagne=campagne)
    porteur = fab.porteur_de(dossier.structure)
    session = client_de(porteur)
    page = session.get(f"/dossiers/{dossier.id}/etapes/territoire").get_data(as_text=True)
    assert "Saint-Paul" in page and "Saint-Denis" in page
    assert "Mamoudzou" not in page and "Dembeni" not in page
    # Les dates de la campagne de La Réunion à son heure (UTC+4), pas à celle de Mayotte (UTC+3).
    page = texte(session.get(f"/campagnes/{campagne.id}"))
    local = campagne.cloture_le + timedelta(hours=4)
    assert f"à {local.hour}\u00a0h\u00a0{local:%M} (heure de La Réunion)" in page and "heure de Mayotte" not in page
    profil = session.get("/structure").get_data(as_text=True)
    assert not re.search(r"Mamoudzou|Koungou", profil)


def test_la_reunion_exporte_et_reunit_son_copil_a_son_heure(client_de, fab):
    """The dossier export and a new COPIL session of La Réunion read their hours in Indian/Reunion (UTC+4), not in
    the platform's default zone (FUSEAU, Mayotte's)."""
    service = fab.service(code="974")
    campagne = fab.campagne(service=service, etat="cloturee")
    dossier = fab.dossier(statut="depose", campagne=campagne)
    agent = fab.utilisateur("agent", service=service)
    membre = fab.utilisateur("copil", service=service)
    db.session.commit()
    session = client_de(agent)
    feuille = openpyxl.load_workbook(io.BytesIO(session.get("/dossiers/export.xlsx").data)).active
    colonnes = [c.value for c in feuille[1]]
    depose = feuille.cell(2, colonnes.index("Déposé le") + 1).value
    assert abs(depose - (dossier.depose_le + timedelta(hours=4)).replace(tzinfo=None)) < timedelta(minutes=1)
    jour = (maintenant() + timedelta(days=20)).strftime("%Y-%m-%d")
    formulaire = {
        "campagne_id": str(campagne.id),
        "date": jour,
        "heure": "09:30",
        "lieu": "DEETS, Saint-Denis",
        "lien_visio": "",
        "president_id": str(agent.id),
        "membres": [str(membre.id)],
        "seuil_desaccord": "40",
    }
    assert session.post("/copil/seances/nouvelle", data=formulaire).status_code == 302
    seance = db.session.scalar(select(Seance).where(Seance.service_id == service.id))
    assert (seance.tenue_le.astimezone(UTC).hour, seance.tenue_le.astimezone(UTC).minute) == (5, 30)  # 9 h 30 à La Réunion
