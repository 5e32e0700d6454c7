"""Stored files (pieces, standing documents, receipts, signed conventions, reports), for every domain.

An upload is judged by its content, never by its name: its type comes from its magic bytes (PDF,
ODT/DOCX, ODS/XLSX, JPEG, PNG), office containers are opened to refuse zip bombs and macros, its
size is capped by `TAILLE_MAX_PIECE`, its SHA-256 is kept and checked again each time it is served.
It is kept by the file store (`stockage()`: a local directory, FICHIERS_DIR, by default; an S3-compatible
object store can replace it) under a path made of a date and a random name: nothing the user typed reaches
the file system. A file written by a transaction that is rolled back is erased.

    fichier = enregistrer(request.files["fichier"], par=current_user, service_id=dossier.service_id)
    return reponse_telechargement(fichier)
"""

import hashlib
import importlib
import io
import os
import re
import secrets
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import BigInteger, ForeignKey, String, delete, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .erreurs import Refus
from .extensions import db
from .types import UTCDateTime, maintenant


@dataclass(frozen=True)
class TypeAccepte:
    extension: str
    mime: str
    libelle: str


TYPES_ACCEPTES = {
    t.extension: t
    for t in [
        TypeAccepte("pdf", "application/pdf", "PDF"),
        TypeAccepte("odt", "application/vnd.oasis.opendocument.text", "ODT"),
        TypeAccepte("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
        TypeAccepte("ods", "application/vnd.oasis.opendocument.spreadsheet", "ODS"),
        TypeAccepte("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
        TypeAccepte("jpg", "image/jpeg", "JPEG"),
        TypeAccepte("png", "image/png", "PNG"),
    ]
}
FORMATS_ACCEPTES = ", ".join(t.libelle for t in TYPES_ACCEPTES.values())
ACCEPT_HTML = ",".join(["." + e for e in TYPES_ACCEPTES] + [".jpeg"])  # attribut accept des champs fichier

LONGUEUR_MAX_NOM = 150
# Conteneurs bureautiques (zip) : au-delà, c'est une bombe de décompression, pas un document.
DECOMPRESSE_MAX = 200 * 1024 * 1024
RATIO_MAX = 100
MEMBRES_MAX = 5000
# Ce qu'un PDF peut exécuter ou embarquer : accepté (un cerfa remplissable en contient), mais signalé.
MOTIF_PDF_ACTIF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")


class Fichier(db.Model):
    """A stored file. `nom` is what the user sees (its own name, checked); `chemin` is ours."""

    __tablename__ = "fichiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    nom: Mapped[str] = mapped_column(String(200))
    extension: Mapped[str] = mapped_column(String(10))
    type_mime: Mapped[str] = mapped_column(String(100))
    taille: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    chemin: Mapped[str] = mapped_column(String(200), unique=True)
    alerte: Mapped[str] = mapped_column(String(300), default="")
    depose_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))

    @property
    def libelle_type(self):
        type_ = TYPES_ACCEPTES.get(self.extension)
        return type_.libelle if type_ else self.extension.upper()

    @property
    def empreinte_courte(self):
        return self.sha256[:12]


class PieceJointe(db.Model):
    """A stored file attached to a queued email (the accusé de réception, for instance)."""

    __tablename__ = "courriels_pieces_jointes"

    id: Mapped[int] = mapped_column(primary_key=True)
    courriel_id: Mapped[int] = mapped_column(ForeignKey("courriels.id"), index=True)
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id"))


class FichierAltere(Refus):
    """The stored bytes no longer match the SHA-256 taken when they were received."""

    statut = 500


def refus(message, code):
    return Refus(message, code=code, champ="fichier")


def verifier_nom(nom):
    """The user's file name, kept for display only; refused when it could mislead or attack."""
    nom = unicodedata.normalize("NFC", nom or "").strip()
    if not nom:
        raise refus("Choisissez un fichier à envoyer.", "fichier_absent")
    if len(nom) > LONGUEUR_MAX_NOM:
        raise refus(
            f"Le nom du fichier compte {len(nom)} caractères : {LONGUEUR_MAX_NOM} au plus. Renommez-le avant de l'envoyer.",
            "nom_trop_long",
        )
    # Séparateurs de chemin, « .. », caractères de contrôle ou de mise en forme (dont l'inversion du sens
    # d'écriture, qui fait passer « facture‮fdp.exe » pour un PDF).
    interdits = "/" in nom or "\\" in nom or ".." in nom or any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co"} for c in nom)
    if interdits:
        raise refus(
            "Le nom du fichier contient des caractères non permis (/, \\, .., caractères de contrôle ou "
            "d'inversion du sens d'écriture) : renommez-le avant de l'envoyer.",
            "nom_invalide",
        )
    return nom


def _type_de(contenu):
    """The accepted type that the bytes really are, or None."""
    if contenu.startswith(b"%PDF-"):
        return TYPES_ACCEPTES["pdf"]
    if contenu.startswith(b"\xff\xd8\xff"):
        return TYPES_ACCEPTES["jpg"]
    if contenu.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES_ACCEPTES["png"]
    if contenu.startswith(b"PK\x03\x04"):
        return _type_bureautique(contenu)
    return None


def _type_bureautique(contenu):
    try:
        archive = zipfile.ZipFile(io.BytesIO(contenu))
        membres = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if len(membres) > MEMBRES_MAX or sum(m.file_size for m in membres) > DECOMPRESSE_MAX:
        raise refus(
            "Ce document se décompresse en un volume anormal : il ressemble à une « bombe de décompression » "
            "et n'est pas accepté. Enregistrez-le en PDF.",
            "archive_suspecte",
        )
    for membre in membres:
        if membre.file_size > 1024 * 1024 and membre.file_size > RATIO_MAX * max(membre.compress_size, 1):
            raise refus(
                "Ce document est anormalement compressé : il n'est pas accepté. Enregistrez-le en PDF.",
                "archive_suspecte",
            )
    noms = {m.filename for m in membres}
    if any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/") for n in noms):
        raise refus(
            "Les documents contenant des macros ne sont pas acceptés : enregistrez-le sans macro ou en PDF.",
            "macros",
        )
    if "mimetype" in noms:
        mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        for extension in ("odt", "ods"):
            if mimetype == TYPES_ACCEPTES[extension].mime:
                return TYPES_ACCEPTES[extension]
        return None
    if "[Content_Types].xml" in noms:
        if "word/document.xml" in noms:
            return TYPES_ACCEPTES["docx"]
        if "xl/workbook.xml" in noms:
            return TYPES_ACCEPTES["xlsx"]
    return None


@dataclass(frozen=True)
class Examen:
    nom: str
    type: TypeAccepte
    sha256: str
    alerte: str


def examiner(nom, contenu, taille_max):
    """Checks a file (its name for display, its bytes for everything else). Raises a Refus in French."""
    nom = verifier_nom(nom)
    if len(contenu) == 0:
        raise refus("Le fichier est vide (0 octet) : vérifiez que vous envoyez le bon document.", "fichier_vide")
    if len(contenu) > taille_max:
        raise refus(
            f"Le fichier dépasse la taille maximale de {taille_lisible(taille_max)} : "
            "réduisez-le (PDF compressé, images moins lourdes) ou envoyez-le en plusieurs parties.",
            "fichier_trop_gros",
        )
    type_ = _type_de(contenu)
    if type_ is None:
        raise refus(
            f"Ce fichier n'est pas d'un type accepté : son contenu ne correspond à aucun des formats "
            f"{FORMATS_ACCEPTES}, quel que soit son nom. Enregistrez-le dans l'un de ces formats.",
            "type_refuse",
        )
    alerte = ""
    if type_.extension == "pdf" and MOTIF_PDF_ACTIF.search(contenu):
        alerte = "Ce PDF contient du JavaScript, une action ou des fichiers embarqués : ouvrez-le avec prudence."
    # Le nom affiché garde celui de l'utilisateur mais prend l'extension du vrai contenu.
    racine = nom.rsplit(".", 1)[0] if "." in nom else nom
    nom_affiche = f"{racine or 'document'}.{type_.extension}"
    return Examen(nom_affiche, type_, hashlib.sha256(contenu).hexdigest(), alerte)


def taille_lisible(octets):
    if octets >= 1024 * 1024:
        return f"{octets / (1024 * 1024):.0f} Mo".replace(".", ",")
    if octets >= 1024:
        return f"{octets / 1024:.0f} ko"
    return f"{octets} octets"


class StockageLocal:
    """Stored files in a local directory (FICHIERS_DIR): the default store.

    Every access to the bytes goes through these five methods, with a relative path of ours
    (`2026/03/<random>.pdf`): an S3-compatible object store (a bucket, the relative path as its key) can
    replace this class without touching the domains. FICHIERS_STOCKAGE names the class to use
    (`module:Classe`, built with the app's config); `local` is this one.
    """

    def __init__(self, config):
        self.racine = Path(config["FICHIERS_DIR"])

    def ecrire(self, relatif, contenu):
        chemin = self.racine / relatif
        chemin.parent.mkdir(parents=True, exist_ok=True)
        provisoire = chemin.with_suffix(".partiel")
        # Écrit à côté puis renommé : un arrêt brutal ne laisse jamais un fichier tronqué sous son vrai nom.
        with open(provisoire, "wb") as sortie:
            sortie.write(contenu)
            sortie.flush()
            os.fsync(sortie.fileno())
        os.replace(provisoire, chemin)

    def ouvrir(self, relatif):
        """A binary file object to read from (raises OSError when the file is missing)."""
        return open(self.racine / relatif, "rb")

    def effacer(self, relatif):
        (self.racine / relatif).unlink(missing_ok=True)

    def chemin_local(self, relatif):
        """The file's path on this host, or None for a remote store (the download is then streamed)."""
        return self.racine / relatif


def stockage():
    """The app's file store, built once per app from FICHIERS_STOCKAGE and FICHIERS_DIR."""
    cle = ("stockage_fichiers", current_app.config["FICHIERS_STOCKAGE"], current_app.config["FICHIERS_DIR"])
    magasin = current_app.extensions.get("stockage_fichiers")
    if magasin is None or magasin[0] != cle:
        nom = current_app.config["FICHIERS_STOCKAGE"]
        if nom == "local":
            classe = StockageLocal
        else:
            module, _, attribut = nom.partition(":")
            classe = getattr(importlib.import_module(module), attribut)
        magasin = (cle, classe(current_app.config))
        current_app.extensions["stockage_fichiers"] = magasin
    return magasin[1]


def racine():
    return Path(current_app.config["FICHIERS_DIR"])


def _lire_televersement(televersement, taille_max):
    """(name, bytes) from a werkzeug FileStorage or a (name, bytes) pair, reading at most one byte too many."""
    if televersement is None:
        raise refus("Choisissez un fichier à envoyer.", "fichier_absent")
    if isinstance(televersement, tuple):
        nom, contenu = televersement
        return nom, contenu[: taille_max + 1]
    return televersement.filename or "", televersement.stream.read(taille_max + 1)


def enregistrer(televersement, *, par=None, service_id=None, taille_max=None):
    """Checks and stores an upload; returns its `Fichier` row (flushed). Raises a Refus, storing nothing."""
    taille_max = taille_max or current_app.config["TAILLE_MAX_PIECE"]
    nom, contenu = _lire_televersement(televersement, taille_max)
    if not nom and not contenu:
        raise refus("Choisissez un fichier à envoyer.", "fichier_absent")
    examen = examiner(nom, contenu, taille_max)
    return _ecrire(examen, contenu, par=par, service_id=service_id)


def enregistrer_produit(nom, contenu, extension, *, par=None, service_id=None):
    """Stores a file the application made itself (a receipt PDF, an export): trusted, still hashed."""
    examen = Examen(nom, TYPES_ACCEPTES[extension], hashlib.sha256(contenu).hexdigest(), "")
    return _ecrire(examen, contenu, par=par, service_id=service_id)


def _ecrire(examen, contenu, *, par, service_id):
    instant = maintenant()
    relatif = f"{instant:%Y}/{instant:%m}/{secrets.token_hex(16)}.{examen.type.extension}"
    magasin = stockage()
    magasin.ecrire(relatif, contenu)
    db.session.info.setdefault("fichiers_ecrits", []).append((magasin, relatif))
    fichier = Fichier(
        nom=examen.nom,
        extension=examen.type.extension,
        type_mime=examen.type.mime,
        taille=len(contenu),
        sha256=examen.sha256,
        chemin=relatif,
        alerte=examen.alerte,
        service_id=service_id,
        depose_par_id=par.id if par is not None else None,
        depose_le=instant,
    )
    db.session.add(fichier)
    db.session.flush()
    return fichier


@event.listens_for(Session, "after_commit")
def _garder_fichiers(session):
    session.info.pop("fichiers_ecrits", None)


@event.listens_for(Session, "after_rollback")
def _effacer_fichiers_annules(session):
    # La ligne `fichiers` n'existe plus : le fichier écrit pour elle ne doit pas rester orphelin.
    for magasin, relatif in session.info.pop("fichiers_ecrits", []):
        magasin.effacer(relatif)


def chemin_absolu(fichier):
    """Where a file of the local store sits (tests and the backup read it there)."""
    return racine() / fichier.chemin


def empreinte_sur_disque(fichier):
    sha = hashlib.sha256()
    with stockage().ouvrir(fichier.chemin) as entree:
        for bloc in iter(lambda: entree.read(1024 * 1024), b""):
            sha.update(bloc)
    return sha.hexdigest()


def _altere(fichier, cause):
    current_app.logger.error("Fichier %s (%s) altéré : %s", fichier.id, fichier.chemin, cause)
    return FichierAltere(
        "Ce fichier ne correspond plus à l'empreinte prise à son dépôt : il n'est pas servi. "
        "L'équipe technique en est informée ; contactez la DEETS.",
        code="fichier_altere",
    )


def verifier(fichier):
    """Raises FichierAltere when the stored bytes are missing or differ from their SHA-256."""
    try:
        empreinte = empreinte_sur_disque(fichier)
    except OSError as erreur:
        raise _altere(fichier, erreur) from None
    if empreinte != fichier.sha256:
        raise _altere(fichier, "empreinte différente")


def lire(fichier):
    """The stored bytes, checked against their SHA-256."""
    verifier(fichier)
    with stockage().ouvrir(fichier.chemin) as entree:
        return entree.read()


def reponse_telechargement(fichier, nom=None):
    """Serves a stored file as a download, never rendered by the browser in our origin."""
    verifier(fichier)
    magasin = stockage()
    reponse = send_file(
        magasin.chemin_local(fichier.chemin) or magasin.ouvrir(fichier.chemin),
        mimetype=fichier.type_mime,
        as_attachment=True,
        download_name=nom or fichier.nom,
        max_age=0,
        etag=fichier.sha256,
    )
    reponse.headers["X-Content-Type-Options"] = "nosniff"
    reponse.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    reponse.headers["Cache-Control"] = "private, no-store"
    return reponse


# Ce que `_ecrire` range : année/mois/nom aléatoire.extension (ou .partiel pendant l'écriture).
MOTIF_STOCKE = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}\.[a-z]+$")
AGE_ORPHELIN = 15 * 60  # secondes : plus jeune, un fichier peut attendre la validation de sa transaction


def orphelins(age_min=AGE_ORPHELIN):
    """Files we stored that no row names, older than `age_min` seconds: what a crash (SIGKILL, power cut)
    leaves between writing a file and committing its row, or while writing it (`.partiel`). Nothing is
    lost with them (their row never existed); they only take space."""
    base = racine()
    connus = set(db.session.scalars(select(Fichier.chemin)))
    limite = time.time() - age_min
    for chemin in sorted(base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*")):
        relatif = chemin.relative_to(base).as_posix()
        if MOTIF_STOCKE.match(relatif) and relatif not in connus and chemin.stat().st_mtime <= limite:
            yield chemin


def verifier_tous(taille_lot=500):
    """Checks every stored file; yields (fichier, cause) for each one missing or altered."""
    dernier = 0
    while True:
        requete = select(Fichier).where(Fichier.id > dernier).order_by(Fichier.id).limit(taille_lot)
        lot = db.session.scalars(requete).all()
        if not lot:
            return
        for fichier in lot:
            try:
                verifier(fichier)
            except FichierAltere:
                yield fichier, "absent ou altéré"
            dernier = fichier.id
        db.session.expunge_all()


def supprimer(fichiers):
    """Deletes stored files (retention periods): their rows now, their content once the transaction commits (a
    rollback keeps both). The caller has removed every other row that names them."""
    for fichier in fichiers:
        db.session.execute(delete(PieceJointe).where(PieceJointe.fichier_id == fichier.id))
        db.session.info.setdefault("fichiers_supprimes", []).append((stockage(), fichier.chemin))
        db.session.delete(fichier)
    db.session.flush()
    return len(fichiers)


@event.listens_for(Session, "after_commit")
def _effacer_fichiers_supprimes(session):
    for magasin, relatif in session.info.pop("fichiers_supprimes", []):
        magasin.effacer(relatif)


@event.listens_for(Session, "after_rollback")
def _garder_fichiers_supprimes(session):
    session.info.pop("fichiers_supprimes", None)
