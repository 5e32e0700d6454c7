"""Forms of the notation domain. Numbers typed by people are read by `aap.entrees` ("7,5" and "7.5" both
work; anything else gets a French message next to its field)."""

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from aap.entrees import EtpField, NombreField
from aap.formats import nombre_fr
from aap.forms import Formulaire, choix, requis
from aap.limites import TEXTE_MAX

from . import regles
from .models import Avis, Nature


class CasesACocher(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        valeurs = {str(v) for v, *_ in self.iter_choices()}
        if any(str(d) not in valeurs for d in self.data or []):
            raise ValidationError("Choix non permis.")


class SeanceForm(Formulaire):
    campagne_id = SelectField("Campagne", coerce=str, validators=[requis("Choisissez la campagne.")])
    date = DateField(
        "Date de la séance", validators=[InputRequired("Indiquez la date de la séance.")], description="Au format jj/mm/aaaa."
    )
    heure = TimeField("Heure (heure du service)", validators=[InputRequired("Indiquez l'heure de la séance.")])
    lieu = StringField(
        "Lieu",
        validators=[Optional(), Length(max=300)],
        description="Salle et adresse ; facultatif si la séance se tient en visioconférence.",
    )
    lien_visio = StringField(
        "Lien de visioconférence",
        validators=[Optional(), Length(max=500)],
        description="Commence par https:// ; facultatif si un lieu est indiqué.",
    )
    president_id = SelectField("Président de séance", validators=[requis("Choisissez le président de séance.")])
    membres = CasesACocher(
        "Membres invités", coerce=str, description="Membres du COPIL et agents du service ; le président en fait partie."
    )
    seuil_desaccord = IntegerField(
        "Seuil de désaccord (en % du maximum d'un critère)",
        default=40,
        validators=[InputRequired("Indiquez le seuil de désaccord."), NumberRange(1, 100, "Entre 1 et 100 %%.")],
        description="Au-delà de cet écart entre deux membres sur un critère, le critère est signalé en délibération.",
    )
    version = HiddenField()

    def validate_lien_visio(self, champ):
        if champ.data and not regles.est_https(champ.data.strip()):
            raise ValidationError("Le lien de visioconférence commence par https:// (sans espace).")

    def validate_lieu(self, champ):
        if not (champ.data or "").strip() and not (self.lien_visio.data or "").strip():
            raise ValidationError("Indiquez un lieu ou un lien de visioconférence.")


class InscriptionForm(Formulaire):
    dossier_id = SelectField("Dossier recevable à inscrire", validators=[requis("Choisissez un dossier.")])


class PresencesForm(Formulaire):
    presents = CasesACocher("Membres présents", coerce=str)


class DeclarationForm(Formulaire):
    conflit = RadioField(
        "Avez-vous un conflit d'intérêts avec ce dossier ?",
        choices=choix(
            [
                ("non", "Non, je n'ai aucun lien avec la structure ni avec le projet"),
                ("oui", "Oui : je me déporte (je ne note pas ce dossier et n'en vois pas les notes)"),
            ]
        ),
        validators=[requis("Répondez par oui ou par non.")],
    )
    nature = TextAreaField(
        "Nature du conflit",
        validators=[Length(max=TEXTE_MAX)],
        description="Si oui : votre lien avec la structure ou le projet (fonction, intérêt, parenté…).",
    )

    def validate_nature(self, champ):
        if self.conflit.data == "oui" and not (champ.data or "").strip():
            raise ValidationError("Précisez la nature du conflit d'intérêts (lien avec la structure, fonction…).")


class ReouvertureForm(Formulaire):
    motif = TextAreaField(
        "Motif de la réouverture", validators=[requis("Indiquez pourquoi vous rouvrez cette notation."), Length(max=TEXTE_MAX)]
    )


class DecisionForm(Formulaire):
    nature = RadioField("Décision", choices=choix(Nature.choix()), validators=[requis("Choisissez : retenu, ajourné ou rejeté.")])
    montant_accorde = NombreField(
        "Montant accordé (€)",
        description="Si retenu : au plus le montant demandé, le taux plafond du coût de ce qui est financé et les "
        "crédits restants.",
    )
    etp_facilitateur = EtpField("ETP de facilitateur financés", description="Par pas de 0,05.")
    etp_coordinateur = EtpField("ETP de coordinateur régional financés", description="Par pas de 0,05.")
    cout_retenu = NombreField(
        "Budget révisé de l'action financée (€, facultatif)",
        description="Si retenu avec un budget revu : le coût de ce qui est financé. Sinon, le coût de l'année 1 du "
        "budget déposé, ramené aux ETP accordés. L'État en finance au plus son taux plafond (§B.2-3).",
    )
    conditions = TextAreaField(
        "Conditions",
        validators=[Optional(), Length(max=TEXTE_MAX)],
        description="Si retenu : conditions posées par le COPIL (facultatif).",
    )
    motif = TextAreaField(
        "Motif",
        validators=[Length(max=TEXTE_MAX)],
        description="Obligatoire pour un ajournement ou un rejet : il figure dans la lettre.",
    )
    version = HiddenField()

    def valeurs(self):
        return {nom: self[nom].data for nom in ("montant_accorde", "etp_facilitateur", "etp_coordinateur", "cout_retenu")}


def formulaire_notation(grille, **valeurs):
    """The scoring form of a grid: points and comment per criterion, the overall opinion, a general comment."""

    class NotationForm(Formulaire):
        avis = RadioField("Avis global", choices=choix(Avis.choix()), validators=[Optional()])
        commentaire = TextAreaField(
            "Commentaire général",
            validators=[Optional(), Length(max=TEXTE_MAX)],
            description="Facultatif : ce que le comité doit retenir de ce dossier.",
        )
        version = HiddenField()
        action = HiddenField()

    for critere in grille:
        setattr(
            NotationForm,
            f"points_{critere.code}",
            StringField(
                f"{critere.libelle} (sur {nombre_fr(critere.maximum)})",
                validators=[Optional(), Length(max=12)],
                description=f"De 0 à {nombre_fr(critere.maximum)}, en points entiers ou demi-points.",
            ),
        )
        setattr(
            NotationForm,
            f"commentaire_{critere.code}",
            TextAreaField(
                f"Commentaire — {critere.libelle}",
                validators=[Optional(), Length(max=TEXTE_MAX)],
                description=f"Obligatoire sous {nombre_fr(critere.maximum / 2)} points.",
            ),
        )
    return NotationForm(**valeurs)
