"""The shared file store: type by content, size, hash, names never used on disk, rollback leaves nothing,
downloads as attachments checked against their hash."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aap import fichiers
from aap.erreurs import Refus
from aap.extensions import db
from aap.fichiers import Fichier

from . import contenus


def stockes(app):
    return sorted(p for p in Path(app.config["FICHIERS_DIR"]).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("nom", "contenu", "extension"),
    [
        ("comptes.pdf", contenus.pdf(), "pdf"),
        ("rapport.docx", contenus.docx_valide(), "docx"),
        ("budget.xlsx", contenus.xlsx_valide(), "xlsx"),
        ("statuts.odt", contenus.odt_valide(), "odt"),
        ("tableau.ods", contenus.ods_valide(), "ods"),
        ("photo.png", contenus.png_valide(), "png"),
        ("photo.jpeg", contenus.jpeg_valide(), "jpg"),
        # Le nom ment, le contenu décide : un PDF nommé .docx est un PDF.
        ("budget.docx", contenus.pdf(), "pdf"),
    ],
)
def test_les_types_acceptes_sont_reconnus_par_leur_contenu(app, nom, contenu, extension):
    fichier = fichiers.enregistrer((nom, contenu))
    assert fichier.extension == extension
    assert fichier.sha256 == hashlib.sha256(contenu).hexdigest()
    assert fichier.taille == len(contenu)
    assert fichier.nom.endswith("." + extension)
    chemin = fichiers.chemin_absolu(fichier)
    assert chemin.read_bytes() == contenu
    assert nom.rsplit(".", 1)[0] not in str(chemin)  # rien du nom de l'utilisateur sur le disque


HOSTILES = [
    ("executable renommé", "facture.pdf", contenus.executable(), "type_refuse", "n'est pas d'un type accepté"),
    ("HTML renommé", "lettre.pdf", contenus.html_deguise(), "type_refuse", "n'est pas d'un type accepté"),
    ("vide", "vide.pdf", b"", "fichier_vide", "Le fichier est vide"),
    ("chemin", "../../etc/passwd.pdf", contenus.pdf(), "nom_invalide", "caractères non permis"),
    ("antislash", "..\\..\\win.pdf", contenus.pdf(), "nom_invalide", "caractères non permis"),
    ("NUL", "rapport\x00.pdf", contenus.pdf(), "nom_invalide", "caractères non permis"),
    ("inversion RTL", "facture\u202efdp.exe", contenus.pdf(), "nom_invalide", "inversion du sens d'écriture"),
    ("300 caractères", "a" * 296 + ".pdf", contenus.pdf(), "nom_trop_long", "compte 300 caractères : 150 au plus"),
    ("macros", "rapport.docx", contenus.docx_avec_macros(), "macros", "macros ne sont pas acceptés"),
]


@pytest.mark.parametrize(("cas", "nom", "contenu", "code", "message"), HOSTILES, ids=[h[0] for h in HOSTILES])
def test_les_fichiers_hostiles_sont_refuses_sans_rien_stocker(app, cas, nom, contenu, code, message):
    with pytest.raises(Refus) as refus:
        fichiers.enregistrer((nom, contenu))
    assert refus.value.code == code and refus.value.champ == "fichier"
    assert message in refus.value.message
    assert stockes(app) == []
    assert db.session.scalar(select(func.count(Fichier.id))) == 0


def test_une_bombe_de_decompression_deguisee_en_docx_est_refusee(app):
    with pytest.raises(Refus) as refus:
        fichiers.enregistrer(("rapport.docx", contenus.bombe_docx()))
    assert refus.value.code == "archive_suspecte"
    assert stockes(app) == []


def test_la_taille_maximale_a_l_octet_pres(app):
    app.config["TAILLE_MAX_PIECE"] = 2000
    juste = contenus.pdf().ljust(2000, b" ")
    assert fichiers.enregistrer(("juste.pdf", juste)).taille == 2000
    with pytest.raises(Refus) as refus:
        fichiers.enregistrer(("trop.pdf", juste + b" "))
    assert refus.value.code == "fichier_trop_gros"
    assert "taille maximale de 2 ko" in refus.value.message


def test_un_pdf_avec_javascript_est_accepte_mais_signale(app):
    fichier = fichiers.enregistrer(("cerfa.pdf", contenus.pdf_avec_javascript()))
    assert "JavaScript" in fichier.alerte


def test_un_fichier_ecrit_dans_une_transaction_annulee_est_efface(app):
    fichiers.enregistrer(("a.pdf", contenus.pdf()))
    assert len(stockes(app)) == 1
    db.session.rollback()
    assert stockes(app) == []


def test_un_fichier_valide_reste_apres_commit(app):
    fichiers.enregistrer(("a.pdf", contenus.pdf()))
    db.session.commit()
    db.session.rollback()
    assert len(stockes(app)) == 1


def test_un_fichier_altere_n_est_pas_servi_et_la_verification_le_nomme(app):
    bon = fichiers.enregistrer(("bon.pdf", contenus.pdf("bon")))
    mauvais = fichiers.enregistrer(("mauvais.pdf", contenus.pdf("mauvais")))
    db.session.commit()
    fichiers.chemin_absolu(mauvais).write_bytes(contenus.pdf("modifié"))
    with pytest.raises(fichiers.FichierAltere):
        fichiers.lire(mauvais)
    assert fichiers.lire(bon) == contenus.pdf("bon")
    assert [f.id for f, _ in fichiers.verifier_tous()] == [mauvais.id]


def test_la_commande_de_verification_des_fichiers(app, runner):
    fichier = fichiers.enregistrer(("a.pdf", contenus.pdf()))
    db.session.commit()
    assert "1 fichier(s) intègre(s)" in runner.invoke(args=["fichiers", "verifier"]).output
    fichiers.chemin_absolu(fichier).unlink()
    resultat = runner.invoke(args=["fichiers", "verifier"])
    assert resultat.exit_code != 0 and f"n°{fichier.id}" in resultat.output


def test_le_telechargement_est_une_piece_jointe_jamais_interpretee(app):
    fichier = fichiers.enregistrer(("Comptes annuels été 2023.pdf", contenus.pdf()))
    with app.test_request_context():
        reponse = fichiers.reponse_telechargement(fichier)
        reponse.direct_passthrough = False
        assert reponse.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''Comptes%20annuels%20%C3%A9t%C3%A9%202023.pdf" in reponse.headers["Content-Disposition"]
        assert reponse.headers["X-Content-Type-Options"] == "nosniff"
        assert reponse.mimetype == "application/pdf"
        assert reponse.get_data() == contenus.pdf()
