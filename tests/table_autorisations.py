"""Who may call what: one line per route of the application (endpoint and method), the expected outcome for
each of the ten actors of `tests/monde_autorisations.py`, in this order:

    ano   anonymous visitor
    pA    porteur of structure A (owns the dossiers, the draft, the document, the financing)
    pB    porteur of structure B (same service)
    mbr   COPIL member of the deliberating session (has scored A's dossier)
    dep   COPIL member of that session, recused on A's dossier
    cop   COPIL member of another session only
    agt   agent of the service (presides the sessions)
    agA   agent of another service
    adm   administrator of the service
    nat   national reader

Outcomes: `ok` let in (page, file, redirect, or a refusal of the input itself: 400, 409, 422); `connexion`
sent to the login page; `401` (API without a valid token); `403` a role that never may; `404` someone else's
object, or one that does not exist for this person (never 403: its existence is not revealed); `405`.

Writes are sent with empty (or harmless) data: an actor let in gets a form error or a conflict, never a change
that matters to the next lines. A new route gets one line here (the conventions domain adds its own).
"""

from dataclasses import dataclass, field

from .monde_autorisations import ACTEURS

# Paramètres d'URL par défaut : une clé du monde (`ids`) ou une valeur telle quelle.
PAR_DEFAUT = {
    "dossier_id": "dossier",
    "seance_id": "seance",
    "piece_id": "piece",
    "rang": 1,
    "structure_id": "structure",
    "document_id": "document",
    "campagne_id": "campagne",
    "financement_id": "financement",
    "membre_id": "membre",
    "utilisateur_id": "compte_du_service",
    "jeton_id": "jeton",
    "jeton": "jeton-inconnu",
    "rubrique": "projet",
    "page": "accessibilite",
    "filename": "css/aap.css",
    "fichier": "dsfr.min.css",
    "critere_id": "critere_libre",
    "mission_id": "mission_libre",
}

ABREVIATIONS = {"C": "connexion"}


@dataclass
class Route:
    endpoint: str
    methode: str
    attendus: dict
    params: dict = field(default_factory=dict)
    donnees: dict | None = None

    @property
    def api(self):
        return self.endpoint.startswith(("api_", "api-docs"))

    def arguments(self, app):
        (regle,) = [r for r in app.url_map.iter_rules(self.endpoint) if self.methode in r.methods]
        return regle.arguments


def L(endpoint, methode, attendus, donnees=None, **params):  # noqa: N802 — une ligne de la table
    issues = [ABREVIATIONS.get(i, i) for i in attendus.split()]
    assert len(issues) == len(ACTEURS), f"{endpoint} {methode} : {len(issues)} issues pour {len(ACTEURS)} acteurs"
    return Route(endpoint, methode, dict(zip(ACTEURS, issues, strict=True)), params,
                 {} if donnees is None and methode != "GET" else donnees)


TABLE = [
    # endpoint, méthode,                ano pA  pB  mbr dep cop agt agA adm nat
    L("aap.accueil", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("aap.campagne", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("aap.documentation_api", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("aap.information", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("aap.journal", "GET", "C   403 403 403 403 403 ok  ok  ok  ok"),
    L("admin.compte", "GET", "C   403 403 403 403 403 403 403 ok  403"),
    L("admin.comptes", "GET", "C   403 403 403 403 403 403 403 ok  403"),
    L("api-docs.openapi_json", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("api_candidatures.accuse", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.budget", "GET", "401 ok  404 404 404 404 404 404 404 404", dossier_id="brouillon"),
    L("api_candidatures.campagne", "GET", "401 ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("api_candidatures.campagnes", "GET", "401 ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("api_candidatures.controles", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.depots", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.dossier", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.dossiers", "GET", "401 ok  ok  403 403 403 ok  ok  ok  ok"),
    L("api_candidatures.fichier_piece", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.historique", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.pieces", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_candidatures.structure", "GET", "401 ok  404 404 404 404 ok  404 ok  ok"),
    L("api_notation.classement", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok"),
    L("api_notation.classeur", "GET", "401 403 403 404 404 404 ok  404 ok  ok", seance_id="seance_close"),
    L("api_notation.decisions", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok"),
    L("api_notation.documents", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok"),
    L("api_notation.lettre", "GET", "401 403 403 404 404 404 ok  404 ok  ok", seance_id="seance_close", dossier_id="dossier_clos"),
    L("api_notation.ma_declaration", "GET", "401 403 403 ok  ok  404 ok  404 404 404"),
    L("api_notation.ma_feuille", "GET", "401 403 403 ok  404 404 ok  404 404 404"),
    L("api_notation.notes", "GET", "401 403 403 ok  404 404 ok  404 ok  ok"),
    L("api_notation.ordre_du_jour", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok"),
    L("api_notation.proces_verbal", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok", seance_id="seance_close"),
    L("api_notation.seance", "GET", "401 403 403 ok  ok  404 ok  404 ok  ok"),
    L("api_notation.seances", "GET", "401 403 403 ok  ok  ok  ok  ok  ok  ok"),
    L("api_socle.journal", "GET", "401 403 403 403 403 403 ok  ok  ok  ok"),
    L("api_socle.moi", "GET", "401 ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("campagnes.campagne", "GET", "C   403 403 403 403 403 403 403 ok  403"),
    L("campagnes.liste", "GET", "C   403 403 403 403 403 403 403 ok  403"),
    L("campagnes.nouvelle", "GET", "C   403 403 403 403 403 403 403 ok  403"),
    L("candidatures.accuse", "GET", "C   ok  404 404 404 404 ok  404 ok  ok"),
    L("candidatures.controles", "GET", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon"),
    L("candidatures.depot", "GET", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon"),
    L("candidatures.dossier", "GET", "C   ok  404 404 404 404 ok  404 ok  ok"),
    L("candidatures.etape", "GET", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon", rubrique="budget"),
    L("candidatures.export", "GET", "C   403 403 403 403 403 ok  ok  ok  ok"),
    L("candidatures.index", "GET", "C   ok  ok  403 403 403 ok  ok  ok  ok"),
    L("candidatures.instantane", "GET", "C   ok  404 404 404 404 ok  404 ok  ok"),
    L("candidatures.nouveau", "GET", "C   ok  ok  403 403 403 403 403 403 403"),
    L("candidatures.telecharger_piece", "GET", "C   ok  404 404 404 404 ok  404 ok  ok"),
    L("comptes.code_totp", "GET", "C   C   C   C   C   C   C   C   C   C"),
    L("comptes.confirmer", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.confirmer_appareil", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.connexion", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.inscription", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.mot_de_passe_oublie", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.nouveau_mot_de_passe", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.profil", "GET", "C   ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.renvoyer_confirmation", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.totp", "GET", "C   ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("conventions.index", "GET", "C   ok  ok  403 403 403 ok  ok  ok  ok"),
    L("dsfr", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("notation.classement", "GET", "C   403 403 ok  ok  404 ok  404 ok  ok"),
    L("notation.classeur", "GET", "C   403 403 404 404 404 ok  404 ok  ok", seance_id="seance_close"),
    L("notation.decision", "GET", "C   403 403 404 404 404 ok  404 404 404"),
    L("notation.declaration", "GET", "C   403 403 ok  ok  404 ok  404 404 404"),
    L("notation.dossier", "GET", "C   403 403 ok  404 404 ok  404 ok  ok"),
    L("notation.index", "GET", "C   403 403 ok  ok  ok  ok  ok  ok  ok"),
    L("notation.lettre", "GET", "C   403 403 404 404 404 ok  404 ok  ok", seance_id="seance_close", dossier_id="dossier_clos"),
    L("notation.modifier_seance", "GET", "C   403 403 403 403 403 ok  404 ok  403"),
    L("notation.notes", "GET", "C   403 403 ok  404 404 ok  404 ok  ok"),
    L("notation.nouvelle_seance", "GET", "C   403 403 403 403 403 ok  ok  ok  403"),
    L("notation.piece", "GET", "C   403 403 ok  404 404 ok  404 ok  ok"),
    L("notation.proces_verbal", "GET", "C   403 403 ok  ok  404 ok  404 ok  ok", seance_id="seance_close"),
    L("notation.seance", "GET", "C   403 403 ok  ok  404 ok  404 ok  ok"),
    L("static", "GET", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("structures.fiche_structure", "GET", "C   403 403 403 403 403 ok  404 ok  ok"),
    L("structures.structure", "GET", "C   ok  ok  403 403 403 403 403 403 403"),
    L("structures.telecharger_document", "GET", "C   ok  404 404 404 404 ok  404 ok  ok"),

    # Écritures (données vides ou inoffensives ; l'API reçoit un corps valide pour que le contrôle d'accès
    # soit bien ce qui répond).
    L("admin.compte", "POST", "C   403 403 403 403 403 403 403 ok  403"),
    L("admin.inviter", "POST", "C   403 403 403 403 403 403 403 ok  403"),
    L("campagnes.ajouter_critere", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.ajouter_mission", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.ajouter_piece", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.campagne", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.modifier_piece", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre", piece_id="piece_campagne_libre"),
    L("campagnes.nouvelle", "POST", "C   403 403 403 403 403 403 403 ok  403"),
    L("campagnes.supprimer_critere", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.supprimer_mission", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre"),
    L("campagnes.supprimer_piece", "POST", "C   403 403 403 403 403 403 403 ok  403", campagne_id="campagne_libre", piece_id="piece_campagne_libre"),
    L("candidatures.ajouter_piece", "POST", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon"),
    L("candidatures.avis_ctn", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("candidatures.complements", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("candidatures.depot", "POST", "C   ok  404 403 403 403 403 403 403 403", {"version": "999"},
      dossier_id="brouillon"),
    L("candidatures.etape", "POST", "C   ok  404 403 403 403 403 403 403 403", {"version": "999"},
      dossier_id="brouillon"),
    L("candidatures.irrecevable", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("candidatures.nouveau", "POST", "C   ok  ok  403 403 403 403 403 403 403"),
    L("candidatures.recevable", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("candidatures.reprendre_document", "POST", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon"),
    L("candidatures.retirer_piece", "POST", "C   ok  404 403 403 403 403 403 403 403", dossier_id="brouillon", piece_id="piece_brouillon"),
    L("comptes.code_totp", "POST", "C   C   C   C   C   C   C   C   C   C"),
    L("comptes.connexion", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.creer_jeton", "POST", "C   ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.decider_rattachement", "POST", "C   ok  404 404 404 404 404 404 404 404", utilisateur_id="en_attente"),
    L("comptes.deconnexion", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.inscription", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.mot_de_passe_oublie", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.nouveau_mot_de_passe", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.prolonger_session", "POST", "C   ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.renvoyer_confirmation", "POST", "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("comptes.revoquer_jeton", "POST", "C   ok  404 404 404 404 404 404 404 404"),
    L("comptes.totp", "POST", "C   ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    L("notation.decision", "POST", "C   403 403 404 404 404 ok  404 404 404"),
    L("notation.declaration", "POST", "C   403 403 ok  ok  404 ok  404 404 404"),
    L("notation.dossier", "POST", "C   403 403 ok  404 404 ok  404 403 403"),
    L("notation.inscrire", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("notation.modifier_seance", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("notation.nouvelle_seance", "POST", "C   403 403 403 403 403 ok  ok  ok  403"),
    L("notation.phase", "POST", "C   403 403 404 404 404 ok  404 ok  404", {"vers": "deliberation"}),
    L("notation.presences", "POST", "C   403 403 404 404 404 ok  404 ok  404"),
    L("notation.rappels", "POST", "C   403 403 404 404 404 ok  404 ok  404"),
    L("notation.retirer", "POST", "C   403 403 403 403 403 ok  404 ok  403"),
    L("notation.rouvrir", "POST", "C   403 403 404 404 404 ok  404 404 404"),
    L("structures.ajouter_document", "POST", "C   ok  ok  403 403 403 403 403 403 403"),
    L("structures.ajouter_financement", "POST", "C   ok  ok  403 403 403 403 403 403 403"),
    L("structures.retirer_document", "POST", "C   ok  404 403 403 403 403 403 403 403"),
    L("structures.structure", "POST", "C   ok  ok  403 403 403 403 403 403 403"),
    L("structures.supprimer_financement", "POST", "C   ok  404 403 403 403 403 403 403 403"),
    L("api_candidatures.avis_ctn", "PUT", "401 403 404 404 404 404 ok  404 ok  403", {"avis": "favorable"}),
    L("api_candidatures.creer_dossier", "POST", "401 ok  ok  403 403 403 403 403 403 403", {"campagne_id": "$campagne"}),
    L("api_candidatures.decider", "POST", "401 403 404 404 404 404 ok  404 ok  403", {"decision": "irrecevable", "motif": ""}),
    L("api_candidatures.deposer", "POST", "401 ok  404 404 404 404 404 404 404 404", {"version": 0}, dossier_id="brouillon"),
    L("api_candidatures.envoyer_piece", "POST", "401 ok  404 404 404 404 404 404 404 404", {"code": "autre", "libelle": "Pièce", "fichier": "$pdf"},
      dossier_id="brouillon"),
    L("api_candidatures.modifier_dossier", "PATCH", "401 ok  404 404 404 404 404 404 404 404", {"version": 0}, dossier_id="brouillon"),
    L("api_candidatures.modifier_structure", "PATCH", "401 ok  404 404 404 404 403 404 403 403"),
    L("api_candidatures.remplacer_budget", "PUT", "401 ok  404 404 404 404 404 404 404 404", {"version": 0, "lignes": {}}, dossier_id="brouillon"),
    L("api_candidatures.retirer_piece", "DELETE", "401 ok  404 404 404 404 404 404 404 404", dossier_id="brouillon", piece_id="piece_brouillon_api"),
    L("api_notation.creer_seance", "POST", "401 403 403 403 403 403 ok  ok  ok  403",
      {"campagne_id": "$campagne", "president_id": "$membre", "tenue_le": "2000-01-01T09:00:00+03:00"}),
    L("api_notation.decider", "PUT", "401 403 403 403 404 404 ok  404 403 403", {"nature": "ajourne", "motif": ""}),
    L("api_notation.declarer", "PUT", "401 403 403 ok  ok  404 ok  404 404 404", {"conflit": False}),
    L("api_notation.enregistrer_feuille", "PUT", "401 403 403 ok  404 404 ok  404 404 404", {"version": 0}),
    L("api_notation.inscrire", "POST", "401 403 403 403 403 404 ok  404 ok  403", {"dossier_id": "$dossier"}),
    L("api_notation.phase", "POST", "401 403 403 403 403 404 ok  404 ok  403", {"phase": "deliberation"}),
    L("api_notation.retirer", "DELETE", "401 403 403 403 403 404 ok  404 ok  403"),
    L("api_notation.rouvrir", "POST", "401 403 403 403 404 404 ok  404 404 404", {"motif": "Relecture demandée par le test."}),
    L("api_notation.soumettre_feuille", "POST", "401 403 403 ok  404 404 ok  404 404 404", {"version": 0}),
]


def routes_de_la_table():
    return {(r.endpoint, r.methode) for r in TABLE}
