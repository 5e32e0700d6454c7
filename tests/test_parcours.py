"""The seams between steps, without dead ends: each role lands on its next step after login; compléments lead to
the first item reopened and block a new filing until each item asked has changed; the agent's "À faire" lists
the conventions to prepare and the dossiers waiting for their completeness decision; a retenu dossier leads to
its convention; a COPIL member sees what is left to score."""

import io
import re
from datetime import timedelta
from unittest import mock

import pytest

from aap.extensions import db
from aap.pdf import pdf_minimal
from aap.types import maintenant
from conventions import documents as documents_conventions
from notation.models import Phase

from . import contenus
from .conftest import connecter, texte
from .fabrique_conventions import _DOCX as DOCX_MINIMAL

AUTO = {"X-Enregistrement-Auto": "1", "Accept": "application/json"}


@pytest.mark.parametrize(
    ("role", "profil_complet", "attendu"),
    [
        ("porteur", True, "/dossiers/"),
        ("porteur", False, "/structure"),
        ("copil", True, "/copil/"),
        ("agent", True, "/conventions/a-faire"),
        ("admin", True, "/conventions/a-faire"),
        ("national", True, "/conventions/a-faire"),
    ],
)
def test_chaque_role_arrive_sur_sa_prochaine_etape(client, fab, role, profil_complet, attendu):
    if role == "porteur":
        structure = fab.structure_complete() if profil_complet else fab.structure(service=fab.service())
        personne = fab.porteur_de(structure)
    else:
        personne = fab.utilisateur(role)
    assert connecter(client, personne).headers["Location"] == attendu
    assert client.get("/connexion").headers["Location"] == attendu  # déjà connecté : même destination


def _demander_complements(client_de, fab, rubriques=("budget",), pieces=("comptes_annuels",)):
    dossier = fab.dossier(statut="depose")
    agent = fab.agent_de(dossier.campagne.service)
    reponse = client_de(agent).post(
        f"/dossiers/{dossier.id}/complements",
        data={
            "rubriques": list(rubriques),
            "pieces": list(pieces),
            "date_limite": (maintenant().date() + timedelta(days=10)).isoformat(),
            "message": "Le budget ne tient pas compte du FSE ; joignez les comptes 2024.",
        },
    )
    assert reponse.status_code == 302
    db.session.refresh(dossier)
    return dossier, client_de(fab.porteur_de(dossier.structure))


def _bloquants(session, dossier):
    return [(c["code"], c.get("message", "")) for c in _controles(session, dossier) if c["niveau"] == "bloquant"]


def _controles(session, dossier):
    liste = session.get(f"/dossiers/{dossier.id}/controles").json["fragments"]["liste-controles"]
    return [
        {"code": code, "niveau": "bloquant" if "Bloquant" in bloc else "avertissement", "message": bloc}
        for code, bloc in re.findall(r'data-code="([a-z_]+)"(.*?)</li>', liste, re.S)
    ]


def test_apporter_les_complements_mene_au_premier_element_rouvert(client_de, fab):
    dossier, session = _demander_complements(client_de, fab, rubriques=("activite", "budget"))
    page = texte(session.get(f"/dossiers/{dossier.id}"))
    bouton = re.search(r'href="([^"]+)" id="bouton-reprise">Apporter les compléments', page).group(1)
    assert bouton == f"/dossiers/{dossier.id}/etapes/activite"
    assert session.get(bouton).status_code == 200  # l'étape est ouverte : pas de renvoi silencieux au dossier
    # La page du dossier dit ce qui est demandé, le message de l'agent et la date limite.
    limite = (maintenant().date() + timedelta(days=10)).day
    assert "Le budget ne tient pas compte du FSE" in page and f"À fournir avant le {limite} " in page
    assert "l'étape « Activité visée et calendrier »" in page and "la pièce « Comptes annuels »" in page


def test_deposer_de_nouveau_sans_rien_changer_est_bloque_en_nommant_ce_qui_reste(client_de, fab):
    dossier, session = _demander_complements(client_de, fab)
    bloquants = _bloquants(session, dossier)
    assert [code for code, _ in bloquants] == ["complement_attendu", "complement_attendu"]
    assert "« Le budget »" in bloquants[0][1] and "« Comptes annuels »" in bloquants[1][1]
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    assert reponse.status_code == 422 and "« Le budget »" in texte(reponse)
    assert "Aucun point bloquant" not in texte(session.get(f"/dossiers/{dossier.id}"))

    # Le budget enregistré tel quel n'est pas un changement ; une ligne modifiée en est un.
    lignes = {"collectivites_precision": "Conseil départemental de Mayotte"}
    lignes |= {f"{c}_1": m for c, m in (("salaires", "42000"), ("etat_aap", "29400"), ("collectivites", "12600"))}
    session.post(f"/dossiers/{dossier.id}/etapes/budget", headers=AUTO, data={"version": dossier.version} | lignes)
    db.session.refresh(dossier)
    assert [m for _, m in _bloquants(session, dossier)] and "« Le budget »" not in str(_bloquants(session, dossier))
    session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "comptes_annuels", "fichier": (io.BytesIO(contenus.pdf("Comptes 2024")), "comptes-2024.pdf")},
        content_type="multipart/form-data",
    )
    db.session.refresh(dossier)
    assert _bloquants(session, dossier) == []
    assert session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version}).status_code == 302


def test_a_faire_de_l_agent_conventions_a_preparer_et_dossiers_a_declarer_complets(client_de, fab):
    decision = fab.decision()
    service = decision.dossier.service
    depose = fab.dossier(statut="depose", campagne=decision.dossier.campagne)
    agent = fab.agent_de(service)
    page = texte(client_de(agent).get("/conventions/a-faire"))
    preparer = page.split('id="conventions-a-preparer"')[1].split("</table>")[0]
    assert decision.dossier.numero in preparer and f"/conventions/nouvelle/{decision.id}" in preparer
    assert "Dans 15 j" in preparer
    declarer = page.split('id="dossiers-a-declarer"')[1].split("</table>")[0]
    assert depose.numero in declarer and f"/dossiers/{depose.id}#decisions" in declarer
    # Le porteur et le lecteur national n'ont pas ces listes (ce n'est pas à eux de les faire).
    national = texte(client_de(fab.utilisateur("national")).get("/conventions/a-faire"))
    assert "conventions-a-preparer" not in national and "dossiers-a-declarer" not in national


def test_un_dossier_retenu_mene_a_sa_convention(client_de, fab):
    decision = fab.decision()
    dossier = decision.dossier
    agent, porteur = fab.agent_de(dossier.service), fab.porteur_de(dossier.structure)
    assert f'href="/conventions/nouvelle/{decision.id}" id="lien-convention"' in texte(
        client_de(agent).get(f"/dossiers/{dossier.id}")
    )
    page_porteur = texte(client_de(porteur).get(f"/dossiers/{dossier.id}"))
    assert 'id="lien-convention"' not in page_porteur and "la DEETS la prépare" in page_porteur

    # Les documents de la convention : d'une page (WeasyPrint coûte une seconde chacun et ne prouve rien ici).
    with (
        mock.patch.object(documents_conventions, "pdf", lambda annee: pdf_minimal(annee.intitule)),
        mock.patch.object(documents_conventions, "docx_", lambda annee: DOCX_MINIMAL),
    ):
        convention = fab.convention(decision=decision, par=agent)
    page_porteur = texte(client_de(porteur).get(f"/dossiers/{dossier.id}"))
    assert f'href="/conventions/{convention.id}" id="lien-convention">Lire la convention' in page_porteur
    assert "est à signer au plus tard le" in page_porteur
    fab.signer(convention.premiere, maintenant().date(), par=agent)
    page_porteur = texte(client_de(porteur).get(f"/dossiers/{dossier.id}"))
    assert "est signée depuis le" in page_porteur and "à signer" not in page_porteur


def test_le_membre_du_copil_voit_ce_qui_lui_reste_a_noter(client_de, fab):
    membre = fab.utilisateur("copil")
    seance = fab.seance(phase=Phase.NOTATION, membres=[membre], dossiers=3)
    dossiers = [p.dossier for p in seance.ordre_du_jour]
    fab.feuille(seance, dossiers[0], membre)
    fab.declaration(seance, dossiers[1], membre, conflit=True, nature="Administrateur de la structure")
    db.session.commit()
    bloc = texte(client_de(membre).get("/copil/")).split('id="a-noter"')[1].split("</div>")[0]
    assert f"/copil/seances/{seance.id}" in bloc and "1 dossier à noter" in bloc


def test_une_page_de_refus_a_toujours_un_chemin_de_retour(client_de, fab):
    national = client_de(fab.utilisateur("national"))
    reponse = national.get("/admin/comptes", headers={"Referer": "http://localhost/conventions/a-faire?page=2"})
    page = texte(reponse)
    assert reponse.status_code == 403
    assert 'href="http://localhost/conventions/a-faire?page=2" id="lien-precedente">Revenir à la page précédente' in page
    assert 'href="/conventions/a-faire">Retour à mon espace' in page
    ailleurs = texte(national.get("/admin/comptes", headers={"Referer": "https://pirate.example/"}))
    assert "pirate.example" not in ailleurs  # seulement une page de ce site


def test_les_mots_disent_ce_qui_se_passe(client_de, fab):
    """Plain words where codes, JSON or a wrong direction used to show."""
    dossier = fab.dossier(statut="brouillon", complet=False)
    porteur = client_de(fab.porteur_de(dossier.structure))
    depot = texte(porteur.get(f"/dossiers/{dossier.id}/depot"))
    assert "(code " not in depot and "à droite" not in depot and "de la liste" in depot
    assert 'data-occupe="Dépôt en cours' in depot  # le dépôt annonce qu'il est en cours (aap.js)
    # Une pièce envoyée par le script : le message s'affiche à la page qu'il recharge.
    porteur.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "autre", "libelle": "Lettre de soutien", "fichier": (io.BytesIO(contenus.pdf()), "soutien.pdf")},
        content_type="multipart/form-data",
        headers=AUTO,
    )
    assert "« soutien.pdf » est ajouté (Lettre de soutien)." in texte(porteur.get(f"/dossiers/{dossier.id}/etapes/pieces"))

    agent = client_de(fab.agent_de(dossier.service))
    fab.dossier(statut="depose", campagne=dossier.campagne)
    journal = texte(agent.get("/journal"))
    assert "Dossier déposé" in journal and "dossier.depot" not in journal and '{"' not in journal
    assert re.search(r"\d{1,2}(er)? \w+ \d{4} à \d{1,2}\s?h\s?\d{2}", journal)  # l'heure au format de la maison
    tableau = texte(agent.get("/conventions/tableau-de-bord"))
    assert "flask --app" not in tableau


@pytest.mark.parametrize("largeur_montant", ["570 000,00", "1 570 000,00"])
def test_les_montants_des_barres_tiennent_dans_le_graphique(app, largeur_montant):
    """A bar's amount sits in the chart's width, the longest bar included (once: « … 57 » for 570 000,00 €)."""
    from decimal import Decimal

    from flask import render_template_string

    montant = Decimal(largeur_montant.replace(" ", "").replace(",", "."))
    with app.test_request_context():
        svg = render_template_string(
            '{% from "conventions/_outils.html" import barres %}{{ barres("g", "Titre", series) }}',
            series=[("Crédits", montant), ("Versé", montant / 3)],
        )
    largeur = int(re.search(r'viewBox="0 0 (\d+)', svg).group(1))
    x = max(float(v) for v in re.findall(r'<text x="([\d.]+)"[^>]*class="aap-graphique__valeur"', svg))
    texte_montant = re.findall(r'class="aap-graphique__valeur">([^<]+)<', svg)[0]
    assert x + len(texte_montant) * 8 <= largeur  # 13 px par caractère au plus large : 8 unités en moyenne
