"""Tables of the foundation: services, accounts, API tokens, audit log, outbox, reference data, campaigns."""

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .enums import EnumFr, colonne_enum
from .extensions import db
from .limites import TITRE_MAX
from .types import DecimalFixe, Euros, UTCDateTime, maintenant


class Role(EnumFr):
    PORTEUR = "porteur", "Porteur de projet"
    COPIL = "copil", "Membre du COPIL"
    AGENT = "agent", "Agent DEETS"
    ADMIN = "admin", "Administrateur"
    NATIONAL = "national", "Lecture nationale (DGEFP)"


ROLES_INSTRUCTION = (Role.AGENT, Role.ADMIN)
AGENTS_ETAT = (*ROLES_INSTRUCTION, Role.NATIONAL)


class Poste(EnumFr):
    """AAP §A : les deux postes cofinancés."""

    FACILITATEUR = "facilitateur", "Facilitateur"
    COORDINATEUR = "coordinateur", "Coordinateur régional"


def check_valeurs(colonne, valeurs):
    return f"{colonne} IN ({', '.join(repr(str(v)) for v in valeurs)})"


class Service(db.Model):
    """A service instructeur (DREETS/DEETS). Every campaign, dossier and agent belongs to one."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    nom: Mapped[str] = mapped_column(String(200))
    intitule_officiel: Mapped[str] = mapped_column(String(200))  # bloc-marque : « Préfet de Mayotte »
    # Dans le texte courant, avec sa casse : « le préfet de Mayotte », « la préfète de la région Grand Est ».
    prefet: Mapped[str] = mapped_column(String(200), default="")
    # Départements couverts (codes INSEE séparés par des espaces) : communes proposées, référentiel chargé.
    departements: Mapped[str] = mapped_column(String(60), default="")
    fuseau: Mapped[str] = mapped_column(String(60))
    courriel: Mapped[str] = mapped_column(String(254))
    telephone: Mapped[str] = mapped_column(String(40), default="")
    # Adresse postale (CRPA R112-5 : sur l'accusé de réception) : voie, puis code postal et commune.
    adresse: Mapped[str] = mapped_column(Text, default="")
    code_postal: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(100), default="")
    # Lieu et signataire des actes (CRPA L212-1 : prénom, nom et qualité de l'auteur d'une décision).
    lieu_signature: Mapped[str] = mapped_column(String(100), default="")
    signataire_prenom: Mapped[str] = mapped_column(String(100), default="")
    signataire_nom: Mapped[str] = mapped_column(String(100), default="")
    signataire_qualite: Mapped[str] = mapped_column(String(200), default="")
    # Juridiction des recours contentieux contre les décisions du service (CJA R312-1).
    tribunal: Mapped[str] = mapped_column(String(200), default="")
    # Identifiant de l'attribuant dans les données ouvertes des subventions (SCDL, décret n° 2017-779).
    siret: Mapped[str] = mapped_column(String(14), default="")

    def __str__(self):
        return self.nom

    @property
    def codes_departements(self):
        return tuple(self.departements.split())

    @property
    def adresse_postale(self):
        """The lines of the full postal address: street, then postcode and commune."""
        from .formats import adresse_postale

        return adresse_postale(self.adresse, self.code_postal, self.commune)

    @property
    def signataire(self):
        return f"{self.signataire_prenom} {self.signataire_nom}".strip()


class Utilisateur(UserMixin, db.Model):
    __tablename__ = "utilisateurs"
    __table_args__ = (CheckConstraint("role = 'national' OR service_id IS NOT NULL", name="service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    prenom: Mapped[str] = mapped_column(String(100), default="")
    nom: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[Role] = mapped_column(colonne_enum(Role, 20, "role"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"), index=True)
    # Un porteur qui rejoint une structure existante attend l'accord d'un de ses membres ou d'un agent.
    rattachement_valide: Mapped[bool] = mapped_column(Boolean, default=False)
    mot_de_passe_hash: Mapped[str | None] = mapped_column(String(255))
    email_confirme_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actif: Mapped[bool] = mapped_column(Boolean, default=True)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    derniere_connexion_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changé à chaque changement de mot de passe : les autres sessions ouvertes tombent.
    jeton_session: Mapped[str] = mapped_column(String(32))
    # Second facteur facultatif (application d'authentification) ; sinon, lien envoyé par courriel.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # RGPD : un compte inactif trop longtemps est anonymisé (aap/retention.py), non supprimé (il signe le journal).
    anonymise_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped[Service | None] = relationship(lazy="joined")  # son fuseau sert à chaque page
    # `structure` : posée par le domaine des candidatures (Structure.membres), que la fondation n'importe pas.
    jetons: Mapped[list["JetonApi"]] = relationship(back_populates="utilisateur", order_by="JetonApi.id")

    def get_id(self):
        return f"{self.id}:{self.jeton_session}"

    @property
    def is_active(self):
        return self.actif

    @property
    def nom_complet(self):
        return f"{self.prenom} {self.nom}".strip() or self.email

    def a_role(self, *roles):
        return self.role in {str(r) for r in roles}

    @property
    def est_porteur(self):
        return self.a_role(Role.PORTEUR)

    @property
    def est_national(self):
        """The DGEFP's national reader: every service, read only."""
        return self.a_role(Role.NATIONAL)

    @property
    def est_agent_etat(self):
        """An agent of the State (DEETS agent or administrator, DGEFP national reader), as opposed to porteurs and
        COPIL members: reads the audit log, may protect the account with a second factor."""
        return self.a_role(*AGENTS_ETAT)

    def instruit(self, service_id):
        """Agent or administrator of that service: may instruct and follow its files."""
        return self.a_role(*ROLES_INSTRUCTION) and self.service_id == service_id

    def can_lire_service(self, service_id):
        return self.instruit(service_id) or self.a_role(Role.NATIONAL)

    def porte(self, structure_id):
        """Member (accepted) of that applicant structure."""
        return (
            self.a_role(Role.PORTEUR)
            and self.rattachement_valide
            and structure_id is not None
            and self.structure_id == structure_id
        )

    def __str__(self):
        return self.nom_complet


class JetonApi(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "jetons_api"

    id: Mapped[int] = mapped_column(primary_key=True)
    utilisateur_id: Mapped[int] = mapped_column(ForeignKey("utilisateurs.id"), index=True)
    nom: Mapped[str] = mapped_column(String(100))
    prefixe: Mapped[str] = mapped_column(String(12))
    empreinte: Mapped[str] = mapped_column(String(64), unique=True)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    expire_le: Mapped[datetime] = mapped_column(UTCDateTime)
    revoque_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dernier_usage_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    utilisateur: Mapped[Utilisateur] = relationship(back_populates="jetons")

    def est_valide(self, instant):
        return self.revoque_le is None and self.expire_le > instant


class EntreeJournal(db.Model):
    """Append-only audit log, hash-chained: each entry carries the hash of the one before it."""

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(primary_key=True)
    le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant, index=True)
    acteur_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    acteur: Mapped[str] = mapped_column(String(254))  # libellé figé : survit au compte
    action: Mapped[str] = mapped_column(String(80))
    objet_type: Mapped[str] = mapped_column(String(40), default="")
    objet_id: Mapped[str] = mapped_column(String(40), default="")
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON canonique
    # La chaîne couvre l'empreinte de l'acteur et des détails, non leur texte : les données personnelles d'une
    # entrée peuvent être effacées (RGPD, durées de conservation) sans rompre la chaîne.
    empreinte_donnees: Mapped[str] = mapped_column(String(64))
    anonymise_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hash_precedent: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (db.Index("ix_journal_objet", "objet_type", "objet_id"),)


class TeteJournal(db.Model):
    """The single row that serialises appends to the chain (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "journal_tete"

    id: Mapped[int] = mapped_column(primary_key=True)
    dernier_hash: Mapped[str] = mapped_column(String(64))
    nombre: Mapped[int] = mapped_column(Integer, default=0)


class Courriel(db.Model):
    """Outbox: every email is written here first, in the transaction that caused it, then sent by the worker
    (`flask courriels travailler`). A failed attempt sets the next one later and later (`aap.courriels`);
    after the last one the message is in failure, shown to the administrators of its service."""

    __tablename__ = "courriels"
    __table_args__ = (db.Index("ix_courriels_file", "envoye_le", "prochain_essai_le"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    destinataire: Mapped[str] = mapped_column(String(254))
    sujet: Mapped[str] = mapped_column(String(TITRE_MAX))
    texte: Mapped[str] = mapped_column(Text)
    # Clé d'unicité facultative : un rappel n'est mis en file qu'une fois par échéance.
    cle: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Le service dont les administrateurs voient le message s'il n'a pas pu partir (aucun : lecteur national).
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    reserve_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    envoye_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prochain_essai_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    tentatives: Mapped[int] = mapped_column(Integer, default=0)
    erreur: Mapped[str] = mapped_column(Text, default="")


class Compteur(db.Model):
    """Gapless counters (dossier and convention numbers), incremented under a row lock."""

    __tablename__ = "compteurs"

    cle: Mapped[str] = mapped_column(String(80), primary_key=True)
    valeur: Mapped[int] = mapped_column(Integer, default=0)


class Epci(db.Model):
    __tablename__ = "epci"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)  # SIREN
    nom: Mapped[str] = mapped_column(String(200))
    departement: Mapped[str] = mapped_column(String(3), index=True)


class Commune(db.Model):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)  # code INSEE
    nom: Mapped[str] = mapped_column(String(200))
    departement: Mapped[str] = mapped_column(String(3), index=True)
    codes_postaux: Mapped[str] = mapped_column(String(200), default="")
    population: Mapped[int | None] = mapped_column(Integer)
    epci_code: Mapped[str | None] = mapped_column(ForeignKey("epci.code"))

    epci: Mapped[Epci | None] = relationship()


class Campagne(db.Model):
    """One call for projects of one service: its calendar, caps, envelope, pieces, missions and grid."""

    __tablename__ = "campagnes"
    __table_args__ = (
        CheckConstraint("cloture_le > ouverture_le", name="calendrier"),
        CheckConstraint("taux_plafond > 0 AND taux_plafond <= 10000", name="taux_plafond"),
        CheckConstraint(
            "taux_plafond_collectivite > 0 AND taux_plafond_collectivite <= 10000",
            name="taux_plafond_collectivite",
        ),
        CheckConstraint("credits >= 0", name="credits"),
        CheckConstraint("credits_annee2 >= 0 AND credits_annee3 >= 0", name="credits_annees"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    titre: Mapped[str] = mapped_column(String(TITRE_MAX))
    annee: Mapped[int] = mapped_column(Integer)
    presentation: Mapped[str] = mapped_column(Text, default="")
    ouverture_le: Mapped[datetime] = mapped_column(UTCDateTime)
    cloture_le: Mapped[datetime] = mapped_column(UTCDateTime)
    # AAP §B.2-3 : 70 % de l'ETP au plus, 80 % pour les collectivités territoriales.
    taux_plafond: Mapped[Decimal] = mapped_column(DecimalFixe(4), default=Decimal("0.70"))
    taux_plafond_collectivite: Mapped[Decimal] = mapped_column(DecimalFixe(4), default=Decimal("0.80"))
    # AAP §B.2-1 : 0,5 ETP au minimum par projet.
    etp_minimum: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0.5"))
    # AAP §C.2 : « dans la limite des crédits disponibles », année budgétaire par année budgétaire : l'année 1
    # (`credits`) finance les décisions du COPIL ; les années 2 et 3, les avenants qui les renouvellent (§B).
    credits: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    credits_annee2: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    credits_annee3: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    courriel_contact: Mapped[str] = mapped_column(String(254), default="")
    publiee: Mapped[bool] = mapped_column(Boolean, default=True)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)

    service: Mapped[Service] = relationship()
    pieces: Mapped[list["PieceRequise"]] = relationship(
        back_populates="campagne", order_by="PieceRequise.ordre", cascade="all, delete-orphan"
    )
    missions: Mapped[list["Mission"]] = relationship(
        back_populates="campagne", order_by="Mission.ordre", cascade="all, delete-orphan"
    )
    criteres: Mapped[list["Critere"]] = relationship(
        back_populates="campagne", order_by="Critere.ordre", cascade="all, delete-orphan"
    )

    def credits_de(self, rang):
        """The credits of budget year `rang` (1 to 3)."""
        return (self.credits, self.credits_annee2, self.credits_annee3)[rang - 1]

    def __str__(self):
        return f"{self.titre} ({self.annee})"


class PieceRequise(db.Model):
    """A piece of annexe 2, with the condition (a code of `candidatures.regles`) under which it is required."""

    __tablename__ = "pieces_requises"
    __table_args__ = (UniqueConstraint("campagne_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    libelle: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[str] = mapped_column(String(60), default="toujours")
    ordre: Mapped[int] = mapped_column(Integer, default=0)

    campagne: Mapped[Campagne] = relationship(back_populates="pieces")


class Mission(db.Model):
    """A mission of section B.2-1 on which an applicant may position its project."""

    __tablename__ = "missions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    poste: Mapped[Poste] = mapped_column(colonne_enum(Poste, 20, "poste"))
    libelle: Mapped[str] = mapped_column(String(300))
    ordre: Mapped[int] = mapped_column(Integer, default=0)

    campagne: Mapped[Campagne] = relationship(back_populates="missions")


class Critere(db.Model):
    """A criterion of the scoring grid (annexe 4), with its group and its maximum in whole points."""

    __tablename__ = "criteres"
    __table_args__ = (
        UniqueConstraint("campagne_id", "code"),
        CheckConstraint("maximum > 0", name="maximum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    groupe: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(40))
    libelle: Mapped[str] = mapped_column(String(300))
    maximum: Mapped[int] = mapped_column(Integer)
    ordre: Mapped[int] = mapped_column(Integer, default=0)

    campagne: Mapped[Campagne] = relationship(back_populates="criteres")
