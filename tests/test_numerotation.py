"""Gapless numbers under concurrency (real threads, each with its own connection), on SQLite and PostgreSQL."""

import threading

from sqlalchemy import select

from aap.extensions import db
from aap.models import Compteur
from aap.numerotation import prochain, verrouiller


def test_un_compteur_commence_a_un_et_chaque_cle_a_le_sien(app):
    assert [prochain("a"), prochain("a"), prochain("b"), prochain("a")] == [1, 2, 1, 3]


def test_un_numero_pris_par_une_transaction_annulee_est_rendu(app):
    assert prochain("dossier:1") == 1
    db.session.commit()
    assert prochain("dossier:1") == 2
    db.session.rollback()
    assert prochain("dossier:1") == 2


def test_en_parallele_les_numeros_sont_uniques_et_sans_trou(app):
    fils, obtenus, erreurs = 6, [], []
    depart = threading.Barrier(fils)

    def travailler():
        with app.app_context():
            try:
                depart.wait()
                for _ in range(5):
                    obtenus.append(prochain("parallele"))
                    db.session.commit()
            except Exception as erreur:  # le test échoue en les montrant
                erreurs.append(erreur)
            finally:
                db.session.remove()

    travailleurs = [threading.Thread(target=travailler) for _ in range(fils)]
    for t in travailleurs:
        t.start()
    for t in travailleurs:
        t.join(60)
    assert erreurs == []
    assert sorted(obtenus) == list(range(1, 31))
    assert db.session.scalar(select(Compteur.valeur).where(Compteur.cle == "parallele")) == 30


def test_verrouiller_relit_la_ligne(app):
    db.session.add(Compteur(cle="x", valeur=1))
    db.session.commit()
    compteur = db.session.get(Compteur, "x")
    with app.app_context():  # une autre session modifie la ligne
        db.session.get(Compteur, "x").valeur = 5
        db.session.commit()
        db.session.remove()
    assert compteur.valeur == 1
    assert verrouiller(Compteur, "x").valeur == 5
    assert verrouiller(Compteur, "absent") is None
