"""Forms of the conventions domain. Numbers typed by people (euros, hours, counts, a percentage) are read by the
foundation's `NombreField`, so that "1 250,50" and "1250.5" both work and anything else gets a French message next
to its field; the operations receive Decimals and judge the domain's rules (an indicator's value may be typed
negative: its rule says why it is refused). Indicator fields are named `<poste>__<code>` (an indicator's key is
`<poste>.<code>`)."""

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from aap.entrees import NombreField
from aap.fichiers import ACCEPT_HTML, FORMATS_ACCEPTES
from aap.forms import Formulaire, choix, requis
from aap.limites import TEXTE_MAX

from . import regles, suivi


def nom_champ(cle):
    return cle.replace(".", "__")


def cle_champ(nom):
    return nom.replace("__", ".", 1)


def _champ_valeur(indicateur, description):
    """The number field of an indicator (a target, a report's value): its unit in the label, its sign and precision
    judged by the indicator's rule."""
    unite = {"heures": " (heures)", "euros": " (€)"}.get(indicateur.type, "") if "€" not in indicateur.libelle else ""
    return NombreField(f"{indicateur.libelle}{unite}", maximum=suivi.NOMBRE_MAX, signe=True, description=description)


def _champs_objectifs(classe, indicateurs):
    for indicateur in indicateurs:
        description = f"{regles.LIBELLES_POSTES[indicateur.poste]} — objectif de l'année, convenu avec la structure."
        setattr(classe, "objectif_" + nom_champ(indicateur.cle), _champ_valeur(indicateur, description))


def objectifs_de(form, indicateurs):
    return {i.cle: form["objectif_" + nom_champ(i.cle)].data for i in indicateurs}


def formulaire_creation(indicateurs, **valeurs):
    class CreationForm(Formulaire):
        date_effet = DateField(
            "Date d'effet",
            validators=[InputRequired("Indiquez la date d'effet.")],
            description="Premier jour des douze mois de la convention (AAP §D.1 : elle peut préciser une date d'effet).",
        )
        taux_plafond = NombreField(
            "Part de l'État dans les dépenses éligibles, au plus (%)",
            maximum=Decimal(100),
            validators=[Optional()],
            description="Le plafond du dossier déposé (AAP §B.2-3 : 70 %, 80 % pour les collectivités) ; un taux "
            "inférieur peut être convenu. Ce que l'État doit chaque année en découle.",
        )
        mois_bilan_intermediaire = IntegerField(
            "Bilan intermédiaire : au bout de combien de mois ?",
            default=regles.MOIS_BILAN_INTERMEDIAIRE,
            validators=[
                InputRequired("Indiquez le mois du bilan intermédiaire."),
                NumberRange(1, 11, "Entre le 1er et le 11e mois."),
            ],
            description="À mi-parcours par défaut (6 mois).",
        )

        def part_de_l_etat(self):
            """The cap rate typed as a percentage, as the share the operation takes (None: the dossier's)."""
            return None if self.taux_plafond.data is None else self.taux_plafond.data / 100

    _champs_objectifs(CreationForm, indicateurs)
    return CreationForm(**valeurs)


def formulaire_renouvellement(indicateurs, **valeurs):
    class RenouvellementForm(Formulaire):
        montant = NombreField(
            "Montant accordé pour la nouvelle année (€)",
            description="Versé à 50 % à la signature de l'avenant, le solde sur le compte rendu financier approuvé.",
        )
        cout_retenu = NombreField(
            "Budget révisé de l'année (€, facultatif)",
            validators=[Optional()],
            description="Si le coût de l'année a été revu : il remplace celui du budget déposé pour le plafond de l'État.",
        )

    _champs_objectifs(RenouvellementForm, indicateurs)
    return RenouvellementForm(**valeurs)


class NonRenouvellementForm(Formulaire):
    motif = TextAreaField(
        "Motif du non-renouvellement",
        validators=[requis("Indiquez le motif."), Length(max=TEXTE_MAX)],
        description="Il est envoyé à la structure.",
    )


class SignatureForm(Formulaire):
    signee_le = DateField(
        "Date de signature",
        validators=[InputRequired("Indiquez la date de signature.")],
        description="Celle des trois exemplaires signés par les deux parties.",
    )
    scan = FileField(
        "Exemplaire signé, numérisé",
        description="En PDF, ou en image JPEG ou PNG. Taille maximale : 20 Mo.",
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png"},
    )
    # L'exemplaire reçu avec un envoi refusé pour sa date : gardé, il n'est pas à choisir de nouveau.
    scan_garde = HiddenField()


class PaiementForm(Formulaire):
    paye_le = DateField("Date du paiement", validators=[InputRequired("Indiquez la date du paiement.")])
    reference = StringField(
        "Référence comptable",
        validators=[requis("Indiquez la référence comptable."), Length(max=100)],
        description="Numéro de la demande de paiement dans Chorus.",
    )
    version = HiddenField()


class AnnulationForm(Formulaire):
    motif = TextAreaField(
        "Motif de l'annulation", validators=[requis("Indiquez le motif de l'annulation."), Length(max=TEXTE_MAX)]
    )
    version = HiddenField()


class AjustementForm(Formulaire):
    montant = NombreField("Montant du solde (€)", validators=[InputRequired("Indiquez le montant du solde.")])
    motif = TextAreaField(
        "Motif de la réduction",
        validators=[Optional(), Length(max=TEXTE_MAX)],
        description="Obligatoire si le solde est réduit : réalisations ou dépenses inférieures à ce qui était convenu.",
    )
    version = HiddenField()


class ReversementForm(Formulaire):
    le = DateField("Date", validators=[InputRequired("Indiquez la date.")])
    reference = StringField("Référence du titre de perception", validators=[Optional(), Length(max=100)])
    commentaire = TextAreaField("Commentaire", validators=[Optional(), Length(max=TEXTE_MAX)])


class PieceBilanForm(Formulaire):
    nature = RadioField(
        "Nature",
        choices=choix([("compte_rendu_financier", "Compte rendu financier (cerfa n° 15059)"), ("annexe", "Autre document")]),
        default="annexe",
        validators=[requis("Choisissez la nature du document.")],
    )
    libelle = StringField(
        "Description",
        validators=[Optional(), Length(max=200)],
        description="Par exemple : « tableau de suivi des heures d'insertion ».",
    )
    fichier = FileField(
        "Fichier",
        description=f"Formats acceptés : {FORMATS_ACCEPTES}. Taille maximale : 20 Mo.",
        render_kw={"accept": ACCEPT_HTML},
    )


class ApprobationForm(Formulaire):
    depenses_eligibles = NombreField(
        "Dépenses éligibles retenues (€)",
        maximum=suivi.NOMBRE_MAX,
        validators=[Optional()],
        description="Au vu du compte rendu financier ; par défaut, les dépenses déclarées. L'État en doit au plus son taux "
        "plafond, dans la limite de la subvention de l'année.",
    )
    commentaire = TextAreaField("Commentaire", validators=[Optional(), Length(max=TEXTE_MAX)])
    version = HiddenField()


class CorrectionsForm(Formulaire):
    message = TextAreaField(
        "Corrections demandées", validators=[requis("Indiquez ce qui est à corriger."), Length(max=TEXTE_MAX)]
    )
    date_limite = DateField("À redéposer avant le", validators=[InputRequired("Indiquez la date limite.")])
    version = HiddenField()


LIBELLES_DEPENSES = {
    regles.ANNUEL: (
        "Dépenses de l'action sur l'année, engagées et prévues jusqu'au terme (€)",
        "Une estimation, pour la décision de renouvellement : le solde se calcule sur le compte rendu financier, "
        "déposé une fois l'année terminée.",
    ),
    regles.FINANCIER: (
        "Dépenses réalisées de l'action sur l'année (€)",
        "Le total des charges de l'action, tel qu'au compte rendu financier (cerfa n° 15059) joint ci-dessous.",
    ),
}


def formulaire_bilan(indicateurs, type_bilan, **valeurs):
    """The report's form: one field per indicator (numbers, qualitative information as paragraphs)."""

    class BilanForm(Formulaire):
        version = HiddenField()
        action = HiddenField()

    for indicateur in indicateurs:
        nom = nom_champ(indicateur.cle)
        if indicateur.numerique:
            setattr(BilanForm, nom, _champ_valeur(indicateur, indicateur.aide or None))
        else:
            setattr(
                BilanForm,
                nom,
                TextAreaField(indicateur.libelle, validators=[Length(max=TEXTE_MAX)], description=indicateur.aide or None),
            )
    if type_bilan in LIBELLES_DEPENSES:
        libelle, description = LIBELLES_DEPENSES[type_bilan]
        BilanForm.depenses_realisees = NombreField(libelle, maximum=suivi.NOMBRE_MAX, description=description)
    return BilanForm(**valeurs)
