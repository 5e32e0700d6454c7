"""Per-service settings: the administrator of a service edits them on a page (errors next to their fields, a
summary, every value typed kept), every change is in the audit log; and a second service (La Réunion) gets its
own communes and its own time in pages, with nothing of Mayotte."""

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from aap.extensions import db
from aap.models import Commune, EntreeJournal

from .conftest import texte

REGLAGES = {
    "nom": "DEETS de La Réunion",
    "intitule_officiel": "Préfet de La Réunion",
    "prefet": "préfet de La Réunion",
    "departements": "974",
    "fuseau": "Indian/Reunion",
    "adresse": "112, rue de la République",
    "code_postal": "97488",
    "commune": "Saint-Denis Cedex",
    "telephone": "02 62 94 07 07",
    "courriel": "dets-974@deets.gouv.fr",
    "lieu_signature": "Saint-Denis",
    "signataire_prenom": "Marie",
    "signataire_nom": "Hoarau",
    "signataire_qualite": "directrice de l'économie, de l'emploi, du travail et des solidarités",
    "tribunal": "tribunal administratif de La Réunion",
    "siret": "130 009 749 00016",
}


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
