"""Tables of the conventions domain: the convention, its years (the first, then one per avenant), the
targets of each year, the payments (advance and balance), the amount to recover, the reports with their
values, attachments and filed versions.

Invariants live in the database where they can: one convention per decision, three years at most, one
advance and one balance per year, a payment never above what was planned for it, a paid payment has its
date and accounting reference, a cancelled one its reason. Permission methods live on `Convention`:
views and the API answer 404 for a convention the person may not see.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aap.enums import EnumFr, colonne_enum
from aap.extensions import db
from aap.fichiers import Fichier
from aap.formats import date_fr
from aap.limites import RAISON_SOCIALE_MAX
from aap.models import Campagne, Service, Utilisateur
from aap.types import DecimalFixe, Euros, UTCDateTime, maintenant
from candidatures.models import Dossier, StatutJuridique, Structure
from notation.models import Decision

from . import regles, suivi


class StatutConvention(EnumFr):
    A_SIGNER = "a_signer", "À signer", "info"
    EN_COURS = "en_cours", "En cours", "success"
    CLOSE = "close", "Close"


class EtatConvention(EnumFr):
    """Where a convention stands, as lists and the dashboard show it (computed, never stored)."""

    A_SIGNER = "a_signer", "À signer", "info"
    SIGNATURE_EN_RETARD = "signature_en_retard", "Signature en retard", "error"
    EN_COURS = "en_cours", "En cours", "success"
    AVENANT_A_SIGNER = "avenant_a_signer", "Avenant à signer", "info"
    NON_RENOUVELEE = "non_renouvelee", "Non renouvelée", "warning"
    ECHUE = "echue", "Échue, solde à régler", "warning"
    CLOSE = "close", "Close"


class NatureVersement(EnumFr):
    AVANCE = "avance", "Avance (50 %)"
    SOLDE = "solde", "Solde"


class EtatVersement(EnumFr):
    PREVU = "prevu", "Prévu", "info"
    A_PAYER = "a_payer", "À mettre en paiement", "warning"
    PAYE = "paye", "Payé", "success"
    ANNULE = "annule", "Annulé"


class EtatReversement(EnumFr):
    A_EMETTRE = "a_emettre", "Titre de perception à émettre"
    EMIS = "emis", "Titre émis"
    RECOUVRE = "recouvre", "Recouvré"


class TypeBilan(EnumFr):
    INTERMEDIAIRE = regles.INTERMEDIAIRE, regles.LIBELLES_BILANS[regles.INTERMEDIAIRE]
    ANNUEL = regles.ANNUEL, regles.LIBELLES_BILANS[regles.ANNUEL]
    TRIMESTRIEL = regles.TRIMESTRIEL, regles.LIBELLES_BILANS[regles.TRIMESTRIEL]
    FINANCIER = regles.FINANCIER, regles.LIBELLES_BILANS[regles.FINANCIER]


class StatutBilan(EnumFr):
    A_DEPOSER = "a_deposer", "À déposer", "info"
    DEPOSE = "depose", "Déposé, en examen", "new"
    A_CORRIGER = "a_corriger", "Corrections demandées", "warning"
    APPROUVE = "approuve", "Approuvé", "success"


class Renouvellement(EnumFr):
    RENOUVELEE = "renouvelee", "Renouvelée"
    NON_RENOUVELEE = "non_renouvelee", "Non renouvelée"


@dataclass(frozen=True)
class Beneficiaire:
    raison_sociale: str
    siret: str
    statut_juridique: str
    adresse: str = ""
    representant_nom: str = ""
    representant_qualite: str = ""

    @classmethod
    def de(cls, structure):
        return cls(
            structure.raison_sociale,
            structure.siret,
            structure.statut_juridique,
            "\n".join(structure.adresse_postale),
            structure.representant_nom,
            structure.representant_qualite,
        )

    @property
    def libelle_statut(self):
        return StatutJuridique.libelle_de(self.statut_juridique)

    @property
    def adresse_postale(self):
        """Street lines, then « 97600 Mamoudzou », as at signature."""
        return [ligne for ligne in self.adresse.splitlines() if ligne.strip()]


class Convention(db.Model):
    """The convention signed with a structure whose dossier was retenu (AAP §D.1). Its years are in
    `annees`: the first, then one per avenant. `version` is an optimistic lock."""

    __tablename__ = "conventions"
    __table_args__ = (
        CheckConstraint("mois_bilan_intermediaire >= 1 AND mois_bilan_intermediaire <= 11", name="mois_intermediaire"),
        CheckConstraint("taux_plafond > 0 AND taux_plafond <= 10000", name="taux_plafond"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    numero: Mapped[str] = mapped_column(String(40), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    statut: Mapped[StatutConvention] = mapped_column(
        colonne_enum(StatutConvention, 20, "statut"), default=StatutConvention.A_SIGNER, index=True
    )
    # Copiée de la décision : le délai de 15 jours part d'elle (AAP §D.1).
    notifie_le: Mapped[datetime] = mapped_column(UTCDateTime)
    date_limite_signature: Mapped[date] = mapped_column(Date)
    mois_bilan_intermediaire: Mapped[int] = mapped_column(Integer, default=regles.MOIS_BILAN_INTERMEDIAIRE)
    # AAP §B.2-3 : la part de l'État des dépenses éligibles, au plus (70 %, 80 % pour les collectivités, d'après le
    # dépôt), ou un taux inférieur convenu dans la convention. Ce qui est dû chaque année s'en déduit.
    taux_plafond: Mapped[Decimal] = mapped_column(DecimalFixe(4))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    close_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Le bénéficiaire tel qu'à la signature de la convention : les documents et les données ouvertes le nomment
    # ainsi, quoi que devienne ensuite le profil de la structure.
    beneficiaire_raison_sociale: Mapped[str | None] = mapped_column(String(RAISON_SOCIALE_MAX))
    beneficiaire_siret: Mapped[str | None] = mapped_column(String(14))
    beneficiaire_statut_juridique: Mapped[str | None] = mapped_column(String(20))
    beneficiaire_adresse: Mapped[str | None] = mapped_column(Text)
    beneficiaire_representant_nom: Mapped[str | None] = mapped_column(String(200))
    beneficiaire_representant_qualite: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    service: Mapped[Service] = relationship()
    campagne: Mapped[Campagne] = relationship()
    dossier: Mapped[Dossier] = relationship()
    decision: Mapped[Decision] = relationship()
    structure: Mapped[Structure] = relationship()
    agent: Mapped[Utilisateur | None] = relationship(foreign_keys=[agent_id])
    annees: Mapped[list["AnneeConvention"]] = relationship(
        back_populates="convention", order_by="AnneeConvention.rang", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def premiere(self):
        return self.annees[0] if self.annees else None

    @property
    def derniere(self):
        return self.annees[-1] if self.annees else None

    @property
    def signee_le(self):
        return self.premiere.signee_le if self.premiere else None

    @property
    def montant_total(self):
        return sum((a.montant for a in self.annees), Decimal("0"))

    @property
    def beneficiaire(self):
        """The structure as the documents name it: as at signature once signed, its live profile before."""
        if self.beneficiaire_siret is not None:
            return Beneficiaire(
                self.beneficiaire_raison_sociale,
                self.beneficiaire_siret,
                self.beneficiaire_statut_juridique,
                self.beneficiaire_adresse or "",
                self.beneficiaire_representant_nom or "",
                self.beneficiaire_representant_qualite or "",
            )
        return Beneficiaire.de(self.structure)

    def figer_beneficiaire(self):
        """At signature: the beneficiary as it signs."""
        b = Beneficiaire.de(self.structure)
        self.beneficiaire_raison_sociale, self.beneficiaire_siret = b.raison_sociale, b.siret
        self.beneficiaire_statut_juridique, self.beneficiaire_adresse = b.statut_juridique, b.adresse
        self.beneficiaire_representant_nom, self.beneficiaire_representant_qualite = b.representant_nom, b.representant_qualite

    def annee(self, rang):
        return next((a for a in self.annees if a.rang == rang), None)

    # --- Permissions ---------------------------------------------------------------------------

    def can_voir(self, utilisateur):
        """Members of the structure; agents and administrators of the service; national readers. Not COPIL
        members, not other structures (404)."""
        if not utilisateur.is_authenticated:
            return False
        return utilisateur.porte(self.structure_id) or utilisateur.can_lire_service(self.service_id)

    def can_gerer(self, utilisateur):
        """Signature, payments, report reviews, renewal: agents and administrators of the service."""
        return utilisateur.is_authenticated and utilisateur.instruit(self.service_id)

    def can_rendre_compte(self, utilisateur):
        """Filling and filing the reports: members of the structure."""
        return utilisateur.is_authenticated and utilisateur.porte(self.structure_id)

    def __str__(self):
        return self.numero


class AnneeConvention(db.Model):
    """A year of the convention: the first (rang 1), or one added by an avenant (rang 2, 3). Its document
    (convention or avenant), its signature, its grant, its payments, its reports, and the renewal decision
    taken at its end."""

    __tablename__ = "annees_convention"
    __table_args__ = (
        UniqueConstraint("convention_id", "rang"),
        # AAP §D.1 : reconductible par avenant annuel dans la limite de 3 ans.
        CheckConstraint(f"rang >= 1 AND rang <= {regles.ANNEES_MAX}", name="rang"),
        CheckConstraint("fin > debut", name="dates"),
        CheckConstraint("montant > 0", name="montant"),
        CheckConstraint("cout_retenu IS NULL OR cout_retenu > 0", name="cout_retenu"),
        CheckConstraint("etp_facilitateur >= 0 AND etp_coordinateur >= 0", name="etp"),
        CheckConstraint("depenses_eligibles IS NULL OR depenses_eligibles >= 0", name="depenses"),
        CheckConstraint("montant_du IS NULL OR (montant_du >= 0 AND montant_du <= montant)", name="montant_du"),
        CheckConstraint(
            "renouvellement IS NULL OR renouvellement = 'renouvelee' OR renouvellement_motif <> ''",
            name="motif_non_renouvellement",
        ),
        CheckConstraint("signee_le IS NULL OR scan_id IS NOT NULL", name="scan_signe"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"), index=True)
    rang: Mapped[int] = mapped_column(Integer)
    debut: Mapped[date] = mapped_column(Date)
    fin: Mapped[date] = mapped_column(Date)
    montant: Mapped[Decimal] = mapped_column(Euros)
    etp_facilitateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    etp_coordinateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    # Le budget révisé de l'année, s'il a été saisi (avec la décision, ou avec l'avenant) : le plafond s'y est appliqué.
    cout_retenu: Mapped[Decimal | None] = mapped_column(Euros)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))
    document_modifiable_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))
    signee_le: Mapped[date | None] = mapped_column(Date)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))
    signature_enregistree_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    # Retenues par l'agent au vu du compte rendu financier approuvé (AAP §D.2).
    depenses_eligibles: Mapped[Decimal | None] = mapped_column(Euros)
    # Ce que l'État doit pour l'année, fixé à l'approbation du compte rendu financier : le taux plafond des dépenses
    # éligibles, dans la limite de la subvention (et de l'échéancier), moins ce que l'agent retire avec un motif.
    montant_du: Mapped[Decimal | None] = mapped_column(Euros)
    renouvellement: Mapped[Renouvellement | None] = mapped_column(colonne_enum(Renouvellement, 20, "renouvellement"))
    renouvellement_motif: Mapped[str] = mapped_column(Text, default="")
    renouvellement_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    renouvellement_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))

    convention: Mapped[Convention] = relationship(back_populates="annees")
    document: Mapped[Fichier | None] = relationship(foreign_keys=[document_id])
    document_modifiable: Mapped[Fichier | None] = relationship(foreign_keys=[document_modifiable_id])
    scan: Mapped[Fichier | None] = relationship(foreign_keys=[scan_id])
    objectifs: Mapped[list["Objectif"]] = relationship(
        back_populates="annee", order_by="Objectif.id", cascade="all, delete-orphan"
    )
    versements: Mapped[list["Versement"]] = relationship(
        back_populates="annee", order_by="Versement.id", cascade="all, delete-orphan"
    )
    bilans: Mapped[list["Bilan"]] = relationship(
        back_populates="annee", order_by="(Bilan.echeance, Bilan.id)", cascade="all, delete-orphan"
    )
    reversement: Mapped["Reversement | None"] = relationship(back_populates="annee", cascade="all, delete-orphan")

    @property
    def avenant(self):
        return self.rang > 1

    @property
    def intitule(self):
        return "Convention" if self.rang == 1 else f"Avenant n° {self.rang - 1}"

    @property
    def etp_total(self):
        return self.etp_facilitateur + self.etp_coordinateur

    def versement(self, nature):
        return next((v for v in self.versements if v.nature == nature), None)

    @property
    def avance(self):
        return self.versement(NatureVersement.AVANCE)

    @property
    def solde(self):
        return self.versement(NatureVersement.SOLDE)

    def bilan(self, type_):
        return next((b for b in self.bilans if b.type == type_), None)

    @property
    def bilan_annuel(self):
        return self.bilan(TypeBilan.ANNUEL)

    @property
    def compte_rendu_financier(self):
        return self.bilan(TypeBilan.FINANCIER)

    @property
    def solde_regle(self):
        """The year is settled: its final account approved, every payment paid or cancelled, any amount to
        recover recovered."""
        return (
            self.montant_du is not None
            and all(v.etat in (EtatVersement.PAYE, EtatVersement.ANNULE) for v in self.versements)
            and (self.reversement is None or self.reversement.etat == EtatReversement.RECOUVRE)
        )

    def cibles(self):
        return {f"{o.poste}.{o.code}": o.cible for o in self.objectifs}

    @property
    def verse(self):
        return sum((v.montant for v in self.versements if v.etat == EtatVersement.PAYE), Decimal("0"))


class Objectif(db.Model):
    """A target agreed with the structure for one indicator of one year (AAP §D.1: the indicators that
    condition the renewal)."""

    __tablename__ = "objectifs"
    __table_args__ = (
        UniqueConstraint("annee_id", "poste", "code"),
        CheckConstraint("poste IN ('facilitateur', 'coordinateur', 'ensemble')", name="poste"),
        CheckConstraint("cible >= 0", name="cible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annee_id: Mapped[int] = mapped_column(ForeignKey("annees_convention.id", ondelete="CASCADE"), index=True)
    poste: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(60))
    cible: Mapped[Decimal] = mapped_column(DecimalFixe(2))

    annee: Mapped[AnneeConvention] = relationship(back_populates="objectifs")

    @property
    def indicateur(self):
        return suivi.PAR_CLE.get(f"{self.poste}.{self.code}")


class Versement(db.Model):
    """A payment of a year: the advance (50 %, due at signature) or the balance (on realisation).
    prévu → à mettre en paiement (its trigger met) → payé (date, accounting reference) or annulé (reason)."""

    __tablename__ = "versements"
    __table_args__ = (
        UniqueConstraint("annee_id", "nature"),
        CheckConstraint("montant >= 0 AND montant <= montant_prevu", name="montant"),
        CheckConstraint("montant_prevu >= 0", name="montant_prevu"),
        CheckConstraint("etat <> 'paye' OR (paye_le IS NOT NULL AND reference_comptable <> '')", name="paiement"),
        CheckConstraint("etat <> 'annule' OR motif <> ''", name="annulation"),
        CheckConstraint("etat NOT IN ('a_payer', 'paye') OR a_payer_le IS NOT NULL", name="declenchement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annee_id: Mapped[int] = mapped_column(ForeignKey("annees_convention.id", ondelete="CASCADE"), index=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"), index=True)
    nature: Mapped[NatureVersement] = mapped_column(colonne_enum(NatureVersement, 10, "nature"))
    montant_prevu: Mapped[Decimal] = mapped_column(Euros)
    montant: Mapped[Decimal] = mapped_column(Euros)
    etat: Mapped[EtatVersement] = mapped_column(colonne_enum(EtatVersement, 10, "etat"), default=EtatVersement.PREVU, index=True)
    a_payer_le: Mapped[date | None] = mapped_column(Date)
    paye_le: Mapped[date | None] = mapped_column(Date)
    reference_comptable: Mapped[str] = mapped_column(String(100), default="")
    motif: Mapped[str] = mapped_column(Text, default="")
    modifie_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    version: Mapped[int] = mapped_column(Integer, default=1)

    annee: Mapped[AnneeConvention] = relationship(back_populates="versements")
    convention: Mapped[Convention] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def reduit(self):
        return self.montant < self.montant_prevu


class Reversement(db.Model):
    """The amount to recover when the eligible spending is below the advance paid (advance − spending), and
    its follow-up: title of collection to issue, issued, recovered."""

    __tablename__ = "reversements"
    __table_args__ = (
        CheckConstraint("montant > 0", name="montant"),
        CheckConstraint("cout_retenu IS NULL OR cout_retenu > 0", name="cout_retenu"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annee_id: Mapped[int] = mapped_column(ForeignKey("annees_convention.id", ondelete="CASCADE"), unique=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"), index=True)
    montant: Mapped[Decimal] = mapped_column(Euros)
    etat: Mapped[EtatReversement] = mapped_column(colonne_enum(EtatReversement, 10, "etat"), default=EtatReversement.A_EMETTRE)
    calcule_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    titre_emis_le: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100), default="")
    recouvre_le: Mapped[date | None] = mapped_column(Date)
    commentaire: Mapped[str] = mapped_column(Text, default="")

    annee: Mapped[AnneeConvention] = relationship(back_populates="reversement")


class Bilan(db.Model):
    """A report of a year (AAP §D.1): intermediate, annual, or a coordinator's quarterly quantitative report.
    The structure fills it and files it; the agent approves it or asks for corrections. Each filing is kept
    in `versions`."""

    __tablename__ = "bilans"
    __table_args__ = (
        UniqueConstraint("annee_id", "type", "ordre"),
        CheckConstraint("depenses_realisees IS NULL OR depenses_realisees >= 0", name="depenses"),
        CheckConstraint("statut = 'a_deposer' OR premier_depot_le IS NOT NULL", name="depot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annee_id: Mapped[int] = mapped_column(ForeignKey("annees_convention.id", ondelete="CASCADE"), index=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"), index=True)
    type: Mapped[TypeBilan] = mapped_column(colonne_enum(TypeBilan, 20, "type"))
    ordre: Mapped[int] = mapped_column(Integer, default=1)
    arrete_au: Mapped[date | None] = mapped_column(Date)
    echeance: Mapped[date] = mapped_column(Date, index=True)
    statut: Mapped[StatutBilan] = mapped_column(
        colonne_enum(StatutBilan, 20, "statut"), default=StatutBilan.A_DEPOSER, index=True
    )
    # Bilan annuel : dépenses réalisées de l'action, telles qu'au compte rendu financier (cerfa n° 15059).
    depenses_realisees: Mapped[Decimal | None] = mapped_column(Euros)
    premier_depot_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    depose_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrections_avant: Mapped[date | None] = mapped_column(Date)
    approuve_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approuve_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    modifie_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    version: Mapped[int] = mapped_column(Integer, default=1)

    annee: Mapped[AnneeConvention] = relationship(back_populates="bilans")
    convention: Mapped[Convention] = relationship()
    valeurs: Mapped[list["ValeurBilan"]] = relationship(
        back_populates="bilan", order_by="ValeurBilan.id", cascade="all, delete-orphan"
    )
    pieces: Mapped[list["PieceBilan"]] = relationship(back_populates="bilan", order_by="PieceBilan.id")
    versions: Mapped[list["VersionBilan"]] = relationship(back_populates="bilan", order_by="VersionBilan.rang")

    __mapper_args__ = {"version_id_col": version}

    @property
    def intitule(self):
        if self.type == TypeBilan.TRIMESTRIEL and self.arrete_au:
            return f"{self.type.libelle} — résultats au {date_fr(self.arrete_au)}"
        return self.type.libelle

    @property
    def modifiable(self):
        return self.statut in (StatutBilan.A_DEPOSER, StatutBilan.A_CORRIGER)

    @property
    def pieces_courantes(self):
        return [p for p in self.pieces if p.retiree_le is None]

    @property
    def compte_rendu_financier(self):
        return next((p for p in self.pieces_courantes if p.nature == "compte_rendu_financier"), None)

    @property
    def ouverture(self):
        """The first day this report may be filed (`regles.ouverture_depot`)."""
        return regles.ouverture_depot(self.type, self.annee.debut, self.annee.fin, self.arrete_au)

    def valeurs_par_cle(self):
        resultat = {}
        for v in self.valeurs:
            indicateur = suivi.PAR_CLE.get(f"{v.poste}.{v.code}")
            if indicateur is None:
                continue
            resultat[indicateur.cle] = v.texte if not indicateur.numerique else v.nombre
        return resultat

    @property
    def a_l_heure(self):
        """Filed (first filing) by the end of its due day, service's time."""
        if self.premier_depot_le is None:
            return None
        return regles.jour_local(self.premier_depot_le, self.convention.service.fuseau) <= self.echeance


class ValeurBilan(db.Model):
    """One indicator's value in a report: a number (exact, two decimals at most) or a text."""

    __tablename__ = "valeurs_bilan"
    __table_args__ = (
        UniqueConstraint("bilan_id", "poste", "code"),
        CheckConstraint("poste IN ('facilitateur', 'coordinateur', 'ensemble')", name="poste"),
        CheckConstraint("nombre IS NULL OR nombre >= 0", name="nombre"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilans.id", ondelete="CASCADE"), index=True)
    poste: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(60))
    nombre: Mapped[Decimal | None] = mapped_column(DecimalFixe(2))
    texte: Mapped[str] = mapped_column(Text, default="")

    bilan: Mapped[Bilan] = relationship(back_populates="valeurs")


class PieceBilan(db.Model):
    """A file attached to a report: the compte rendu financier (cerfa n° 15059) or any supporting document."""

    __tablename__ = "pieces_bilan"
    __table_args__ = (CheckConstraint("nature IN ('compte_rendu_financier', 'annexe')", name="nature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilans.id"), index=True)
    nature: Mapped[str] = mapped_column(String(30), default="annexe")
    libelle: Mapped[str] = mapped_column(String(200), default="")
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id"))
    ajoutee_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    ajoutee_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    retiree_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bilan: Mapped[Bilan] = relationship(back_populates="pieces")
    fichier: Mapped[Fichier] = relationship()

    @property
    def libelle_nature(self):
        return "Compte rendu financier (cerfa n° 15059)" if self.nature == "compte_rendu_financier" else "Annexe"


class VersionBilan(db.Model):
    """One filing of a report, frozen (values, spending, attachments with their hashes), and the agent's
    answer to it: approved, or corrections asked with a message."""

    __tablename__ = "versions_bilan"
    __table_args__ = (
        UniqueConstraint("bilan_id", "rang"),
        CheckConstraint("decision IS NULL OR decision IN ('approuve', 'a_corriger')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilans.id"), index=True)
    rang: Mapped[int] = mapped_column(Integer)
    depose_le: Mapped[datetime] = mapped_column(UTCDateTime)
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    instantane: Mapped[str] = mapped_column(Text)
    empreinte: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(20))
    decide_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    commentaire: Mapped[str] = mapped_column(Text, default="")

    bilan: Mapped[Bilan] = relationship(back_populates="versions")
    depose_par: Mapped[Utilisateur | None] = relationship(foreign_keys=[depose_par_id])
    decide_par: Mapped[Utilisateur | None] = relationship(foreign_keys=[decide_par_id])
