"""Forms of the foundation: accounts, tokens, invitations."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from candidatures.models import LIBELLES_STATUTS

from .models import LIBELLES_ROLES, Role
from .regles import probleme_mot_de_passe, probleme_siret


def sans_nul(valeur):
    """PostgreSQL refuses the NUL character in text: a NUL typed or pasted into any field is dropped."""
    return valeur.replace("\x00", "") if isinstance(valeur, str) else valeur


class Formulaire(FlaskForm):
    """Base form: WTForms' own messages in French; no NUL in any text it lets through."""

    class Meta:
        locales = ["fr_FR", "fr"]

        def bind_field(self, form, unbound_field, options):
            filtres = (*unbound_field.kwargs.get("filters", ()), sans_nul)
            return unbound_field.bind(form=form, filters=filtres, **options)


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
        choices=choix([("", "— Choisir —")] + [(str(s), libelle) for s, libelle in LIBELLES_STATUTS.items()]),
        validators=[Optional()],
        description="Seulement si votre structure n'a pas encore de compte.",
    )

    def indices(self):
        return [self.email.data, self.prenom.data, self.nom.data]

    def validate_siret(self, champ):
        probleme = probleme_siret(champ.data)
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
        choices=choix((str(r), LIBELLES_ROLES[r]) for r in ROLES_INVITABLES),
        validators=[requis("Choisissez un rôle.")],
    )


class CompteForm(Formulaire):
    role = SelectField("Rôle", choices=choix((str(r), LIBELLES_ROLES[r]) for r in ROLES_INVITABLES), validators=[requis()])
    actif = SelectField("État du compte", choices=choix([("1", "Actif"), ("0", "Désactivé")]), validators=[requis()])
