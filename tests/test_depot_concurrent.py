"""Filing the same dossier from two tabs at the same instant (real parallel requests to the served app):
one filing, one number, one receipt; and numbers stay gapless when several dossiers are filed at once."""

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy import func, select

from aap.extensions import db
from candidatures.models import ChangementStatut, Depot, Dossier

from .factories import MOT_DE_PASSE


class SansRedirection(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def navigateur_http(url_base, email):
    """A cookie-keeping HTTP client logged in as `email` (CSRF is off in tests)."""
    ouvreur = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), SansRedirection())

    def poster(chemin, donnees):
        assert url_base.startswith("http://127.0.0.1:")
        requete = urllib.request.Request(  # noqa: S310  (serveur de test local, http vérifié)
            url_base + chemin, data=urllib.parse.urlencode(donnees).encode()
        )
        try:
            reponse = ouvreur.open(requete, timeout=60)  # noqa: S310  (serveur de test local)
        except urllib.error.HTTPError as reponse_http:  # 302 (sans redirection suivie), 4xx
            return reponse_http.code, reponse_http.headers.get("Location", "")
        return reponse.status, ""

    statut, _ = poster("/connexion", {"email": email, "mot_de_passe": MOT_DE_PASSE})
    assert statut == 302
    return poster


def en_parallele(actions):
    depart = threading.Barrier(len(actions))
    resultats = [None] * len(actions)

    def lancer(i, action):
        depart.wait()
        resultats[i] = action()

    fils = [threading.Thread(target=lancer, args=(i, a)) for i, a in enumerate(actions)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(120)
    return resultats


def test_deux_onglets_deposent_en_meme_temps_un_seul_depot(fab, serveur, serveur_smtp):
    dossier = fab.dossier(statut="brouillon")
    porteur = fab.porteur_de(dossier.structure)
    db.session.commit()
    onglets = [navigateur_http(serveur.url, porteur.email) for _ in range(2)]
    version = dossier.version
    resultats = en_parallele([lambda o=o: o(f"/dossiers/{dossier.id}/depot", {"version": version}) for o in onglets])
    assert sorted(statut for statut, _ in resultats) == [302, 302]
    assert sorted(lieu.rsplit("/", 1)[-1] for _, lieu in resultats) == [str(dossier.id), f"{dossier.id}?depot=1"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Depot.id))) == 1
    assert db.session.scalar(select(func.count(ChangementStatut.id)).where(ChangementStatut.statut == "depose")) == 1
    assert db.session.get(Dossier, dossier.id).numero.endswith("-0001")
    assert len(serveur_smtp.pour(porteur.email)) == 1


def test_des_depots_simultanes_ont_des_numeros_uniques_et_sans_trou(fab, serveur):
    campagne = fab.campagne_ouverte(fab.service())
    dossiers = [fab.dossier(statut="brouillon", campagne=campagne) for _ in range(4)]
    porteurs = {d.id: fab.porteur_de(d.structure).email for d in dossiers}
    versions = {d.id: d.version for d in dossiers}
    db.session.commit()
    onglets = [(d, navigateur_http(serveur.url, porteurs[d.id])) for d in dossiers]
    resultats = en_parallele([lambda d=d, o=o: o(f"/dossiers/{d.id}/depot", {"version": versions[d.id]}) for d, o in onglets])
    assert [statut for statut, _ in resultats] == [302] * 4
    db.session.expire_all()
    numeros = sorted(db.session.scalars(select(Dossier.numero)).all())
    assert numeros == [f"AAP-{campagne.annee}-976-{n:04d}" for n in range(1, 5)]
