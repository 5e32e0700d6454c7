"""The enumerations of the candidatures domain (each value with its label and badge) and the sets of them the rules
name: a dossier's status, a structure's legal form, the comité technique's opinion, the types of standing documents."""

from aap.enums import EnumFr


class StatutJuridique(EnumFr):
    ASSOCIATION = "association", "Association"
    COLLECTIVITE = "collectivite", "Collectivité territoriale"
    EPA = "epa", "Établissement public administratif (EPA)"
    RESEAU_EMPLOI = "reseau_emploi", "Réseau de l'emploi"
    AUTRE = "autre", "Autre"


class Statut(EnumFr):
    """Where a dossier stands. Notation adds its outcomes (retenu, ajourné, rejeté) through its own decisions."""

    BROUILLON = "brouillon", "Brouillon"
    DEPOSE = "depose", "Déposé", "info"
    COMPLEMENTS_DEMANDES = "complements_demandes", "Compléments demandés", "warning"
    RECEVABLE = "recevable", "Recevable", "success"
    IRRECEVABLE = "irrecevable", "Irrecevable", "error"
    RETENU = "retenu", "Retenu", "success"
    AJOURNE = "ajourne", "Ajourné", "new"
    REJETE = "rejete", "Rejeté", "error"

    @property
    def explication(self):
        """The status in plain words, for the applicant."""
        return EXPLICATIONS_STATUTS[self]


EXPLICATIONS_STATUTS = {
    Statut.BROUILLON: "Votre dossier est en cours de préparation : il n'a pas encore été déposé.",
    Statut.DEPOSE: "Votre dossier a été déposé ; la DEETS vérifie qu'il est complet.",
    Statut.COMPLEMENTS_DEMANDES: "La DEETS vous demande des compléments : corrigez les éléments indiqués et "
    "déposez à nouveau votre dossier avant la date limite.",
    Statut.RECEVABLE: "Votre dossier est complet et recevable : il sera examiné par le comité de pilotage (COPIL).",
    Statut.IRRECEVABLE: "Votre dossier a été déclaré irrecevable : il ne sera pas examiné.",
    Statut.RETENU: "Votre projet a été retenu.",
    Statut.AJOURNE: "L'examen de votre projet est ajourné.",
    Statut.REJETE: "Votre projet n'a pas été retenu.",
}
MODIFIABLES = (Statut.BROUILLON, Statut.COMPLEMENTS_DEMANDES)


class AvisCtn(EnumFr):
    """AAP §C.1: the comité technique national's opinion, always asked for emerging structures."""

    FAVORABLE = "favorable", "Favorable"
    RESERVE = "reserve", "Favorable avec réserves"
    DEFAVORABLE = "defavorable", "Défavorable"


class TypeDocument(EnumFr):
    STATUTS = "statuts", "Statuts"
    COMPTES_ANNUELS = "comptes_annuels", "Comptes annuels"
    RAPPORT_ACTIVITE = "rapport_activite", "Rapport d'activité"
    RAPPORT_CAC = "rapport_cac", "Rapport du commissaire aux comptes (ou référence au Journal officiel)"
    AUTRE = "autre", "Autre document"


# « Dites-le-nous une fois » : la pièce d'un dossier qu'un document permanent de la structure peut fournir.
DOCUMENT_POUR_PIECE = {
    "rapports_activite": TypeDocument.RAPPORT_ACTIVITE,
    "comptes_annuels": TypeDocument.COMPTES_ANNUELS,
    "rapport_cac": TypeDocument.RAPPORT_CAC,
}
