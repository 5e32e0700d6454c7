"""Forms of the candidatures domain. Each step form gives `valeurs()`, the dict `operations.modifier` takes;
every step form carries the dossier's `version` (optimistic lock)."""

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from aap.entrees import EtpField, NombreField
from aap.fichiers import ACCEPT_HTML, FORMATS_ACCEPTES
from aap.forms import Formulaire, NouveauMotDePasse, choix, courriel, requis
from aap.limites import ETP_MAX, LIBELLE_MAX, NOM_MAX, RAISON_SOCIALE_MAX, TEXTE_MAX, TITRE_MAX, VOLUME_MAX
from aap.regles import probleme_siret

from . import constats, regles
from .models import AvisCtn, Poste, Statut, StatutJuridique, TypeDocument


class CasesField(SelectMultipleField):
    """Checkboxes (rendered by the template): a list of chosen values."""

    def pre_validate(self, form):
        valides = {str(c.value) for c in self.choices or []}
        for valeur in self.data or []:
            if str(valeur) not in valides:
                raise ValidationError("Choix invalide.")


class EtapeForm(Formulaire):
    """A step of the dossier: `depuis(dossier)` fills it from the dossier, `valeurs()` gives what it saves."""

    version = HiddenField()

    @classmethod
    def depuis(cls, dossier):
        return cls(data={"version": dossier.version} | cls.donnees(dossier))

    @staticmethod
    def donnees(dossier):
        raise NotImplementedError

    def valeurs(self):
        raise NotImplementedError

    def erreurs(self):
        """{field's name in the page: its first error}, the fields of sub-forms by their own name (`salaires_1`)."""
        champs = (sous for champ in self for sous in (champ if isinstance(champ, FormField) else (champ,)))
        erreurs = {champ.name: champ.errors[0] for champ in champs if champ.errors}
        return erreurs | ({None: self.form_errors[0]} if self.form_errors else {})


class ProjetForm(EtapeForm):
    titre = StringField(
        "Titre du projet",
        validators=[Length(max=TITRE_MAX, message=f"Au plus {TITRE_MAX} caractères.")],
        description="Par exemple : « Facilitation de la clause sociale sur Mamoudzou et Dembeni ».",
    )
    etp_facilitateur = EtpField(
        "ETP de facilitateur demandés",
        description="Par pas de 0,05 (un poste à 0,75 ETP, par exemple) ; 0 si vous ne demandez pas ce poste.",
    )
    etp_coordinateur = EtpField(
        "ETP de coordinateur régional demandés",
        description="Par pas de 0,05 ; 0 si vous ne demandez pas ce poste.",
    )

    @staticmethod
    def donnees(dossier):
        return {
            "titre": dossier.titre,
            "etp_facilitateur": dossier.etp_facilitateur,
            "etp_coordinateur": dossier.etp_coordinateur,
        }

    def valeurs(self):
        return {
            "titre": self.titre.data or "",
            "etp_facilitateur": self.etp_facilitateur.data or Decimal("0"),
            "etp_coordinateur": self.etp_coordinateur.data or Decimal("0"),
        }


class TerritoireForm(EtapeForm):
    communes = CasesField("Communes couvertes par le projet", choices=[], coerce=str)
    zone_blanche = BooleanField(
        "Le projet couvre une zone blanche",
        description="Territoire non couvert par un facilitateur, couvert seulement par un facilitateur limitrophe, "
        "ou insuffisamment couvert au regard des besoins (§B.1).",
    )
    zone_blanche_justification = TextAreaField(
        "Justification de la zone blanche",
        validators=[Length(max=TEXTE_MAX)],
        description="Ce qui fait de ce territoire une zone blanche, et votre implantation pour la couvrir.",
    )

    @staticmethod
    def donnees(dossier):
        return {
            "communes": [c.code for c in dossier.communes],
            "zone_blanche": dossier.zone_blanche,
            "zone_blanche_justification": dossier.zone_blanche_justification,
        }

    def valeurs(self):
        return {
            "communes": list(self.communes.data or []),
            "zone_blanche": self.zone_blanche.data,
            "zone_blanche_justification": self.zone_blanche_justification.data or "",
        }


class StrategieForm(EtapeForm):
    diagnostic = TextAreaField(
        "Diagnostic territorial",
        validators=[Length(max=TEXTE_MAX)],
        description="Les besoins recensés sur votre territoire d'action : acheteurs, marchés, publics, acteurs de "
        "l'insertion (§B.2-1).",
    )
    objectifs = TextAreaField(
        "Objectifs visés", validators=[Length(max=TEXTE_MAX)], description="Des objectifs clairs et, si possible, chiffrés."
    )
    strategie = TextAreaField(
        "Stratégie de mise en œuvre",
        validators=[Length(max=TEXTE_MAX)],
        description="Comment vous comptez atteindre ces objectifs : la crédibilité de la mise en œuvre est évaluée.",
    )
    missions = CasesField("Missions sur lesquelles le projet se positionne", choices=[], coerce=int)

    @staticmethod
    def donnees(dossier):
        return {
            "diagnostic": dossier.diagnostic,
            "objectifs": dossier.objectifs,
            "strategie": dossier.strategie,
            "missions": [m.id for m in dossier.missions],
        }

    def valeurs(self):
        return {
            "diagnostic": self.diagnostic.data or "",
            "objectifs": self.objectifs.data or "",
            "strategie": self.strategie.data or "",
            "missions": list(self.missions.data or []),
        }


def _entier(libelle):
    return IntegerField(
        libelle,
        validators=[Optional(), NumberRange(min=0, max=VOLUME_MAX, message="Nombre entier positif attendu.")],
    )


class ActiviteForm(EtapeForm):
    calendrier = TextAreaField(
        "Calendrier prévisionnel",
        validators=[Length(max=TEXTE_MAX)],
        description="Recrutement, montée en charge, premiers marchés accompagnés, bilans.",
    )

    @staticmethod
    def donnees(dossier):
        donnees = {"calendrier": dossier.calendrier}
        volumes = {v.categorie: v for v in dossier.volumes}
        for categorie in regles.CATEGORIES_VOLUMES:
            ligne = volumes.get(categorie)
            donnees[f"nombre_{categorie}"] = ligne.nombre_marches if ligne else None
            donnees[f"heures_{categorie}"] = ligne.heures_insertion if ligne else None
        return donnees

    def valeurs(self):
        return {
            "calendrier": self.calendrier.data or "",
            "volumes": {
                categorie: (self[f"nombre_{categorie}"].data or 0, self[f"heures_{categorie}"].data or 0)
                for categorie in regles.CATEGORIES_VOLUMES
            },
        }


for _categorie, _libelle in regles.CATEGORIES_VOLUMES.items():
    setattr(ActiviteForm, f"nombre_{_categorie}", _entier(f"{_libelle} : nombre de marchés"))
    setattr(ActiviteForm, f"heures_{_categorie}", _entier(f"{_libelle} : heures d'insertion"))


class LigneBudgetForm(Formulaire):
    """One line of the budget (cerfa 12156): who finances it, and its amount each year (fields `1`, `2`, `3`)."""

    class Meta:
        csrf = False  # un sous-formulaire : le jeton est celui de l'étape

    @classmethod
    def pour(cls, libelle):
        """The line's form, its fields labelled by the line (`Salaires…, année 1`) for the page and its errors."""
        champs = {"precision": StringField(f"{libelle} : précision", validators=[Length(max=LIBELLE_MAX)])}
        champs |= {str(annee): NombreField(f"{libelle}, année {annee}") for annee in regles.ANNEES}
        return type(cls.__name__, (cls,), champs)

    @staticmethod
    def donnees(ligne):
        montants = ligne.montants if ligne else (None,) * len(regles.ANNEES)
        return {"precision": ligne.precision if ligne else ""} | {
            str(annee): montant or None for annee, montant in zip(regles.ANNEES, montants, strict=True)
        }

    def valeurs(self):
        return self.precision.data or "", tuple(self[str(annee)].data or Decimal("0") for annee in regles.ANNEES)


class SousFormulaire(FormField):
    """A sub-form named by its key: its fields are `{key}_{field}` in the page (`salaires_1`, `salaires_precision`).
    The base form's text cleaner reaches the sub-form's own fields, not the sub-form itself."""

    def __init__(self, form_class, label=None, filters=(), **kwargs):
        super().__init__(form_class, label, separator="_", **kwargs)


class BudgetForm(EtapeForm):
    """The budget: one sub-form per line of the cerfa, charges then products (`lignes()` in that order)."""

    @staticmethod
    def donnees(dossier):
        lignes = {ligne.categorie: ligne for ligne in dossier.lignes_budget}
        return {categorie: LigneBudgetForm.donnees(lignes.get(categorie)) for categorie in regles.CATEGORIES_BUDGET}

    def lignes(self):
        return [self[categorie] for categorie in regles.CATEGORIES_BUDGET]

    def valeurs(self):
        return {"budget": {ligne.name: ligne.form.valeurs() for ligne in self.lignes()}}


for _categorie, _libelle in regles.CATEGORIES_BUDGET.items():
    setattr(BudgetForm, _categorie, SousFormulaire(LigneBudgetForm.pour(_libelle), _libelle))


class EngagementsForm(EtapeForm):
    engagement_non_baisse = BooleanField(
        "La structure s'engage à ne pas baisser les financements préexistants des autres postes de facilitateurs "
        "et de coordinateurs (§B.2-3)."
    )
    declaration_honneur = BooleanField(
        "Je certifie sur l'honneur, en qualité de représentant légal de la structure ou de son délégataire, "
        "l'exactitude des informations de ce dossier et des pièces jointes."
    )
    signataire_nom = StringField("Nom et prénom du signataire", validators=[Length(max=NOM_MAX)])
    signataire_qualite = StringField(
        "Qualité du signataire", validators=[Length(max=NOM_MAX)], description="Par exemple : président, maire, directrice."
    )

    @staticmethod
    def donnees(dossier):
        return {
            "engagement_non_baisse": dossier.engagement_non_baisse,
            "declaration_honneur": dossier.declaration_honneur,
            "signataire_nom": dossier.signataire_nom or dossier.structure.representant_nom,
            "signataire_qualite": dossier.signataire_qualite or dossier.structure.representant_qualite,
        }

    def valeurs(self):
        return {
            "engagement_non_baisse": self.engagement_non_baisse.data,
            "declaration_honneur": self.declaration_honneur.data,
            "signataire_nom": self.signataire_nom.data or "",
            "signataire_qualite": self.signataire_qualite.data or "",
        }


FORMULAIRES_ETAPES = {
    "projet": ProjetForm,
    "territoire": TerritoireForm,
    "strategie": StrategieForm,
    "activite": ActiviteForm,
    "budget": BudgetForm,
    "engagements": EngagementsForm,
}


class NouveauDossierForm(Formulaire):
    campagne_id = SelectField("Campagne", coerce=int, choices=[], validators=[InputRequired("Choisissez la campagne.")])
    titre = StringField(
        "Titre du projet",
        validators=[requis("Donnez un titre au projet (vous pourrez le changer)."), Length(max=TITRE_MAX)],
        description="Par exemple : « Facilitation de la clause sociale sur Mamoudzou et Dembeni ».",
    )


class PieceForm(Formulaire):
    code = SelectField("Pièce", choices=[], validators=[InputRequired("Choisissez la pièce.")])
    libelle = StringField(
        "Description du document",
        validators=[Length(max=LIBELLE_MAX)],
        description="Pour un document complémentaire : par exemple « Lettre de soutien de la CCI ».",
    )
    fichier = FileField(
        "Fichier",
        description=f"Formats acceptés : {FORMATS_ACCEPTES}. Taille maximale : 20 Mo.",
        render_kw={"accept": ACCEPT_HTML},
    )


class DepotForm(Formulaire):
    version = HiddenField()


class RecevableForm(Formulaire):
    recevable_le = DateField(
        "Date du dossier complet",
        validators=[InputRequired("Indiquez la date à laquelle le dossier est complet.")],
        description="Au plus tôt la date du dernier dépôt, au plus tard aujourd'hui.",
    )


class IrrecevableForm(Formulaire):
    motif = TextAreaField(
        "Motif de l'irrecevabilité",
        validators=[requis("Indiquez le motif : il est communiqué au porteur."), Length(max=TEXTE_MAX)],
    )


class ComplementsForm(Formulaire):
    rubriques = CasesField(
        "Étapes à rouvrir",
        choices=choix([(r, libelle) for r, libelle in regles.RUBRIQUES.items() if r != "pieces"]),
    )
    pieces = CasesField("Pièces à fournir ou à remplacer", choices=[])
    date_limite = DateField(
        "Date limite",
        validators=[InputRequired("Indiquez la date limite des compléments.")],
        description="Les compléments sont reçus jusqu'à 23 h 59 (heure du service) ce jour-là.",
    )
    message = TextAreaField(
        "Message au porteur",
        validators=[Optional(), Length(max=TEXTE_MAX)],
        description="Ce qui manque ou doit être corrigé, précisément.",
    )


class AvisCtnForm(Formulaire):
    avis = SelectField("Avis du comité technique national", choices=choix([(str(a), a.libelle) for a in AvisCtn]))
    le = DateField("Date de l'avis", validators=[InputRequired("Indiquez la date de l'avis.")])
    commentaire = TextAreaField("Commentaire", validators=[Optional(), Length(max=TEXTE_MAX)])


class StructureForm(Formulaire):
    raison_sociale = StringField(
        "Raison sociale", validators=[requis("Indiquez la raison sociale."), Length(max=RAISON_SOCIALE_MAX)]
    )
    statut_juridique = SelectField("Statut juridique", choices=choix(StatutJuridique.choix()))
    adresse = TextAreaField("Adresse", validators=[Length(max=2000)])
    code_postal = StringField("Code postal", validators=[Optional(), Length(min=5, max=5, message="5 chiffres.")])
    commune_code = SelectField("Commune", choices=[])
    representant_nom = StringField("Nom du représentant légal", validators=[Length(max=NOM_MAX)])
    representant_qualite = StringField(
        "Qualité du représentant légal", validators=[Length(max=NOM_MAX)], description="Président, maire, directeur général…"
    )
    contact_nom = StringField("Personne à contacter", validators=[Optional(), Length(max=NOM_MAX)])
    contact_courriel = StringField(
        "Courriel de contact",
        validators=[Optional(), Email("Adresse électronique invalide."), Length(max=254)],
        description="Reçoit aussi les accusés de réception et les demandes de compléments.",
    )
    contact_telephone = StringField("Téléphone de contact", validators=[Optional(), Length(max=40)])
    emergente = BooleanField(
        "Structure émergente (elle ne porte pas encore de facilitateur ni de coordinateur)",
        description="Les dossiers des structures émergentes sont aussi soumis au comité technique national (§C.1).",
    )
    soumise_cac = BooleanField("Association tenue d'avoir un commissaire aux comptes (article L.612-4 du code de commerce)")
    etp_facilitateurs_existants = NombreField("ETP de facilitateurs déjà portés", places=2, maximum=ETP_MAX)
    etp_coordinateurs_existants = NombreField("ETP de coordinateurs déjà portés", places=2, maximum=ETP_MAX)
    annee_financements = IntegerField(
        "Année de l'état de financement des ETP existants",
        validators=[Optional(), NumberRange(min=2000, max=2100, message="Année entre 2000 et 2100.")],
        description="Annexe 2 : chaque candidat présente l'état de financement actuel de ses ETP de facilitateurs et de "
        "coordinateurs existants, même s'il n'en porte aucun. Les montants « année précédente » portent sur l'année d'avant.",
    )

    def valeurs(self):
        valeurs = {nom: champ.data for nom, champ in self._fields.items() if nom != "csrf_token"}
        for nom in ("etp_facilitateurs_existants", "etp_coordinateurs_existants"):
            valeurs[nom] = valeurs[nom] or Decimal("0")
        return valeurs


class FinancementForm(Formulaire):
    poste = SelectField("Poste", choices=choix([(str(p), p.libelle) for p in Poste]))
    financeur = SelectField("Type de financeur", choices=choix(list(regles.LIBELLES_FINANCEURS.items())))
    nom_financeur = StringField(
        "Nom du financeur",
        validators=[requis("Nommez le financeur."), Length(max=NOM_MAX)],
        description="Par exemple : Conseil départemental de Mayotte.",
    )
    montant_annee_precedente = NombreField("Montant de l'année précédente (€)")
    montant_annee_courante = NombreField("Montant de l'année courante (€)")


class DocumentForm(Formulaire):
    type = SelectField("Type de document", choices=choix(TypeDocument.choix()))
    annee = IntegerField(
        "Année",
        validators=[
            InputRequired("Indiquez l'année du document."),
            NumberRange(min=2000, max=2100, message="Année entre 2000 et 2100."),
        ],
        description="L'exercice des comptes, l'année du rapport d'activité, l'année d'adoption des statuts.",
    )
    libelle = StringField("Précision (facultatif)", validators=[Length(max=NOM_MAX)])
    fichier = FileField(
        "Fichier",
        description=f"Formats acceptés : {FORMATS_ACCEPTES}. Taille maximale : 20 Mo.",
        render_kw={"accept": ACCEPT_HTML},
    )


AIDE_ETP = "Par pas de 0,1 ; 0 si vous ne demandez pas ce poste."


class SimulationForm(Formulaire):
    """The simulator of a campaign's public page (no account: a GET form, without CSRF token). Its figures are
    kept in a cookie and seed the first dossier created from this browser (`valeurs_dossier`)."""

    class Meta:
        csrf = False

    statut_juridique = SelectField("Statut juridique de la structure", choices=choix(StatutJuridique.choix()))
    emergente = BooleanField("Structure émergente (elle ne porte pas encore de facilitateur ni de coordinateur)")
    soumise_cac = BooleanField("Association tenue d'avoir un commissaire aux comptes")
    zone_blanche = BooleanField("Le projet couvre une zone blanche")
    etp_facilitateur = EtpField("ETP de facilitateur", description=AIDE_ETP)
    etp_coordinateur = EtpField("ETP de coordinateur régional", description=AIDE_ETP)
    cout = NombreField("Coût annuel des postes (€)", description="Salaires et charges sociales des ETP demandés, pour une année.")
    collectivites = NombreField("Cofinancement des collectivités territoriales (€)", validators=[Optional()])
    fse = NombreField("Cofinancement du Fonds social européen (€)", validators=[Optional()])
    fonds_propres = NombreField("Fonds propres de la structure (€)", validators=[Optional()])

    def faits(self):
        cofinancements = {c: self[c].data or Decimal("0") for c in regles.COFINANCEMENTS_SIMULES}
        return regles.FaitsDossier(
            statut_juridique=self.statut_juridique.data,
            emergente=self.emergente.data,
            soumise_cac=self.soumise_cac.data,
            zone_blanche=self.zone_blanche.data,
            etp_facilitateur=self.etp_facilitateur.data or Decimal("0"),
            etp_coordinateur=self.etp_coordinateur.data or Decimal("0"),
            budget=constats.budget_simule(self.cout.data or Decimal("0"), cofinancements),
        )

    def valeurs_dossier(self):
        """What the simulation puts in a new dossier: the posts and the year-1 budget."""
        faits = self.faits()
        return {
            "etp_facilitateur": faits.etp_facilitateur,
            "etp_coordinateur": faits.etp_coordinateur,
            "budget": {categorie: ("", montants) for categorie, montants in faits.budget.items()},
        }


STATUTS_FILTRABLES = [s for s in Statut if s != Statut.BROUILLON]


class InscriptionForm(NouveauMotDePasse):
    prenom = StringField("Prénom", validators=[requis("Indiquez votre prénom."), Length(max=100)])
    nom = StringField("Nom", validators=[requis("Indiquez votre nom."), Length(max=100)])
    email = EmailField("Adresse électronique professionnelle", validators=courriel())
    siret = StringField(
        "SIRET de votre structure",
        validators=[requis("Indiquez le SIRET de votre structure.")],
        description=(
            "14 chiffres, espaces permis. Si votre structure a déjà un compte, un de ses membres validera votre rattachement."
        ),
    )
    raison_sociale = StringField(
        "Raison sociale",
        validators=[Optional(), Length(max=250)],
        description="Seulement si votre structure n'a pas encore de compte.",
    )
    statut_juridique = SelectField(
        "Statut juridique",
        choices=choix([("", "— Choisir —"), *StatutJuridique.choix()]),
        validators=[Optional()],
        description="Seulement si votre structure n'a pas encore de compte.",
    )

    def indices(self):
        return [self.email.data, self.prenom.data, self.nom.data]

    def validate_siret(self, champ):
        probleme = probleme_siret(champ.data)
        if probleme:
            raise ValidationError(probleme)
