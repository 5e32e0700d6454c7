"""Forms of the foundation: accounts, tokens, invitations, the service's settings."""

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from .entrees import texte_propre
from .models import Role
from .regles import normaliser_siret, probleme_departements, probleme_fuseau, probleme_mot_de_passe, probleme_siret


def propre(valeur):
    return texte_propre(valeur) if isinstance(valeur, str) else valeur


class Formulaire(FlaskForm):
    """Base form: WTForms' own messages in French; every text it lets through cleaned by `texte_propre`
    (passwords excepted: they are kept exactly as typed)."""

    class Meta:
        locales = ["fr_FR", "fr"]

        def bind_field(self, form, unbound_field, options):
            filtres = unbound_field.kwargs.get("filters", ())
            if unbound_field.field_class is not PasswordField:
                filtres = (*filtres, propre)
            return unbound_field.bind(form=form, filters=filtres, **options)

    def porter_refus(self, refus, correspondances=None, en_tete=True, a_defaut=None):
        """A business rule's refusal shown where it belongs: each message next to its field, or above the form.
        A rule names a field as the form does, or by a key the form flattens ("poste.code" is the field
        `poste__code`, "objectif-x" is `objectif_x`), or by a dotted path whose first part is the field;
        `correspondances` renames the others, and `a_defaut` takes what names no field (an upload's refusal
        goes to its file field). Returns the messages no field could take; `en_tete=False` leaves them out of
        the form's own summary, for a page that shows them in its alert."""
        restantes = []
        for erreur in getattr(refus, "liste", None) or [refus]:
            champ = self._champ_de(erreur.champ, correspondances or {}) or a_defaut
            if champ is not None:
                self[champ].errors = [*self[champ].errors, erreur.message]
            else:
                restantes.append(erreur.message)
        if en_tete:
            self.form_errors.extend(restantes)
        return restantes

    def _champ_de(self, nom, correspondances):
        nom = correspondances.get(nom, nom) if nom else ""
        for candidat in (nom.replace(".", "__").replace("-", "_"), nom.split(".")[0]):
            if candidat and candidat in self:
                return candidat
        return None


def choix(paires):
    return [SelectChoice(valeur, libelle) for valeur, libelle in paires]


def requis(message="Ce champ est obligatoire."):
    return DataRequired(message=message)


def courriel():
    return [requis("Indiquez votre adresse électronique."), Email("Adresse électronique invalide."), Length(max=254)]


class ConnexionForm(Formulaire):
    email = EmailField("Adresse électronique", validators=courriel())
    mot_de_passe = PasswordField("Mot de passe", validators=[requis("Indiquez votre mot de passe.")])


class CodeForm(Formulaire):
    code = StringField(
        "Code à 6 chiffres",
        validators=[requis("Saisissez le code affiché par votre application."), Length(max=10)],
        description="Affiché par votre application d'authentification (FreeOTP, Google Authenticator…).",
    )


class NouveauMotDePasse(Formulaire):
    mot_de_passe = PasswordField(
        "Mot de passe",
        validators=[requis("Choisissez un mot de passe."), Length(max=200)],
        description="Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner.",
    )
    confirmation = PasswordField(
        "Confirmation du mot de passe",
        validators=[requis("Confirmez le mot de passe."), EqualTo("mot_de_passe", "Les deux mots de passe diffèrent.")],
    )

    def indices(self):
        return []

    def validate_mot_de_passe(self, champ):
        probleme = probleme_mot_de_passe(champ.data or "", self.indices())
        if probleme:
            raise ValidationError(probleme)


class CourrielForm(Formulaire):
    email = EmailField("Adresse électronique", validators=courriel())


class JetonForm(Formulaire):
    nom = StringField(
        "Nom du jeton",
        validators=[requis("Donnez un nom à ce jeton (l'outil qui l'utilisera)."), Length(max=100)],
        description="Par exemple : « tableur de suivi » ou « script d'export ».",
    )


ROLES_INVITABLES = [Role.AGENT, Role.COPIL, Role.ADMIN]


class InvitationForm(Formulaire):
    email = EmailField("Adresse électronique", validators=courriel())
    prenom = StringField("Prénom", validators=[Optional(), Length(max=100)])
    nom = StringField("Nom", validators=[Optional(), Length(max=100)])
    role = SelectField(
        "Rôle",
        choices=choix(Role.choix(ROLES_INVITABLES)),
        validators=[requis("Choisissez un rôle.")],
    )


class CompteForm(Formulaire):
    role = SelectField("Rôle", choices=choix(Role.choix(ROLES_INVITABLES)), validators=[requis()])
    actif = SelectField("État du compte", choices=choix([("1", "Actif"), ("0", "Désactivé")]), validators=[requis()])


class ServiceForm(Formulaire):
    """The settings of a service that its documents carry (CRPA R112-5, L212-1), its territory and time zone."""

    nom = StringField("Nom du service", validators=[requis("Indiquez le nom du service."), Length(max=200)])
    intitule_officiel = StringField(
        "Bloc-marque",
        validators=[requis("Indiquez le bloc-marque."), Length(max=200)],
        description="En tête des documents, par exemple « Préfet de La Réunion ».",
    )
    prefet = StringField(
        "Autorité, dans le texte",
        validators=[requis("Indiquez l'autorité au nom de laquelle le service décide."), Length(max=200)],
        description="Avec sa casse, tel qu'écrit dans une phrase : « préfet de la Guadeloupe », « préfète de la région "
        "Grand Est ».",
    )
    departements = StringField(
        "Départements couverts",
        validators=[requis("Indiquez au moins un département."), Length(max=60)],
        description="Codes INSEE séparés par des espaces, par exemple « 974 » : les communes proposées aux porteurs.",
    )
    fuseau = StringField(
        "Fuseau horaire",
        validators=[requis("Indiquez le fuseau horaire."), Length(max=60)],
        description="Nom IANA, par exemple Indian/Reunion : les dates limites se jugent à cette heure.",
    )
    adresse = TextAreaField(
        "Adresse postale : service, voie, boîte postale",
        validators=[requis("Indiquez l'adresse postale du service."), Length(max=500)],
    )
    code_postal = StringField("Code postal", validators=[requis("Indiquez le code postal."), Length(max=5)])
    commune = StringField("Commune (ou bureau distributeur)", validators=[requis("Indiquez la commune."), Length(max=100)])
    telephone = StringField("Téléphone", validators=[requis("Indiquez le téléphone du service."), Length(max=40)])
    courriel = EmailField(
        "Adresse électronique du service",
        validators=[requis("Indiquez l'adresse électronique du service."), Email(), Length(max=254)],
    )
    lieu_signature = StringField(
        "Lieu de signature des actes",
        validators=[requis("Indiquez le lieu de signature."), Length(max=100)],
        description="« Fait à … » dans les conventions, « … , le » dans les lettres.",
    )
    signataire_prenom = StringField(
        "Prénom du signataire", validators=[requis("Indiquez le prénom du signataire."), Length(max=100)]
    )
    signataire_nom = StringField("Nom du signataire", validators=[requis("Indiquez le nom du signataire."), Length(max=100)])
    signataire_qualite = StringField(
        "Qualité du signataire",
        validators=[requis("Indiquez la qualité du signataire."), Length(max=200)],
        description="Par exemple « directeur de l'économie, de l'emploi, du travail et des solidarités ».",
    )
    tribunal = StringField(
        "Juridiction des recours",
        validators=[requis("Indiquez le tribunal administratif compétent."), Length(max=200)],
        description="Par exemple « tribunal administratif de La Réunion ».",
    )
    siret = StringField(
        "SIRET du service",
        validators=[Optional(), Length(max=20)],
        description="Identifiant de l'attribuant dans les données ouvertes des subventions (14 chiffres).",
    )

    def validate_departements(self, champ):
        probleme = probleme_departements(champ.data.split())
        if probleme:
            raise ValidationError(probleme)

    def validate_fuseau(self, champ):
        probleme = probleme_fuseau(champ.data.strip())
        if probleme:
            raise ValidationError(probleme)

    def validate_code_postal(self, champ):
        if not re.fullmatch(r"\d{5}", champ.data.strip()):
            raise ValidationError("Le code postal compte 5 chiffres.")

    def validate_siret(self, champ):
        probleme = probleme_siret(champ.data) if champ.data.strip() else None
        if probleme:
            raise ValidationError(probleme)

    def valeurs(self):
        champs = {nom: (champ.data or "").strip() for nom, champ in self._fields.items() if nom != "csrf_token"}
        champs["departements"] = " ".join(champs["departements"].split())
        champs["siret"] = normaliser_siret(champs["siret"])
        return champs
