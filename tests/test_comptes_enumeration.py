"""Nothing tells whether an address has an account: sign-up, login (and its lockout) and reset answer an existing
and an unknown address with the same status, the same page (but for the typed address and the CSRF token) and
the same work, hence timings within noise. Failed logins are counted per address and per client, so a stranger
elsewhere cannot lock the owner out; requests that send an email are limited per address.

Timings are the medians of interleaved requests with the production password hashing (scrypt); the figures
are printed (`-s`), and compared with a generous tolerance: before this change, a sign-up took 16 ms for an
existing address against 116 ms for an unknown one, and a reset 14 ms against 2 ms.
"""

import re
import statistics
import time

import pytest
from werkzeug.security import generate_password_hash

from aap.extensions import limiter

from .conftest import texte
from .factories import MOT_DE_PASSE, siret_unique

REPETITIONS = 5
BON_MOT_DE_PASSE = "lagon-baobab-ylang-2026"


@pytest.fixture
def config_supplementaire():
    return {
        "WTF_CSRF_ENABLED": True,
        "HACHAGE_MOT_DE_PASSE": "scrypt",  # celui de la production : le hachage domine la durée d'une réponse
        "CONNEXION_LIMITE_ADRESSE": "1000 per minute",
        "CONNEXION_LIMITE_COURRIEL": "1000 per minute",
    }


def _jeton(client, chemin):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(chemin).text).group(1)


def _poster(client, chemin, donnees):
    """POSTs the form with its CSRF token; the response carries the duration of the POST alone (`duree_ms`)."""
    jeton = _jeton(client, chemin)
    debut = time.perf_counter()
    reponse = client.post(chemin, data={"csrf_token": jeton, **donnees})
    reponse.duree_ms = (time.perf_counter() - debut) * 1000
    return reponse


def _normaliser(reponse, adresse):
    corps = reponse.get_data(as_text=True).replace(adresse, "ADRESSE")
    corps = re.sub(r'<meta name="csrf-token" content="[^"]+">', "JETON", corps)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "JETON", corps)


def _comparer(nom, envoyer, connue, inconnue, fois=REPETITIONS):
    """Sends `envoyer(adresse)` `fois` times for each address (`{rang}` in it is replaced by the round), interleaved;
    checks that statuses and pages are the same, compares the median durations of the POSTs; returns the status."""
    durees = {connue: [], inconnue: []}
    pages = {}
    for rang in range(fois):
        for adresse in (connue, inconnue):
            adresse_ = adresse.format(rang=rang)
            reponse = envoyer(adresse_)
            durees[adresse].append(reponse.duree_ms)
            pages.setdefault(adresse, set()).add((reponse.status_code, _normaliser(reponse, adresse_)))
    assert len(pages[connue]) == 1 and pages[connue] == pages[inconnue], f"{nom} : réponses différentes"
    a, b = statistics.median(durees[connue]), statistics.median(durees[inconnue])
    statut = next(iter(pages[connue]))[0]
    print(f"\n{nom} : {statut} ; médiane {a:.1f} ms (adresse connue) contre {b:.1f} ms (inconnue)")
    assert abs(a - b) <= 0.5 * max(a, b) + 5, f"{nom} : {a:.1f} ms contre {b:.1f} ms"
    return statut


def _client_chronometre(app):
    client = app.test_client()
    client.distribuer = False  # le tour du travailleur des courriels après la requête n'entre pas dans la mesure
    return client


def test_inscription_meme_reponse_meme_duree(app, fab, serveur_smtp):
    existant = fab.utilisateur("porteur", email="deja@asso.yt")
    client = _client_chronometre(app)

    def inscrire(adresse):
        champs = {
            "prenom": "Nassur",
            "nom": "Attoumani",
            "email": adresse,
            "mot_de_passe": BON_MOT_DE_PASSE,
            "confirmation": BON_MOT_DE_PASSE,
            "siret": siret_unique(),
            "raison_sociale": "Association des clauses",
            "statut_juridique": "association",
        }
        return _poster(client, "/inscription", champs)

    assert _comparer("Inscription", inscrire, "deja@asso.yt", "nouveau{rang}@asso.yt") == 200
    # Le titulaire de l'adresse est prévenu, à chaque fois ; chaque nouvelle adresse reçoit son lien.
    app.test_client().get("/")  # un tour du travailleur des courriels
    sujets = {m["Subject"] for m in serveur_smtp.pour(existant.email)}
    assert sujets == {"Vous avez déjà un compte"} and len(serveur_smtp.pour(existant.email)) == REPETITIONS
    assert serveur_smtp.pour("nouveau0@asso.yt")[0]["Subject"] == "Confirmez votre adresse électronique"


def test_inscription_refusee_de_meme_pour_une_adresse_connue(app, fab):
    """Before, an existing address skipped the checks of the structure: 200 for it, 422 for an unknown one."""
    fab.utilisateur("porteur", email="deja@asso.yt")
    client = app.test_client()
    champs = {"prenom": "N", "nom": "A", "mot_de_passe": BON_MOT_DE_PASSE, "confirmation": BON_MOT_DE_PASSE}
    champs |= {"siret": siret_unique(), "raison_sociale": "", "statut_juridique": ""}
    reponses = [_poster(client, "/inscription", champs | {"email": a}) for a in ("deja@asso.yt", "inconnu@asso.yt")]
    assert [r.status_code for r in reponses] == [422, 422]
    assert _normaliser(reponses[0], "deja@asso.yt") == _normaliser(reponses[1], "inconnu@asso.yt")


def test_mot_de_passe_oublie_meme_reponse_meme_duree(app, fab, serveur_smtp):
    existant = fab.utilisateur("porteur", email="deja@asso.yt")
    client = _client_chronometre(app)

    def demander(adresse):
        return _poster(client, "/mot-de-passe-oublie", {"email": adresse})

    assert _comparer("Mot de passe oublié", demander, existant.email, "inconnu{rang}@asso.yt") == 200


def test_echecs_de_connexion_et_blocage_meme_reponse_meme_duree(app, fab):
    """Five failures, then the lockout: the same for an address with an account and one without."""
    hache = generate_password_hash(MOT_DE_PASSE, method="scrypt")  # comme tout compte en production
    existant = fab.utilisateur("agent", email="agent@deets.yt", mot_de_passe_hash=hache)
    clients = {existant.email: _client_chronometre(app), "inconnu@deets.yt": _client_chronometre(app)}

    def echouer(adresse):
        return _poster(clients[adresse], "/connexion", {"email": adresse, "mot_de_passe": "pas le bon mot de passe"})

    # Cinq échecs chacune (un mauvais mot de passe coûte le même hachage qu'une adresse inconnue), puis le blocage.
    assert app.config["CONNEXION_ECHECS_MAX"] == 5
    assert _comparer("Échec de connexion", echouer, existant.email, "inconnu@deets.yt", fois=5) == 422
    assert _comparer("Connexion bloquée", echouer, existant.email, "inconnu@deets.yt") == 429
    page = texte(echouer(existant.email))
    assert "Trop d'essais pour cette adresse depuis cet appareil" in page and "15 minutes" in page


def test_un_tiers_ailleurs_ne_bloque_pas_le_titulaire(app, fab):
    titulaire = fab.utilisateur("agent")
    tiers = app.test_client()
    tiers.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(8):
        _poster(tiers, "/connexion", {"email": titulaire.email, "mot_de_passe": "devine devine devine"})
    assert _poster(tiers, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 429
    chez_lui = app.test_client()  # une autre adresse IP (127.0.0.1)
    assert _poster(chez_lui, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 302


def test_derriere_la_meme_adresse_ip_le_navigateur_deja_connecte_garde_son_propre_compteur(app, fab):
    """A shared address (an office, a mobile operator's NAT): the browser that logged in before carries a signed
    login cookie for this address, so its failures are counted apart from the stranger's."""
    titulaire = fab.utilisateur("agent")
    navigateur = app.test_client()
    _poster(navigateur, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE})
    assert navigateur.get_cookie("aap_connexion") is not None
    navigateur.delete_cookie("session")  # déconnecté ; le cookie de connexion reste
    tiers = app.test_client()  # même adresse IP, sans cookie
    for _ in range(6):
        _poster(tiers, "/connexion", {"email": titulaire.email, "mot_de_passe": "devine devine devine"})
    assert _poster(tiers, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 429
    assert _poster(navigateur, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 302
    # Ce cookie ne vaut que pour cette adresse : pour une autre, ce navigateur compte avec le tiers (même adresse IP).
    navigateur.delete_cookie("session")
    autre = fab.utilisateur("agent")
    for _ in range(5):
        _poster(tiers, "/connexion", {"email": autre.email, "mot_de_passe": "devine devine devine"})
    assert _poster(navigateur, "/connexion", {"email": autre.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 429


def test_le_titulaire_reste_freine_apres_ses_propres_echecs(app, fab):
    titulaire = fab.utilisateur("agent")
    client = app.test_client()
    for _ in range(5):
        assert _poster(client, "/connexion", {"email": titulaire.email, "mot_de_passe": "faux faux faux"}).status_code == 422
    reponse = _poster(client, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE})
    assert reponse.status_code == 429 and f'value="{titulaire.email}"' in reponse.text  # la saisie est gardée
    limiter.reset()  # quinze minutes ont passé
    assert _poster(client, "/connexion", {"email": titulaire.email, "mot_de_passe": MOT_DE_PASSE}).status_code == 302


def test_les_demandes_qui_envoient_un_courriel_sont_limitees_par_adresse(app, fab):
    app.config["CONNEXION_LIMITE_COURRIEL"] = "3 per hour"
    fab.utilisateur("porteur", email="deja@asso.yt")
    client = app.test_client()
    for adresse in ("deja@asso.yt", "inconnu@asso.yt"):
        statuts = [_poster(client, "/mot-de-passe-oublie", {"email": adresse}).status_code for _ in range(3)]
        statuts.append(_poster(client, "/confirmation/renvoyer", {"email": adresse.upper()}).status_code)
        assert statuts == [200, 200, 200, 429], adresse  # un compteur par adresse, commun aux trois formulaires
    assert _poster(client, "/mot-de-passe-oublie", {"email": "autre@asso.yt"}).status_code == 200


def test_l_inscription_est_limitee_par_adresse_ip(app, fab):
    app.config["CONNEXION_LIMITE_ADRESSE"] = "2 per minute"
    client = app.test_client()
    for rang in range(2):
        _poster(client, "/inscription", {"email": f"x{rang}@asso.yt"})
    assert _poster(client, "/inscription", {"email": "x3@asso.yt"}).status_code == 429
