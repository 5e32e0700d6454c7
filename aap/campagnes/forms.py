"""Forms of campaign administration. Dates and times are typed in the service's time zone."""

from decimal import Decimal

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from ..entrees import NombreField
from ..forms import Formulaire, choix, requis
from ..limites import TEXTE_MAX, TITRE_MAX
from ..regles import LIBELLES_CONDITIONS


class CampagneForm(Formulaire):
    titre = StringField("Titre", validators=[requis("Indiquez le titre."), Length(max=TITRE_MAX)])
    annee = IntegerField(
        "Année",
        validators=[InputRequired("Indiquez l'année."), NumberRange(min=2000, max=2100, message="Année entre 2000 et 2100.")],
    )
    presentation = TextAreaField("Présentation (texte de l'appel)", validators=[Length(max=50000)])
    ouverture_jour = DateField("Ouverture des dépôts : jour", validators=[InputRequired("Indiquez le jour d'ouverture.")])
    ouverture_heure = TimeField("Ouverture : heure (heure du service)", validators=[Optional()], description="00:00 si vide.")
    cloture_jour = DateField("Clôture des dépôts : jour", validators=[InputRequired("Indiquez le jour de clôture.")])
    cloture_heure = TimeField(
        "Clôture : dernière minute (heure du service)",
        validators=[Optional()],
        description="Les dépôts sont reçus jusqu'à la fin de cette minute (23:59 si vide).",
    )
    taux_plafond = NombreField("Part maximale de l'État (%)", places=2, maximum=Decimal("100"), description="AAP 2022 : 70 %.")
    taux_plafond_collectivite = NombreField(
        "Part maximale de l'État pour les collectivités territoriales (%)",
        places=2,
        maximum=Decimal("100"),
        description="AAP 2022 : 80 %.",
    )
    etp_minimum = NombreField("Minimum d'ETP par projet", places=2, maximum=Decimal("10"), description="AAP 2022 : 0,5.")
    credits = NombreField(
        "Crédits de l'année 1 (€)",
        description="L'enveloppe du service pour l'année de la campagne : les décisions du COPIL s'y imputent.",
    )
    credits_annee2 = NombreField(
        "Crédits de l'année 2 (€)", description="Pour les avenants qui renouvellent les conventions une deuxième année."
    )
    credits_annee3 = NombreField(
        "Crédits de l'année 3 (€)", description="Pour les avenants qui renouvellent les conventions une troisième année."
    )
    courriel_contact = StringField("Courriel de contact", validators=[Optional(), Email("Adresse invalide."), Length(max=254)])
    publiee = BooleanField("Publiée (visible de tous)")


class PieceRequiseForm(Formulaire):
    code = StringField("Code", validators=[Length(max=60)], description="Minuscules, chiffres et « _ ».")
    libelle = StringField("Libellé", validators=[requis("Indiquez le libellé."), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=TEXTE_MAX)])
    condition = SelectField("Exigée pour", choices=choix(list(LIBELLES_CONDITIONS.items())))


class MissionForm(Formulaire):
    poste = SelectField("Poste", choices=choix([("facilitateur", "Facilitateur"), ("coordinateur", "Coordinateur régional")]))
    libelle = StringField("Mission", validators=[requis("Indiquez la mission."), Length(max=300)])


class CritereForm(Formulaire):
    code = StringField("Code", validators=[Length(max=40)], description="Minuscules, chiffres et « _ ».")
    groupe = StringField("Groupe", validators=[requis("Indiquez le groupe."), Length(max=120)])
    libelle = StringField("Critère", validators=[requis("Indiquez le critère."), Length(max=300)])
    maximum = IntegerField(
        "Points",
        validators=[
            InputRequired("Indiquez le maximum de points."),
            NumberRange(min=1, max=100, message="Entre 1 et 100 points."),
        ],
    )
