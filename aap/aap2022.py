"""The 2022 call for projects as its text wrote it (../shared/reference/): what a new campaign is seeded with."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

MAYOTTE = ZoneInfo("Indian/Mayotte")

TITRE = "Augmentation et consolidation du nombre de facilitateurs et de coordinateurs régionaux de la clause sociale d'insertion"
PRESENTATION = (
    "Appel à projets national mis en œuvre dans le cadre du Plan national des achats durables (PNAD) "
    "2022-2025, volet social, relayé par la DEETS de Mayotte. Il cofinance des postes (en ETP) de "
    "facilitateurs et de coordinateurs régionaux de la clause sociale d'insertion, pour accompagner "
    "prioritairement les acheteurs publics de l'État, de ses établissements et de ses programmes (NPNRU).\n\n"
    "Peuvent candidater les associations, les collectivités territoriales et leurs établissements publics "
    "administratifs (EPA) ; les réseaux de l'emploi peuvent se positionner sur les postes de coordinateurs "
    "régionaux. L'appel vise en priorité les structures déjà porteuses de facilitateurs ou de coordinateurs ; "
    "les candidatures des structures émergentes sont aussi soumises au comité technique national.\n\n"
    "Les projets couvrent au moins 0,5 ETP. L'État finance au plus 70 % de l'ETP (80 % pour les collectivités "
    "territoriales) ; les cofinancements apparaissent dans le budget. Les dossiers sont examinés par le COPIL "
    "départemental au moins une fois par trimestre, dans la limite des crédits disponibles. Une convention "
    "de douze mois, renouvelable par avenant dans la limite de trois ans, est signée avec chaque lauréat."
)
COURRIEL_CONTACT = "976.insertion@deets.gouv.fr"

# AAP §C : dépôt à partir du 1er juillet 2022, au fil de l'eau jusqu'au 31 octobre.
OUVERTURE = datetime(2022, 7, 1, 0, 0, tzinfo=MAYOTTE)
CLOTURE = datetime(2022, 10, 31, 23, 59, tzinfo=MAYOTTE)
# AAP §B.2-3 et §B.2-1
TAUX_PLAFOND = Decimal("0.70")
TAUX_PLAFOND_COLLECTIVITE = Decimal("0.80")
ETP_MINIMUM = Decimal("0.5")

# Annexe 2 et §B.1. `condition` est un code de candidatures.regles.CONDITIONS_PIECES.
PIECES = [
    (
        "demande_subvention",
        "Demande de subvention",
        "Cerfa n°12156*06 pour les associations, sur papier libre pour les autres statuts : nombre d'ETP "
        "envisagé, budget de la structure et budget du projet faisant apparaître les cofinanceurs.",
        "toujours",
    ),
    ("rapports_activite", "Rapports d'activité", "Les derniers rapports d'activité de la structure.", "toujours"),
    ("comptes_annuels", "Comptes annuels", "Les derniers comptes annuels approuvés.", "toujours"),
    (
        "rapport_cac",
        "Rapport du commissaire aux comptes ou référence de publication au Journal officiel",
        "Pour les associations tenues d'avoir un commissaire aux comptes (article L.612-4 du code de commerce).",
        "association_soumise_cac",
    ),
    (
        "budget_etp_existants",
        "État de financement actuel des ETP existants",
        "Annexe 2 : chaque candidat transmet un budget présentant l'état de financement actuel des ETP de "
        "facilitateurs et de coordinateurs existants (une structure émergente y indique qu'elle n'en porte pas).",
        "toujours",
    ),
    (
        "attestation_ave",
        "Attestation de structure (type AVE ou autre)",
        "Attestation mettant en exergue l'implication dans la clause sociale d'insertion et le portage de postes "
        "de facilitateurs ou de coordinateurs : demandée aux structures existantes, hors collectivités, qui "
        "candidatent à la coordination régionale ou à un poste de facilitateur en zone blanche.",
        "attestation_ave",
    ),
    (
        "recommandation_ou_competences",
        "Lettre de recommandation, ou à défaut attestation de compétences",
        "Structures émergentes candidates à la coordination régionale : lettre de recommandation des acteurs du "
        "territoire (dont les facilitateurs présents), ou à défaut déclaration sur l'honneur accompagnée d'un "
        "rapport d'activité montrant l'expérience de la structure.",
        "coordinateur_emergente",
    ),
    (
        "justification_implantation",
        "Justification de l'implantation sur la zone blanche",
        "Structures émergentes candidates à un poste de facilitateur en zone blanche : présence sur la zone à "
        "couvrir et implantation suffisante pour assumer la facilitation.",
        "zone_blanche_emergente",
    ),
]

# §B.2-1 : missions sur lesquelles les projets se positionnent explicitement.
MISSIONS = {
    "coordinateur": [
        "Coordination des facilitateurs à l'échelle régionale",
        "Diversification des secteurs d'activité mobilisés par la commande publique durable",
        "Mobilisation des acteurs inclusifs des territoires, dont les SIAE et STPA",
        "État des lieux des zones blanches et accompagnement de l'émergence d'acteurs, couverture de nouveaux territoires",
        "Encouragement des coopérations territoriales infrarégionales",
        "Mise en visibilité de l'offre de formation à destination des bénéficiaires de la clause",
    ],
    "facilitateur": [
        "Priorité à la prise en charge des marchés de l'État, de ses EPA et de ses programmes (NPNRU)",
        "Accompagnement des autres acheteurs publics du territoire",
        "Accompagnement, le cas échéant, des acheteurs de la commande privée",
        "Mobilisation des acteurs inclusifs des territoires, dont les SIAE et STPA",
        "Mise en relation active des acheteurs et du service public de l'emploi pour maximiser les heures clausées",
        "Construction de parcours de qualité avec les structures d'insertion et de formation",
    ],
}

# Annexe 4 : grille de notation sur 100 points.
GROUPE_ADEQUATION = "Adéquation avec l'AAP clauses sociales"
GROUPE_PERTINENCE = "Pertinence de l'offre"
GROUPE_BUDGET = "Budget"
GRILLE = [
    (GROUPE_ADEQUATION, "experience", "Expérience de l'organisme en matière de clauses sociales, ses références", 15),
    (GROUPE_ADEQUATION, "appropriation", "Appropriation des enjeux et objectifs du cahier des charges", 10),
    (GROUPE_ADEQUATION, "contexte", "Connaissance du contexte territorial", 10),
    (GROUPE_PERTINENCE, "originalite", "Originalité de l'offre", 10),
    (
        GROUPE_PERTINENCE,
        "qualification",
        "Qualification et expertise du coordinateur régional et des facilitateurs des clauses sociales dans le domaine",
        15,
    ),
    (
        GROUPE_PERTINENCE,
        "qualite_offre",
        "Qualité de l'offre de services proposée par la structure existante ou émergente",
        20,
    ),
    (GROUPE_BUDGET, "cout_global", "Coût global du projet", 10),
    (GROUPE_BUDGET, "cofinancement", "Co-financement", 5),
    (GROUPE_BUDGET, "projection", "Projection financière sur 3 ans", 5),
]


def garnir(campagne):
    """Gives a new campaign the pieces, missions and grid of the 2022 call."""
    from .models import Critere, Mission, PieceRequise

    campagne.pieces = [
        PieceRequise(code=code, libelle=libelle, description=description, condition=condition, ordre=i)
        for i, (code, libelle, description, condition) in enumerate(PIECES)
    ]
    campagne.missions = [
        Mission(poste=poste, libelle=libelle, ordre=i)
        for poste, libelles in MISSIONS.items()
        for i, libelle in enumerate(libelles)
    ]
    campagne.criteres = [
        Critere(groupe=groupe, code=code, libelle=libelle, maximum=maximum, ordre=i)
        for i, (groupe, code, libelle, maximum) in enumerate(GRILLE)
    ]
    return campagne
