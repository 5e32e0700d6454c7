"""A form that comes back after an error keeps every value the person had (house rule 6): on every page of the
product with a form (the POST routes of `tests/table_autorisations.py`, each sent by the first actor let in, in
the world of that table), a person fills every field — a text too long for any field in each text box, so that the
form is refused, the last choice of each list, every box ticked, a file that is refused. The page that comes back
shows each value as typed, and the other forms of the page as they were before (once, the structure's profile came
back empty after a refused document, and saving it then wrote zeros over its figures).
"""

import io
from datetime import timedelta
from unittest import mock

import pytest

from aap.extensions import db, limiter
from aap.models import Campagne
from aap.pdf import pdf_minimal
from aap.types import maintenant
from conventions import documents as documents_conventions
from conventions import lecture as lecture_conventions
from notation.models import Phase

from .fabrique_conventions import _DOCX as DOCX_MINIMAL
from .formulaires_html import formulaires
from .monde_autorisations import construire
from .test_autorisations_routes import _sessions, _url
from .test_fuzz_formulaires import _routes_a_fuzzer

# Au-delà de la plus longue zone de texte (20 000 caractères) et du plus long champ d'une ligne (300).
TROP_LONG = {"textarea": 20_001, "autre": 301}
TEXTES = {"text", "textarea", "email", "tel", "url", "search", "number", "date", "time", "password"}
NON_REAFFICHES = {"password"}  # un mot de passe ne revient jamais dans la page
# Des formulaires que l'on doit voir revenir : ceux qui avaient perdu une saisie, et un de chaque domaine.
ATTENDUS = {
    "structures.structure",
    "structures.ajouter_document",
    "structures.ajouter_financement",
    "candidatures.etape",
    "candidatures.ajouter_piece",
    "candidatures.complements",
    "candidatures.nouveau",
    "structures.inscription",
    "comptes.connexion",
    "notation.dossier",
    "notation.nouvelle_seance",
    "conventions.signature",
    "conventions.paiement",
    "conventions.annulation",
    "conventions.ajustement",
    "conventions.bilan",
    "conventions.renouvellement",
    "campagnes.campagne",
    "admin.inviter",
}


@pytest.fixture
def sans_limite_de_debit():
    limiter.enabled = False
    yield
    limiter.enabled = True


def _autres_etats(fab, acteurs, ids):
    """The world's objects where the other forms show: a filed dossier of an emerging structure (completeness
    decisions, the comité technique's opinion), a session in scoring (its sheet, its agenda), a convention to sign,
    and a convention whose balance is payable (its payment, cancellation and reduction forms)."""
    campagne = db.session.get(Campagne, ids["campagne"])
    agent, membre = acteurs["agent"], acteurs["membre"]
    emergente = fab.structure_complete(service=campagne.service, emergente=True, raison_sociale="Structure émergente")
    depose = fab.dossier(statut="depose", campagne=campagne, structure=emergente)
    seance = fab.seance(
        campagne=campagne,
        phase=Phase.NOTATION,
        membres=[agent, membre],
        president=agent,
        dossiers=[fab.dossier_pour_copil(campagne=campagne)],
    )
    for personne in (agent, membre):
        fab.declaration(seance, seance.ordre_du_jour[0].dossier, personne)
    with (
        mock.patch.object(documents_conventions, "pdf", lambda annee: pdf_minimal(annee.intitule)),
        mock.patch.object(documents_conventions, "docx_", lambda annee: DOCX_MINIMAL),
    ):
        convention = fab.convention(par=agent, dossier=fab.dossier(statut="recevable", campagne=campagne), decide_par=agent)
        payable = _convention_payable(fab, campagne, agent)
    db.session.commit()
    return [
        ids | {"dossier": depose.id, "convention": convention.id},
        ids | {"seance": seance.id, "dossier": seance.ordre_du_jour[0].dossier_id},
        ids | {"convention": payable.id, "versement": payable.premiere.solde.id},
    ]


def _convention_payable(fab, campagne, agent):
    """A convention notified more than a year ago, signed, its advance paid and its first year's final account
    approved on spendings above the grant: its balance is to be paid."""
    decision = fab.decision(
        dossier=fab.dossier(statut="recevable", campagne=campagne),
        decide_par=agent,
        notifie_le=maintenant() - timedelta(days=400),
    )
    convention = fab.convention(decision=decision, par=agent, signee=True, avance_payee=True)
    compte_rendu = convention.premiere.compte_rendu_financier
    fab.bilan_depose(compte_rendu, depenses="1000000.00", approuve=True, agent=agent)
    convention = lecture_conventions.charger(convention.id)
    assert convention.premiere.solde.etat == "a_payer"
    return convention


# Où chercher le formulaire d'une route quand sa page n'est pas au-dessus de son adresse.
PAGES = {"/pieces": "/etapes/pieces"}


def _page_du_formulaire(client, url, lues):
    """(page, form) of the page that shows the form posting to `url`: that URL itself, or the nearest page up its
    path (a dossier's decisions are on the dossier's page, a payment on its convention's)."""
    chemin = url.split("?")[0]
    for fin, page in PAGES.items():
        if fin in chemin:
            chemin = chemin[: chemin.index(fin)] + page
    while chemin:
        if chemin not in lues:
            reponse = client.get(chemin)
            html = reponse.get_data(as_text=True) if reponse.status_code == 200 and reponse.mimetype == "text/html" else ""
            lues[chemin] = formulaires(html, "http://localhost" + chemin)
        trouve = next((f for f in lues[chemin] if f.action == url and f.methode == "post"), None)
        if trouve is not None:
            return chemin, trouve
        chemin = chemin.rsplit("/", 1)[0]
    return None, None


def _saisie(formulaire):
    """What a person sends: a long, distinct text in each text field, the last option of each list and radio group,
    every box ticked, a refused file, the first named button."""
    envoi, radios = {}, {}
    for rang, champ in enumerate(formulaire.champs):
        if champ.genre in TEXTES:
            envoi[champ.nom] = f"Saisie n° {rang} à garder " + "é" * TROP_LONG.get(champ.genre, TROP_LONG["autre"])
        elif champ.genre == "hidden":
            envoi.setdefault(champ.nom, champ.valeur)
        elif champ.genre == "select" and champ.options:
            envoi[champ.nom] = [v for v, _ in champ.options] if champ.multiple else champ.options[-1][0]
        elif champ.genre == "checkbox":
            envoi.setdefault(champ.nom, []).append(champ.valeur or "on")
        elif champ.genre == "radio":
            radios[champ.nom] = champ.valeur
        elif champ.genre == "file":
            envoi[champ.nom] = (io.BytesIO(b"MZ\x90\x00 pas un document"), "programme.exe")
        elif champ.genre == "submit" and champ.nom not in envoi:
            envoi[champ.nom] = champ.valeur
    return envoi | radios


def _ecarts(envoye, revenu):
    """The fields whose value did not come back as sent."""
    ecarts = []
    for champ in revenu.champs:
        if champ.nom not in envoye or champ.genre in NON_REAFFICHES | {"hidden", "file", "submit"}:
            continue
        attendu = envoye[champ.nom]
        if champ.genre in TEXTES and champ.valeur != attendu:
            ecarts.append(f"{champ.nom} : « {champ.valeur[:40]}… »")
        elif champ.genre == "select" and sorted(champ.choisies) != sorted(attendu if champ.multiple else [attendu]):
            ecarts.append(f"{champ.nom} : {champ.choisies}")
        elif champ.genre == "checkbox" and not champ.coche:
            ecarts.append(f"{champ.nom} ({champ.valeur}) décoché")
        elif champ.genre == "radio" and champ.coche != (champ.valeur == attendu):
            ecarts.append(f"{champ.nom} ({champ.valeur})")
    return ecarts


def test_chaque_formulaire_refuse_revient_avec_toute_la_saisie(app, fab, sans_limite_de_debit):
    acteurs, ids = construire(fab)
    sessions = _sessions(app, fab, acteurs)
    lues, reaffiches, acceptes, sans_page, pertes = {}, set(), set(), set(), []
    routes = [(r, a, etat) for etat in [ids, *_autres_etats(fab, acteurs, ids)] for r, a in _routes_a_fuzzer()]
    for route, acteur, ids in routes:
        if route.endpoint in reaffiches:
            continue
        url = _url(app, route, ids)
        page, formulaire = _page_du_formulaire(sessions[acteur][0], url, lues.setdefault((acteur, id(ids)), {}))
        if formulaire is None:
            sans_page.add(route.endpoint)
            continue
        sans_page.discard(route.endpoint)
        envoye = _saisie(formulaire)
        reponse = sessions[acteur][0].post(url, data=envoye)
        if reponse.status_code < 400:
            acceptes.add(route.endpoint)
            continue
        revenus = formulaires(reponse.get_data(as_text=True), "http://localhost" + url)
        revenu = next((f for f in revenus if f.action == url and f.methode == "post"), None)
        if reponse.mimetype != "text/html" or revenu is None:
            pertes.append(f"{route.endpoint} ({reponse.status_code}) : le formulaire ne revient pas")
            continue
        pertes += [f"{route.endpoint} : {ecart}" for ecart in _ecarts(envoye, revenu)]
        # Les autres formulaires de la page reviennent comme ils étaient avant l'envoi.
        avant = {f.action: f.valeurs() for f in lues[(acteur, id(ids))][page] if f.methode == "post"}
        for autre in revenus:
            if autre.action != url and autre.methode == "post" and autre.action in avant:
                valeurs = {k: v for k, v in autre.valeurs().items() if k != "csrf_token"}
                attendues = {k: v for k, v in avant[autre.action].items() if k != "csrf_token"}
                if valeurs != attendues:
                    ecarts = {k: (attendues.get(k), v) for k, v in valeurs.items() if attendues.get(k) != v}
                    pertes.append(f"{route.endpoint} : le formulaire voisin {autre.action} a changé {ecarts}")
        reaffiches.add(route.endpoint)
    print(f"\nRéaffichés : {len(reaffiches)} ; acceptés : {sorted(acceptes)} ; sans page : {sorted(sans_page)}")
    assert not pertes, "saisies perdues :\n" + "\n".join(p[:300] for p in pertes)
    assert ATTENDUS <= reaffiches, f"non réaffichés : {sorted(ATTENDUS - reaffiches)}"
