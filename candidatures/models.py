"""Tables of the candidatures domain: structures and their standing documents, dossiers, budget, pieces,
filings (frozen snapshots), status history and requests for additional pieces.

Permission methods live here (`Dossier.can_voir(user)`…): views and the API call them and answer 404
for an object the user may not see.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aap.enums import colonne_enum
from aap.extensions import db
from aap.fichiers import Fichier
from aap.formats import adresse_postale
from aap.limites import RAISON_SOCIALE_MAX, TITRE_MAX
from aap.models import Campagne, Commune, Mission, Poste, Role, Service, Utilisateur, check_valeurs
from aap.types import DecimalFixe, Euros, UTCDateTime, maintenant

from . import regles
from .enums import MODIFIABLES, AvisCtn, Statut, StatutJuridique, TypeDocument


class Structure(db.Model):
    """An applicant structure. Its profile is entered once and reused by each of its dossiers."""

    __tablename__ = "structures"
    __table_args__ = (
        CheckConstraint("etp_facilitateurs_existants >= 0", name="etp_facilitateurs_existants"),
        CheckConstraint("etp_coordinateurs_existants >= 0", name="etp_coordinateurs_existants"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    raison_sociale: Mapped[str] = mapped_column(String(RAISON_SOCIALE_MAX))
    statut_juridique: Mapped[StatutJuridique] = mapped_column(colonne_enum(StatutJuridique, 20, "statut_juridique"))
    adresse: Mapped[str] = mapped_column(Text, default="")
    code_postal: Mapped[str] = mapped_column(String(5), default="")
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    representant_nom: Mapped[str] = mapped_column(String(200), default="")
    representant_qualite: Mapped[str] = mapped_column(String(200), default="")
    contact_nom: Mapped[str] = mapped_column(String(200), default="")
    contact_courriel: Mapped[str] = mapped_column(String(254), default="")
    contact_telephone: Mapped[str] = mapped_column(String(40), default="")
    # AAP §B.1 : structure déjà porteuse de facilitateurs/coordinateurs, ou émergente.
    emergente: Mapped[bool] = mapped_column(Boolean, default=False)
    # Annexe 2 : rapport du commissaire aux comptes pour les associations qui y sont tenues (art. L.612-4).
    soumise_cac: Mapped[bool] = mapped_column(Boolean, default=False)
    # Les ETP déjà portés (annexe 2 : « état de financement actuel des ETP existants »).
    etp_facilitateurs_existants: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    etp_coordinateurs_existants: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    # Année « courante » des financements existants déclarés (l'année précédente est celle d'avant).
    annee_financements: Mapped[int | None] = mapped_column(Integer)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    modifie_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped[Service] = relationship()
    commune: Mapped[Commune | None] = relationship()
    # Utilisateur.structure vient d'ici (backref) : la fondation ne connaît pas les structures.
    membres: Mapped[list[Utilisateur]] = relationship(backref="structure", order_by=Utilisateur.id)
    financements: Mapped[list["FinancementExistant"]] = relationship(
        back_populates="structure", order_by="FinancementExistant.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list["DocumentStructure"]] = relationship(
        back_populates="structure", order_by="DocumentStructure.annee.desc()"
    )

    @property
    def est_collectivite(self):
        return self.statut_juridique == StatutJuridique.COLLECTIVITE

    @property
    def etp_existants(self):
        return self.etp_facilitateurs_existants + self.etp_coordinateurs_existants

    @property
    def documents_valides(self):
        return [d for d in self.documents if d.retire_le is None]

    @property
    def adresse_postale(self):
        """Street lines, then « 97600 Mamoudzou »: the address a letter is sent to."""
        return adresse_postale(self.adresse, self.code_postal, self.commune.nom if self.commune else "")

    def profil(self):
        """The live profile, as the rules read it (a dossier not yet filed is judged on it)."""
        return regles.ProfilStructure(
            statut_juridique=self.statut_juridique,
            emergente=self.emergente,
            soumise_cac=self.soumise_cac,
            profil_manquant=regles.profil_manquant(
                {
                    "adresse": self.adresse,
                    "commune": self.commune_code,
                    "representant_nom": self.representant_nom,
                    "representant_qualite": self.representant_qualite,
                }
            ),
            etp_facilitateurs_existants=self.etp_facilitateurs_existants,
            etp_coordinateurs_existants=self.etp_coordinateurs_existants,
            annee_financements=self.annee_financements,
            financements=tuple((f.poste, f.montant_annee_precedente, f.montant_annee_courante) for f in self.financements),
        )

    def can_voir(self, utilisateur):
        return utilisateur.is_authenticated and (utilisateur.porte(self.id) or utilisateur.can_lire_service(self.service_id))

    def can_modifier(self, utilisateur):
        return utilisateur.is_authenticated and utilisateur.porte(self.id)

    def __str__(self):
        return self.raison_sociale


class FinancementExistant(db.Model):
    """How the structure's existing posts are financed today, per financer (current and previous year)."""

    __tablename__ = "financements_existants"
    __table_args__ = (
        CheckConstraint(check_valeurs("financeur", regles.CATEGORIES_FINANCEURS), name="financeur"),
        CheckConstraint("montant_annee_precedente >= 0 AND montant_annee_courante >= 0", name="montants"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    poste: Mapped[Poste] = mapped_column(colonne_enum(Poste, 20, "poste"))
    financeur: Mapped[str] = mapped_column(String(30))
    nom_financeur: Mapped[str] = mapped_column(String(200))
    montant_annee_precedente: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    montant_annee_courante: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))

    structure: Mapped[Structure] = relationship(back_populates="financements")

    @property
    def libelle_financeur(self):
        return regles.LIBELLES_FINANCEURS[self.financeur]


class DocumentStructure(db.Model):
    """A standing document (statuts, comptes, rapport d'activité…) entered once, reused by every dossier."""

    __tablename__ = "documents_structure"
    __table_args__ = (CheckConstraint("annee >= 1900 AND annee <= 2200", name="annee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    type: Mapped[TypeDocument] = mapped_column(colonne_enum(TypeDocument, 30, "type"))
    annee: Mapped[int] = mapped_column(Integer)
    libelle: Mapped[str] = mapped_column(String(200), default="")
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id"))
    ajoute_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    ajoute_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    retire_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    structure: Mapped[Structure] = relationship(back_populates="documents")
    fichier: Mapped[Fichier] = relationship(lazy="joined")

    @property
    def intitule(self):
        return f"{self.type.libelle} {self.annee}" + (f" — {self.libelle}" if self.libelle else "")


dossiers_communes = Table(
    "dossiers_communes",
    db.metadata,
    Column("dossier_id", ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_code", ForeignKey("communes.code"), primary_key=True),
)
dossiers_missions = Table(
    "dossiers_missions",
    db.metadata,
    Column("dossier_id", ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True),
    Column("mission_id", ForeignKey("missions.id"), primary_key=True),
)


class Dossier(db.Model):
    """A structure's application to one campaign: from draft to filed, then through completeness checks.

    `version` is an optimistic lock: every save increments it, and a save made from an older version
    (another tab, another member of the structure) is refused instead of silently overwriting.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        # En centièmes d'ETP : 100 ETP au plus.
        CheckConstraint("etp_facilitateur >= 0 AND etp_facilitateur <= 10000", name="etp_facilitateur"),
        CheckConstraint("etp_coordinateur >= 0 AND etp_coordinateur <= 10000", name="etp_coordinateur"),
        CheckConstraint("montant_demande >= 0", name="montant_demande"),
        CheckConstraint("statut = 'brouillon' OR depose_le IS NOT NULL", name="depot"),
        CheckConstraint("statut = 'brouillon' OR numero IS NOT NULL", name="numero"),
        # Liste d'instruction : tri par dépôt, filtre du statut, jointure de la structure, dans l'index seul.
        Index("ix_dossiers_liste", "depose_le", "statut", "structure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campagne_id: Mapped[int] = mapped_column(ForeignKey("campagnes.id"), index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    # Dénormalisé depuis la campagne : chaque requête d'agent filtre par service sans jointure.
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    numero: Mapped[str | None] = mapped_column(String(40), unique=True)
    titre: Mapped[str] = mapped_column(String(TITRE_MAX), default="")
    statut: Mapped[Statut] = mapped_column(colonne_enum(Statut, 30, "statut"), default=Statut.BROUILLON, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    modifie_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    # Premier dépôt : la date à laquelle le dossier a été reçu (les dépôts suivants sont dans `depots`).
    depose_le: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Date du « dossier complet » retenue par l'agent (AAP §B.2-2 : seuls les dossiers complets sont instruits).
    recevable_le: Mapped[date | None] = mapped_column(Date)
    irrecevable_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    motif_irrecevabilite: Mapped[str] = mapped_column(Text, default="")

    # Le projet (AAP §B.2-1) : ETP demandés par poste, par pas de 0,05 (un poste à 0,75 ETP est courant).
    etp_facilitateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    etp_coordinateur: Mapped[Decimal] = mapped_column(DecimalFixe(2), default=Decimal("0"))
    # Le territoire (AAP §B.1, focus « zone blanche »).
    zone_blanche: Mapped[bool] = mapped_column(Boolean, default=False)
    zone_blanche_justification: Mapped[str] = mapped_column(Text, default="")
    # La stratégie (AAP §B.2-1 et annexe 2).
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    objectifs: Mapped[str] = mapped_column(Text, default="")
    strategie: Mapped[str] = mapped_column(Text, default="")
    calendrier: Mapped[str] = mapped_column(Text, default="")
    # Les engagements (AAP §B.2-3) et la déclaration sur l'honneur du représentant légal.
    engagement_non_baisse: Mapped[bool] = mapped_column(Boolean, default=False)
    declaration_honneur: Mapped[bool] = mapped_column(Boolean, default=False)
    signataire_nom: Mapped[str] = mapped_column(String(200), default="")
    signataire_qualite: Mapped[str] = mapped_column(String(200), default="")
    engagements_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part de l'État demandée pour l'année 1 (tenue à jour par l'enregistrement du budget).
    montant_demande: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    # AAP §C.1 : avis du comité technique national (structures émergentes), avant le COPIL.
    avis_ctn: Mapped[AvisCtn | None] = mapped_column(colonne_enum(AvisCtn, 20, "avis_ctn"))
    avis_ctn_le: Mapped[date | None] = mapped_column(Date)
    avis_ctn_commentaire: Mapped[str] = mapped_column(Text, default="")
    # RGPD : données personnelles et pièces effacées à la fin de la durée de conservation (aap/retention.py).
    anonymise_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campagne: Mapped[Campagne] = relationship()
    structure: Mapped[Structure] = relationship()
    service: Mapped[Service] = relationship()
    cree_par: Mapped[Utilisateur | None] = relationship()
    communes: Mapped[list[Commune]] = relationship(secondary=dossiers_communes, order_by=Commune.nom)
    missions: Mapped[list[Mission]] = relationship(secondary=dossiers_missions, order_by=Mission.ordre)
    volumes: Mapped[list["VolumeActivite"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="VolumeActivite.id"
    )
    lignes_budget: Mapped[list["LigneBudget"]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="LigneBudget.id"
    )
    pieces: Mapped[list["Piece"]] = relationship(back_populates="dossier", order_by="Piece.id")
    depots: Mapped[list["Depot"]] = relationship(back_populates="dossier", order_by="Depot.rang")
    historique: Mapped[list["ChangementStatut"]] = relationship(back_populates="dossier", order_by="ChangementStatut.id")
    demandes_complements: Mapped[list["DemandeComplements"]] = relationship(
        back_populates="dossier", order_by="DemandeComplements.id"
    )

    __mapper_args__ = {"version_id_col": version}

    # --- Lecture ---------------------------------------------------------------------------

    @property
    def etp_total(self):
        return self.etp_facilitateur + self.etp_coordinateur

    def etp_demande(self, poste):
        """ETP asked for one post (`Poste.FACILITATEUR` or `Poste.COORDINATEUR`)."""
        return self.etp_facilitateur if poste == Poste.FACILITATEUR else self.etp_coordinateur

    @property
    def postes(self):
        return [p for p in Poste if self.etp_demande(p) > 0]

    @property
    def pieces_courantes(self):
        """The pieces in force: neither replaced nor withdrawn."""
        return [p for p in self.pieces if p.remplacee_le is None and p.retiree_le is None]

    @property
    def dernier_depot(self):
        return self.depots[-1] if self.depots else None

    @property
    def demande_en_cours(self):
        demandes = [d for d in self.demandes_complements if d.close_le is None]
        return demandes[-1] if demandes else None

    @property
    def profil(self):
        """The structure as the rules judge this dossier: as it was at its last filing (the snapshot) once
        filed; its live profile before (a draft, or a dossier built without a filing, as imports are). A
        change of the profile applies to the dossiers not yet filed, never silently to a filed one."""
        depot = self.dernier_depot
        if depot is None:
            return self.structure.profil()
        return depot.profil

    @property
    def profil_du_controle(self):
        """The profile the live checklist judges: the live one while the applicant may still file (draft,
        compléments: the next filing takes it), the filed one afterwards."""
        return self.structure.profil() if self.statut in MODIFIABLES else self.profil

    @property
    def pret_pour_copil(self):
        """Recevable and, for a structure emerging when it filed, with the comité technique national's opinion (§C.1)."""
        return self.statut == Statut.RECEVABLE and (not self.profil.emergente or self.avis_ctn is not None)

    def rubrique_ouverte(self, rubrique):
        """Whether the applicant may change this part of the form now (all of it in a draft; only the
        parts named by the agent when compléments are asked)."""
        if self.statut == Statut.BROUILLON:
            return True
        if self.statut == Statut.COMPLEMENTS_DEMANDES and self.demande_en_cours:
            return rubrique in self.demande_en_cours.rubriques
        return False

    def piece_ouverte(self, code):
        if self.statut == Statut.BROUILLON:
            return True
        if self.statut == Statut.COMPLEMENTS_DEMANDES and self.demande_en_cours:
            return code in self.demande_en_cours.pieces
        return False

    # --- Permissions (Indico) ---------------------------------------------------------------

    def can_voir(self, utilisateur):
        """Members of the structure; agents of the service and national readers once it is filed.

        COPIL members see nothing here: the notation domain opens dossiers on their session's agenda.
        """
        if not utilisateur.is_authenticated:
            return False
        if utilisateur.porte(self.structure_id):
            return True
        return self.statut != Statut.BROUILLON and utilisateur.can_lire_service(self.service_id)

    @property
    def en_preparation(self):
        """A draft, or reopened by a request for additional pieces: its structure may change it and file it."""
        return self.statut in MODIFIABLES

    def can_modifier(self, utilisateur):
        return utilisateur.is_authenticated and utilisateur.porte(self.structure_id) and self.en_preparation

    def can_deposer(self, utilisateur):
        return self.can_modifier(utilisateur)

    def can_porter(self, utilisateur):
        """The structure's members: they fill it, file it and bring the compléments (the operations judge when)."""
        return utilisateur.is_authenticated and utilisateur.porte(self.structure_id)

    def can_instruire(self, utilisateur):
        """Completeness decisions and the comité technique's opinion: agents and administrators of the service."""
        return utilisateur.is_authenticated and utilisateur.instruit(self.service_id) and self.statut != Statut.BROUILLON

    def __str__(self):
        return self.numero or self.titre or f"Dossier n°{self.id}"


class VolumeActivite(db.Model):
    """Annexe 2 : volumes d'activité visés, par type de marchés (nombre de marchés et heures d'insertion)."""

    __tablename__ = "volumes_activite"
    __table_args__ = (
        UniqueConstraint("dossier_id", "categorie"),
        CheckConstraint(check_valeurs("categorie", regles.CATEGORIES_VOLUMES), name="categorie"),
        CheckConstraint("nombre_marches >= 0 AND heures_insertion >= 0", name="positifs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    categorie: Mapped[str] = mapped_column(String(30))
    nombre_marches: Mapped[int] = mapped_column(Integer, default=0)
    heures_insertion: Mapped[int] = mapped_column(Integer, default=0)

    dossier: Mapped[Dossier] = relationship(back_populates="volumes")


class LigneBudget(db.Model):
    """One line of the cerfa 12156 project budget (a charge or a financer), with its three years."""

    __tablename__ = "lignes_budget"
    __table_args__ = (
        UniqueConstraint("dossier_id", "categorie"),
        CheckConstraint(check_valeurs("categorie", regles.CATEGORIES_BUDGET), name="categorie"),
        CheckConstraint("montant_annee1 >= 0 AND montant_annee2 >= 0 AND montant_annee3 >= 0", name="positifs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    categorie: Mapped[str] = mapped_column(String(30))
    # Qui finance (nom des cofinanceurs, AAP §B.2-3) ou ce que recouvre la charge.
    precision: Mapped[str] = mapped_column(String(300), default="")
    montant_annee1: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    montant_annee2: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))
    montant_annee3: Mapped[Decimal] = mapped_column(Euros, default=Decimal("0"))

    dossier: Mapped[Dossier] = relationship(back_populates="lignes_budget")

    @property
    def montants(self):
        return (self.montant_annee1, self.montant_annee2, self.montant_annee3)


class Piece(db.Model):
    """A file given for a dossier: a required piece (its code) or a free extra document ('autre').

    Replacing a piece keeps the old row (`remplacee_le`): its history stays visible, and a filed
    snapshot keeps pointing at the file that was filed.
    """

    __tablename__ = "pieces"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    libelle: Mapped[str] = mapped_column(String(300), default="")
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents_structure.id"))
    ajoutee_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    ajoutee_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    remplacee_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retiree_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier: Mapped[Dossier] = relationship(back_populates="pieces")
    fichier: Mapped[Fichier] = relationship()
    document: Mapped[DocumentStructure | None] = relationship()
    ajoutee_par: Mapped[Utilisateur | None] = relationship()

    @property
    def en_vigueur(self):
        return self.remplacee_le is None and self.retiree_le is None


class Depot(db.Model):
    """One filing: the frozen snapshot of what was filed (fields, budget, pieces with their hashes)."""

    __tablename__ = "depots"
    __table_args__ = (UniqueConstraint("dossier_id", "rang"), CheckConstraint("rang >= 1", name="rang"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    rang: Mapped[int] = mapped_column(Integer)
    depose_le: Mapped[datetime] = mapped_column(UTCDateTime)
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    # Instantané JSON canonique : un document archivé, jamais requêté, dont l'empreinte figure à l'accusé.
    instantane: Mapped[str] = mapped_column(Text)
    empreinte: Mapped[str] = mapped_column(String(64))
    accuse_id: Mapped[int | None] = mapped_column(ForeignKey("fichiers.id"))

    dossier: Mapped[Dossier] = relationship(back_populates="depots")
    depose_par: Mapped[Utilisateur | None] = relationship()
    accuse: Mapped[Fichier | None] = relationship()

    @cached_property
    def contenu(self):
        """The snapshot, read once (it never changes)."""
        return json.loads(self.instantane)

    @property
    def profil(self):
        """The structure as filed (`regles.ProfilStructure`)."""
        structure = self.contenu["structure"]
        representant = structure.get("representant") or ["", ""]
        etp = structure.get("etp_existants") or {}
        return regles.ProfilStructure(
            statut_juridique=structure["statut_juridique"],
            emergente=bool(structure["emergente"]),
            soumise_cac=bool(structure.get("soumise_cac")),
            profil_manquant=regles.profil_manquant(
                {
                    "adresse": structure.get("adresse"),
                    "commune": structure.get("commune"),
                    "representant_nom": representant[0],
                    "representant_qualite": representant[1],
                }
            ),
            etp_facilitateurs_existants=Decimal(str(etp.get("facilitateur", "0"))),
            etp_coordinateurs_existants=Decimal(str(etp.get("coordinateur", "0"))),
            annee_financements=structure.get("annee_financements"),
            financements=tuple(
                (f["poste"], Decimal(str(f["annee_precedente"])), Decimal(str(f["annee_courante"])))
                for f in structure.get("financements_existants", [])
            ),
        )


class ChangementStatut(db.Model):
    """The status history of a dossier, shown to the applicant in plain words."""

    __tablename__ = "changements_statut"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    statut: Mapped[Statut] = mapped_column(colonne_enum(Statut, 30, "statut"))
    par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    commentaire: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="historique")
    par: Mapped[Utilisateur | None] = relationship()

    @property
    def par_agent(self):
        return self.par is not None and self.par.role != Role.PORTEUR


class DemandeComplements(db.Model):
    """An agent's request for corrections: only the named parts of the form and pieces reopen."""

    __tablename__ = "demandes_complements"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    demandee_le: Mapped[datetime] = mapped_column(UTCDateTime, default=maintenant)
    par_id: Mapped[int | None] = mapped_column(ForeignKey("utilisateurs.id"))
    date_limite: Mapped[date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text, default="")
    close_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier: Mapped[Dossier] = relationship(back_populates="demandes_complements")
    elements: Mapped[list["ElementComplement"]] = relationship(
        back_populates="demande", cascade="all, delete-orphan", order_by="ElementComplement.id"
    )

    @property
    def rubriques(self):
        return {e.code for e in self.elements if e.type == "rubrique"}

    @property
    def pieces(self):
        return {e.code for e in self.elements if e.type == "piece"}


class ElementComplement(db.Model):
    __tablename__ = "elements_complement"
    __table_args__ = (
        UniqueConstraint("demande_id", "type", "code"),
        CheckConstraint("type IN ('rubrique', 'piece')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes_complements.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(60))

    demande: Mapped[DemandeComplements] = relationship(back_populates="elements")


class ResumeDossier(db.Model):
    """What a list or an export shows of a dossier's checks and budget, stored so that a row is read, not
    recomputed from the whole dossier. Written only by `candidatures.resumes`, in the transaction of every write
    that can change it; the calendar, which moves with time alone, is judged when read."""

    __tablename__ = "resumes_dossiers"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    # Constats du contenu (`controles_dossier(…, calendrier=False)`) : points bloquants, avertissements.
    bloquants: Mapped[int] = mapped_column(Integer)
    avertissements: Mapped[int] = mapped_column(Integer)
    # La date limite de la demande de compléments en cours : elle remplace le calendrier de la campagne.
    limite_complements: Mapped[date | None] = mapped_column(Date)
    # Année 1 du budget, telle que l'export la montre.
    charges_annee1: Mapped[Decimal] = mapped_column(Euros)
    part_etat_annee1: Mapped[Decimal] = mapped_column(Euros)
    taux_etat_annee1: Mapped[Decimal | None] = mapped_column(DecimalFixe(4))
    cofinancement_annee1: Mapped[Decimal] = mapped_column(Euros)
    heures_insertion: Mapped[int] = mapped_column(Integer)
