"""What `test_depot_concurrent.py` and `test_notation_concurrence.py` did not yet prove, with real parallel
requests to the served app (threads released together) and real parallel processes: two members scoring the
same dossier at once (both kept), two agents deciding the same dossier's completeness at once (one decision,
one email), two tabs recording the COPIL decision on the same dossier (one wins, the other is told), and the
daily reminder command run twice at once as two `flask` processes (each email queued once, sent once).
On PostgreSQL (row locks) as on SQLite (the write lock).
"""

import os
import subprocess
from datetime import timedelta
from decimal import Decimal

import requests
from sqlalchemy import func, select

from aap.courriels import envoyer_en_attente
from aap.extensions import db
from aap.models import Courriel
from aap.types import maintenant
from candidatures.models import ChangementStatut, Dossier
from notation import resultats
from notation.models import Decision, FeuilleNotation, Phase

from .conftest import RACINE
from .test_notation_concurrence import en_meme_temps


def _api(serveur, jeton, methode, chemin, corps):
    return lambda: requests.request(
        methode, f"{serveur.url}{chemin}", json=corps, timeout=60, headers={"Authorization": f"Bearer {jeton}"}
    )


def test_deux_membres_notent_le_meme_dossier_en_meme_temps(app, fab, serveur):
    campagne = fab.campagne(etat="cloturee")
    membres = [fab.utilisateur("copil", service=campagne.service) for _ in range(2)]
    dossier = fab.dossier_pour_copil(campagne=campagne)
    seance = fab.seance(campagne=campagne, membres=membres, dossiers=[dossier], phase=Phase.NOTATION)
    for membre in membres:
        fab.declaration(seance, dossier, membre)
    jetons = [fab.jeton(m)[0] for m in membres]
    db.session.commit()
    chemin = f"/api/v1/seances/{seance.id}/dossiers/{dossier.id}/ma-feuille"
    # Le maximum de chaque critère pour l'un, la moitié pour l'autre (sous la moitié, un commentaire est exigé).
    notes = [
        [{"critere": c.code, "points": str(Decimal(c.maximum) * part)} for c in campagne.criteres]
        for part in (Decimal(1), Decimal("0.5"))
    ]
    reponses = en_meme_temps(
        *(
            _api(serveur, j, "PUT", chemin, {"version": 0, "notes": n, "avis": "favorable"})
            for j, n in zip(jetons, notes, strict=True)
        )
    )
    assert [r.status_code for r in reponses] == [200, 200], [r.text for r in reponses]
    reponses = en_meme_temps(*(_api(serveur, j, "POST", f"{chemin}/soumission", {"version": 1}) for j in jetons))
    assert [r.status_code for r in reponses] == [200, 200], [r.text for r in reponses]
    db.session.expire_all()
    feuilles = db.session.scalars(select(FeuilleNotation).where(FeuilleNotation.dossier_id == dossier.id)).all()
    total = sum(Decimal(c.maximum) for c in campagne.criteres)
    assert sorted((f.membre_id, f.total, f.soumise) for f in feuilles) == [
        (membres[0].id, total, True),
        (membres[1].id, total / 2, True),
    ]
    # Les agrégats stockés de la séance (issue 16) comptent les deux feuilles, soumises en même temps.
    stockes, _ = resultats.agregats_seance(seance)
    assert stockes == resultats.calculer_agregats(seance)[0] and stockes[dossier.id].recues == 2


def test_deux_agents_decident_en_meme_temps_de_la_recevabilite_du_meme_dossier(app, fab, serveur, serveur_smtp):
    dossier = fab.dossier(statut="depose")
    agents = [fab.utilisateur("agent", service=dossier.service) for _ in range(2)]
    jetons = [fab.jeton(a)[0] for a in agents]
    porteur = fab.porteur_de(dossier.structure)
    db.session.commit()
    serveur_smtp.vider()
    chemin = f"/api/v1/dossiers/{dossier.id}/decisions"
    aujourdhui = maintenant().date().isoformat()
    reponses = en_meme_temps(
        _api(serveur, jetons[0], "POST", chemin, {"decision": "recevable", "recevable_le": aujourdhui}),
        _api(serveur, jetons[1], "POST", chemin, {"decision": "irrecevable", "motif": "Pièces illisibles."}),
    )
    statuts = sorted(r.status_code for r in reponses)
    assert statuts[0] == 200 and statuts[1] in (409, 422), [r.text for r in reponses]
    perdant = next(r for r in reponses if r.status_code != 200).json()["errors"][0]
    assert perdant["message"]
    db.session.expire_all()
    dossier = db.session.get(Dossier, dossier.id)
    gagnant = "recevable" if reponses[0].status_code == 200 else "irrecevable"
    assert dossier.statut == gagnant
    historique = db.session.scalars(
        select(ChangementStatut.statut).where(ChangementStatut.dossier_id == dossier.id).order_by(ChangementStatut.id)
    ).all()
    perdu = ({"recevable", "irrecevable"} - {gagnant}).pop()
    assert historique.count(gagnant) == 1 and perdu not in historique
    courriels = db.session.scalars(
        select(Courriel).where(Courriel.destinataire == porteur.email, Courriel.cree_le > maintenant() - timedelta(minutes=5))
    ).all()
    assert len(courriels) == 1, [c.sujet for c in courriels]


def test_deux_onglets_du_president_decident_du_meme_dossier(app, fab, serveur):
    campagne = fab.campagne(etat="cloturee")
    president = fab.utilisateur("agent", service=campagne.service)
    dossier = fab.dossier_pour_copil(campagne=campagne)
    seance = fab.seance(campagne=campagne, membres=[president], president=president, dossiers=[dossier], phase=Phase.DELIBERATION)
    jeton = fab.jeton(president)[0]
    db.session.commit()
    chemin = f"/api/v1/seances/{seance.id}/dossiers/{dossier.id}/decision"
    reponses = en_meme_temps(
        _api(
            serveur,
            jeton,
            "PUT",
            chemin,
            {"version": 0, "nature": "retenu", "montant_accorde": "30000.00", "etp_facilitateur": "1.0"},
        ),
        _api(serveur, jeton, "PUT", chemin, {"version": 0, "nature": "ajourne", "motif": "Budget à consolider."}),
    )
    assert sorted(r.status_code for r in reponses) == [200, 409], [r.text for r in reponses]
    gagnant = "retenu" if reponses[0].status_code == 200 else "ajourne"
    db.session.expire_all()
    assert db.session.scalars(select(Decision.nature).where(Decision.dossier_id == dossier.id)).all() == [gagnant]


def test_la_commande_de_rappel_lancee_deux_fois_en_parallele_envoie_chaque_courriel_une_fois(app, fab, serveur_smtp):
    campagne = fab.campagne(etat="cloturee")
    membres = [fab.utilisateur("copil", service=campagne.service) for _ in range(4)]
    fab.seance(campagne=campagne, membres=membres, dossiers=2, phase=Phase.NOTATION, tenue_le=maintenant() + timedelta(days=1))
    db.session.commit()
    serveur_smtp.vider()
    env = os.environ | {
        "AAP_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FICHIERS_DIR": app.config["FICHIERS_DIR"],
        "SMTP_HOTE": "127.0.0.1",
        "SMTP_PORT": str(serveur_smtp.port),
        "COURRIEL_TRANSPORT": "smtp",
    }
    commande = [str(RACINE / ".venv" / "bin" / "flask"), "--app", "aap", "notation", "rappels"]
    processus = [
        subprocess.Popen(  # noqa: S603 — notre propre commande, arguments fixes
            commande,
            cwd=RACINE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    sorties = [p.communicate(timeout=120)[0] for p in processus]
    assert [p.returncode for p in processus] == [0, 0], sorties
    assert sum(int(s.strip().splitlines()[-1].split()[0]) for s in sorties) == 4, sorties
    assert envoyer_en_attente() == 5  # le travailleur : 4 rappels et une alerte de trimestre en file, pas un de plus
    recus = sorted(m["To"] for m in serveur_smtp.messages if m["Subject"].startswith("Rappel"))
    assert recus == sorted(m.email for m in membres)
    db.session.expire_all()
    envoyes = select(func.count(Courriel.id)).where(Courriel.envoye_le.is_not(None))
    assert db.session.scalar(envoyes.where(Courriel.cle.like("rappel-notation:%"))) == 4
    # Les deux dossiers, recevables depuis le trimestre passé sans COPIL tenu : une alerte au service, une seule fois.
    assert db.session.scalar(envoyes.where(Courriel.cle.like("trimestre-sans-copil:%"))) == 1
