"""Tables of the notation domain: COPIL sessions, their members and agenda, conflict-of-interest
declarations, score sheets (one row per criterion, in half-points), decisions.

Permission methods live here. A session is seen by its members and by those who read its service;
inside it, `AccesSeance` says, dossier by dossier, what one person may do (declare, score, see the
scores): it is built once per page from the person's declarations and sheets, so that a list of
200 dossiers costs no more queries than one.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aap.enums import EnumFr, colonne_enum
from aap.extensions import db
from aap.fichiers import Fichier
from aap.models import Campagne, Critere, Role, Service, Utilisateur
from aap.types import DecimalFixe, DemiPoints, Euros, UTCDateTime, maintenant
from candidatures.models import Dossier


class Phase(EnumFr):
    """A session's life: prepared by an agent, scored by its members, deliberated, closed (frozen)."""

    PREPARATION = "preparation", "En préparation", "info"
    NOTATION = "notation", "Notation ouverte", "new"
    DELIBERATION = "deliberation", "En délibération", "warning"
    CLOSE = "close", "Close", "success"

    @property
    def rang(self):
        return list(Phase).index(self)


class Avis(EnumFr):
    FAVORABLE = "favorable", "Favorable"
    RESERVE = "reserve", "Réservé"
    DEFAVORABLE = "defavorable", "Défavorable"


class Nature(EnumFr):
    """What the COPIL decides for a dossier (AAP §C.2: within the available credits)."""

    RETENU = "retenu", "Retenu"
    AJOURNE = "ajourne", "Ajourné"
    REJETE = "rejete", "Rejeté"


SEUIL_DESACCORD_DEFAUT = Decimal("0.40")


class Seance(db.Model):
    """A COPIL session of one campaign (AAP §C.2: at least once a quarter, within the available credits).

    `version` is an optimistic lock: a change made from an older page (another tab, another agent)
    is refused instead of overwriting.
    """

    __tablename__ = "seances"
    __table_args__ = (
        CheckConstraint("trimestre >= 1 AND trimestre <= 4", name="trimestre"),
        CheckConstraint("annee >= 2000 AND annee <= 2200", name="annee"),
        CheckConstraint("lieu <> '' OR lien_visio <> ''", name="lieu_ou_visio"),
        # Part du maximum d'un critère au-delà de laquelle l'écart entre membres est signalé (en centièmes).
        CheckConstraint("seuil_desaccord > 0 AND seuil_desaccord <= 100", name="seuil_desaccord"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    # Dénormalisé depuis la campagne : chaque requête d'agent filtre par service sans jointure.
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    tenue_le: Mapped[datetime] = mapped_column(UTCDateTime)
    lieu: Mapped[str] = mapped_column(String(300), default="")
    lien_visio: Mapped[str] = mapped_column(String(500), default="")
    annee: Mapped[int] = mapped_column(Integer)
    trimestre: Mapped[int] = mapped_column(Integer)
    phase: Mapped[Phase] = mapped_column(colonne_enum(Phase, 20, "phase"), default=Phase.PREPARATION)
    president_id: Mapped[int] = mapped_column(ForeignKey("utilisateurs.id"))
    seuil_desaccord: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=SEUIL_DESACCORD_DEFAUT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    notation_ouverte_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deliberation_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    # Délibération ou clôture avant la date de la séance : le motif donné, imprimé au procès-verbal.
    motif_avant_date: Mapped[str] = mapped_column(Text, default="")
    proces_verbal_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))
    classeur_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))

    campagne: Mapped[Campagne] = relationship()
    service: Mapped[Service] = relationship()
    president: Mapped[Utilisateur] = relationship(foreign_keys=[president_id])
    close_par: Mapped[Utilisateur | None] = relationship(foreign_keys=[close_par_id])
    membres: Mapped[list["MembreSeance"]] = relationship(
        back_populates="seance", cascade="all, delete-orphan", order_by="MembreSeance.id"
    )
    ordre_du_jour: Mapped[list["PointOrdreDuJour"]] = relationship(
        back_populates="seance", cascade="all, delete-orphan", order_by="PointOrdreDuJour.rang"
    )
    proces_verbal: Mapped[Fichier | None] = relationship(foreign_keys=[proces_verbal_id])
    classeur: Mapped[Fichier | None] = relationship(foreign_keys=[classeur_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def intitule(self):
        ordinal = "1er" if self.trimestre == 1 else f"{self.trimestre}e"
        return f"COPIL du {ordinal} trimestre {self.annee}"

    @property
    def close(self):
        return self.phase == Phase.CLOSE

    def membre(self, utilisateur):
        """The membership of that person, or None."""
        return next((m for m in self.membres if m.utilisateur_id == getattr(utilisateur, "id", None)), None)

    def est_membre(self, utilisateur):
        return utilisateur.is_authenticated and self.membre(utilisateur) is not None

    def est_president(self, utilisateur):
        return utilisateur.is_authenticated and utilisateur.id == self.president_id

    # --- Permissions ---------------------------------------------------------------------------

    def can_voir(self, utilisateur):
        """Its members; agents and administrators of its service; national readers. Nobody else (404)."""
        if not utilisateur.is_authenticated:
            return False
        return self.est_membre(utilisateur) or utilisateur.can_lire_service(self.service_id)

    def can_gerer(self, utilisateur):
        """Date, place, members, agenda, phases: agents and administrators of the service."""
        return utilisateur.is_authenticated and utilisateur.instruit(self.service_id)

    def can_modifier(self, utilisateur):
        return self.can_gerer(utilisateur) and self.phase in (Phase.PREPARATION, Phase.NOTATION)

    def can_changer_phase(self, utilisateur):
        """Opening scoring, deliberating, closing: its managers and its president."""
        return self.can_gerer(utilisateur) or self.est_president(utilisateur)

    def can_voir_detail(self, utilisateur):
        """The workbook (each member's scores and comments) and the letters: readers of the service and the
        president. Members read the minutes."""
        return utilisateur.is_authenticated and (utilisateur.can_lire_service(self.service_id) or self.est_president(utilisateur))

    def __str__(self):
        return self.intitule


class MembreSeance(db.Model):
    """A member invited to a session: a COPIL account or an agent. `present` feeds the minutes."""

    __tablename__ = "membres_seance"
    __table_args__ = (UniqueConstraint("seance_id", "utilisateur_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id", ondelete="CASCADE"), index=True)
    utilisateur_id: Mapped[int] = mapped_column(ForeignKey("utilisateurs.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    ajoute_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)

    seance: Mapped[Seance] = relationship(back_populates="membres")
    utilisateur: Mapped[Utilisateur] = relationship()


class PointOrdreDuJour(db.Model):
    """A recevable dossier put on a session's agenda. A dossier is examined in one session; an
    adjourned one may go on the agenda of a later session (a new row there)."""

    __tablename__ = "ordre_du_jour"
    __table_args__ = (UniqueConstraint("seance_id", "dossier_id"), CheckConstraint("rang >= 1", name="rang"))

    id: Mapped[int] = mapped_column(primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id", ondelete="CASCADE"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    rang: Mapped[int] = mapped_column(Integer)
    inscrit_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    inscrit_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))

    seance: Mapped[Seance] = relationship(back_populates="ordre_du_jour")
    dossier: Mapped[Dossier] = relationship()


class Declaration(db.Model):
    """A member's conflict-of-interest declaration for one dossier of one session, made before seeing
    or scoring it. A conflict means recusal (déport): no scoring, no scores, listed in the minutes."""

    __tablename__ = "declarations_interet"
    __table_args__ = (
        UniqueConstraint("seance_id", "dossier_id", "membre_id"),
        CheckConstraint("NOT conflit OR nature <> ''", name="nature"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id", ondelete="CASCADE"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    membre_id: Mapped[int] = mapped_column(ForeignKey("utilisateurs.id"), index=True)
    conflit: Mapped[bool] = mapped_column(Boolean)
    nature: Mapped[str] = mapped_column(Text, default="")
    declaree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    modifiee_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    membre: Mapped[Utilisateur] = relationship()
    dossier: Mapped[Dossier] = relationship()


class FeuilleNotation(db.Model):
    """One member's scores for one dossier of one session: a draft until submitted, then locked
    (the president may reopen it). `version` is the optimistic lock between two tabs."""

    __tablename__ = "feuilles_notation"
    __table_args__ = (
        UniqueConstraint("seance_id", "dossier_id", "membre_id"),
        CheckConstraint("soumise_le IS NULL OR avis IS NOT NULL", name="avis_a_la_soumission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id", ondelete="CASCADE"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    membre_id: Mapped[int] = mapped_column(ForeignKey("utilisateurs.id"), index=True)
    avis: Mapped[Avis | None] = mapped_column(colonne_enum(Avis, 20, "avis"))
    commentaire: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    creee_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    modifiee_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    soumise_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rouverte_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rouverte_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))

    membre: Mapped[Utilisateur] = relationship(foreign_keys=[membre_id])
    notes: Mapped[list["Note"]] = relationship(back_populates="feuille", cascade="all, delete-orphan", order_by="Note.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def soumise(self):
        return self.soumise_le is not None

    def points_par_critere(self):
        return {n.critere_id: n.points for n in self.notes}

    @property
    def total(self):
        return sum((n.points for n in self.notes if n.points is not None), Decimal("0"))


class Note(db.Model):
    """The points given on one criterion (in half-points, within the criterion's maximum) and their comment.

    The maximum is copied from the grid so that the database itself refuses points above it.
    """

    __tablename__ = "notes"
    __table_args__ = (
        UniqueConstraint("feuille_id", "critere_id"),
        CheckConstraint("maximum > 0 AND maximum <= 200", name="maximum"),
        CheckConstraint("points IS NULL OR (points >= 0 AND points <= maximum)", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feuille_id: Mapped[int] = mapped_column(ForeignKey("feuilles_notation.id", ondelete="CASCADE"), index=True)
    critere_id: Mapped[int] = mapped_column(ForeignKey("criteres.id"))
    points: Mapped[Decimal | None] = mapped_column(DemiPoints)
    maximum: Mapped[Decimal] = mapped_column(DemiPoints)
    commentaire: Mapped[str] = mapped_column(Text, default="")

    feuille: Mapped[FeuilleNotation] = relationship(back_populates="notes")
    critere: Mapped[Critere] = relationship()


class Decision(db.Model):
    """The COPIL's decision on a dossier of a session, recorded by its president in deliberation and
    notified when the session closes (`notifie_le` starts the 15-day clock of the convention, AAP §D.1).

    Contract for the conventions domain: `nature`, `montant_accorde` (None unless retenu),
    `etp_facilitateur`/`etp_coordinateur` (funded ETP), `cout_retenu` (a revised budget of what is funded, or
    None), `conditions`, `motif`, `decide_le`,
    `decide_par_id`, `notifie_le`.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("seance_id", "dossier_id"),
        CheckConstraint(
            "(nature = 'retenu' AND montant_accorde IS NOT NULL AND montant_accorde > 0) "
            "OR (nature <> 'retenu' AND montant_accorde IS NULL)",
            name="montant_accorde",
        ),
        CheckConstraint("etp_facilitateur >= 0 AND etp_coordinateur >= 0", name="etp"),
        CheckConstraint("nature = 'retenu' OR (etp_facilitateur = 0 AND etp_coordinateur = 0)", name="etp_si_retenu"),
        CheckConstraint("nature = 'retenu' OR motif <> ''", name="motif"),
        CheckConstraint("cout_retenu IS NULL OR (nature = 'retenu' AND cout_retenu > 0)", name="cout_retenu"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    nature: Mapped[Nature] = mapped_column(colonne_enum(Nature, 20, "nature"))
    montant_accorde: Mapped[Decimal | None] = mapped_column(Euros)
    etp_facilitateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    etp_coordinateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    # Le budget révisé de ce qui est financé, s'il est saisi avec la décision : le plafond s'y applique (§B.2-3).
    cout_retenu: Mapped[Decimal | None] = mapped_column(Euros)
    conditions: Mapped[str] = mapped_column(Text, default="")
    motif: Mapped[str] = mapped_column(Text, default="")
    decide_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    notifie_le: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lettre_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    seance: Mapped[Seance] = relationship()
    dossier: Mapped[Dossier] = relationship()
    decide_par: Mapped[Utilisateur | None] = relationship()
    lettre: Mapped[Fichier | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def retenu(self):
        return self.nature == Nature.RETENU

    @property
    def etp_finances(self):
        return self.etp_facilitateur + self.etp_coordinateur

    def can_voir_notification(self, utilisateur):
        """Once notified, the decision and its letter belong to the structure, and to those who read its service."""
        if self.notifie_le is None or not utilisateur.is_authenticated:
            return False
        return utilisateur.porte(self.dossier.structure_id) or utilisateur.can_lire_service(self.dossier.service_id)


class AgregatSeance(db.Model):
    """One line of a session's aggregated scores, so that the ranking reads rows, not every score: a dossier's
    totals (`genre` « dossier »), one criterion (« critere », `cle` its code) or one group (« groupe », `cle` its
    name). Written only by `notation.agregats`, in the transaction of every write that can change it; statistics
    in hundredths, as the aggregation rounds them."""

    __tablename__ = "agregats_seances"

    seance_id: Mapped[int] = mapped_column(ForeignKey("seances.id", ondelete="CASCADE"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    genre: Mapped[str] = mapped_column(String(10), primary_key=True)
    cle: Mapped[str] = mapped_column(String(120), primary_key=True)
    moyenne: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    mediane: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    minimum: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    plus_haute: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    ecart_type: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    desaccord: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ligne du dossier seulement : feuilles comptées et attendues, note normalisée, avis (JSON {avis: nombre}).
    recues: Mapped[int | None] = mapped_column(Integer)
    attendues: Mapped[int | None] = mapped_column(Integer)
    normalise: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    avis: Mapped[str] = mapped_column(Text, default="")


# --- Ce qu'une personne peut faire dans une séance ------------------------------------------------


class AccesSeance:
    """What one person may do in one session, dossier by dossier, from their declarations and sheets
    (loaded in two queries). Objects the person may not see answer 404 in views and the API."""

    def __init__(self, seance, utilisateur, declarations=None, feuilles=None):
        self.seance = seance
        self.utilisateur = utilisateur
        self.membre = seance.membre(utilisateur) if utilisateur.is_authenticated else None
        self.lecteur = utilisateur.is_authenticated and utilisateur.can_lire_service(seance.service_id)
        self.gestionnaire = seance.can_gerer(utilisateur)
        self.president = seance.est_president(utilisateur)
        if self.membre is not None and declarations is None:
            declarations = db.session.scalars(
                select(Declaration).where(Declaration.seance_id == seance.id, Declaration.membre_id == utilisateur.id)
            ).all()
        if self.membre is not None and feuilles is None:
            feuilles = db.session.scalars(
                select(FeuilleNotation).where(FeuilleNotation.seance_id == seance.id, FeuilleNotation.membre_id == utilisateur.id)
            ).all()
        self.declarations = {d.dossier_id: d for d in declarations or ()}
        self.feuilles = {f.dossier_id: f for f in feuilles or ()}

    @property
    def can_voir_seance(self):
        return self.membre is not None or self.lecteur

    def declaration(self, dossier_id):
        return self.declarations.get(dossier_id)

    def feuille(self, dossier_id):
        return self.feuilles.get(dossier_id)

    def deporte(self, dossier_id):
        declaration = self.declaration(dossier_id)
        return declaration is not None and declaration.conflit

    def doit_declarer(self, dossier_id):
        return self.membre is not None and self.declaration(dossier_id) is None and not self.seance.close

    def can_voir_dossier(self, dossier_id):
        """The dossier's page inside the session (synthesis, pieces): members not recused, readers."""
        if self.membre is not None and self.deporte(dossier_id):
            return False
        return self.membre is not None or self.lecteur

    def can_noter(self, dossier_id):
        """Scoring: a member who declared no conflict, while scoring is open (or his sheet was reopened
        by the president during deliberation), and whose sheet is not submitted."""
        if self.membre is None or self.seance.phase not in (Phase.NOTATION, Phase.DELIBERATION):
            return False
        declaration = self.declaration(dossier_id)
        if declaration is None or declaration.conflit:
            return False
        feuille = self.feuille(dossier_id)
        if feuille is not None and feuille.soumise:
            return False
        if self.seance.phase == Phase.DELIBERATION:
            return feuille is not None and feuille.rouverte_le is not None
        return True

    def can_voir_notes(self, dossier_id):
        """Others' scores and comments. No anchoring: a member sees them only after submitting his own,
        or once the session deliberates; a recused member never. Readers who are not members: always."""
        if self.membre is not None:
            if self.deporte(dossier_id) or self.declaration(dossier_id) is None:
                return False
            if self.seance.phase in (Phase.DELIBERATION, Phase.CLOSE):
                return True
            feuille = self.feuille(dossier_id)
            return feuille is not None and feuille.soumise
        return self.lecteur

    def can_voir_classement(self):
        """The session's ranking: readers always; members once it deliberates (before, it would anchor)."""
        if self.membre is not None and self.seance.phase in (Phase.PREPARATION, Phase.NOTATION):
            return False
        return self.can_voir_seance

    def can_decider(self, dossier_id, president_deporte=False):
        """The president records decisions in deliberation. If he is recused on this dossier, an agent of
        the service who is not recused records it instead."""
        if self.seance.phase != Phase.DELIBERATION or self.deporte(dossier_id):
            return False
        if self.president:
            return not president_deporte
        return president_deporte and self.gestionnaire

    @property
    def role_libelle(self):
        if self.president:
            return "Présidence de séance"
        if self.membre is not None:
            return "Membre"
        if self.utilisateur.a_role(Role.NATIONAL):
            return "Lecture nationale"
        return "Agent du service"
