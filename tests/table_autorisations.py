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

A line is `L(outcomes, method, endpoint, data, **URL parameters)`; URL parameters default to `PAR_DEFAUT`
(A's filed dossier, the deliberating session…). Writes are sent with empty (or harmless) data: an actor let in
gets a form error or a conflict, never a change that matters to the next lines; the API gets a valid body, so
that its answer comes from the access check and not from the validation of the body. A new route gets one
line here (the conventions domain adds its own, with the objects it needs in `tests/monde_autorisations.py`).
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
    "decision_id": "decision_close",
    "convention_id": "convention",
    "format_": "pdf",
    "versement_id": "versement",
    "reversement_id": "reversement",
    "etat": "emis",
    "bilan_id": "bilan",
    "courriel_id": "courriel",
    "code": "976",
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


def L(attendus, methode, endpoint, donnees=None, **params):  # noqa: N802 — une ligne de la table
    issues = [ABREVIATIONS.get(i, i) for i in attendus.split()]
    assert len(issues) == len(ACTEURS), f"{endpoint} {methode} : {len(issues)} issues pour {len(ACTEURS)} acteurs"
    return Route(
        endpoint,
        methode,
        dict(zip(ACTEURS, issues, strict=True)),
        params,
        {} if donnees is None and methode != "GET" else donnees,
    )


TABLE = [
    # ano pA  pB  mbr dep cop agt agA adm nat
    # --- Socle
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "aap.accueil"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "aap.campagne"),
    L("404 404 404 404 404 404 ok  404 ok  ok ", "GET", "aap.campagne", campagne_id="campagne_libre"),  # non publiée
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "aap.documentation_api"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "aap.information"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "aap.sante"),
    L("C   403 403 403 403 403 ok  ok  ok  ok ", "GET", "aap.journal"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "rgpd.mes_donnees"),
    # Publication des subventions (décret n° 2017-779) : sans connexion
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "donnees_ouvertes.services_publies"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "donnees_ouvertes.publication"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "donnees_ouvertes.fichier_publie"),
    # --- Administration des comptes
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "admin.compte"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "admin.compte"),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "admin.comptes"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "admin.inviter"),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "admin.courriels_non_distribues"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "admin.relancer_courriel"),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "admin.service"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "admin.service"),
    # --- Campagnes (administrateur)
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.ajouter_critere", campagne_id="campagne_libre"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.ajouter_mission", campagne_id="campagne_libre"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.ajouter_piece", campagne_id="campagne_libre"),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "campagnes.campagne"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.campagne", campagne_id="campagne_libre"),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "campagnes.liste"),
    L(
        "C   403 403 403 403 403 403 403 ok  403",
        "POST",
        "campagnes.modifier_piece",
        campagne_id="campagne_libre",
        piece_id="piece_campagne_libre",
    ),
    L("C   403 403 403 403 403 403 403 ok  403", "GET", "campagnes.nouvelle"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.nouvelle"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.supprimer_critere", campagne_id="campagne_libre"),
    L("C   403 403 403 403 403 403 403 ok  403", "POST", "campagnes.supprimer_mission", campagne_id="campagne_libre"),
    L(
        "C   403 403 403 403 403 403 403 ok  403",
        "POST",
        "campagnes.supprimer_piece",
        campagne_id="campagne_libre",
        piece_id="piece_campagne_libre",
    ),
    # --- Dossiers
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "candidatures.accuse"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "candidatures.ajouter_piece", dossier_id="brouillon"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "candidatures.avis_ctn"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "candidatures.complements"),
    L("C   ok  404 403 403 403 403 403 403 403", "GET", "candidatures.controles", dossier_id="brouillon"),
    L("C   ok  404 403 403 403 403 403 403 403", "GET", "candidatures.depot", dossier_id="brouillon"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "candidatures.depot", {"version": "999"}, dossier_id="brouillon"),
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "candidatures.dossier"),
    L("C   ok  404 404 404 404 404 404 404 404", "GET", "candidatures.dossier", dossier_id="brouillon"),
    L("C   ok  404 403 403 403 403 403 403 403", "GET", "candidatures.etape", dossier_id="brouillon", rubrique="budget"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "candidatures.etape", {"version": "999"}, dossier_id="brouillon"),
    L(
        "C   ok  404 403 403 403 403 403 403 403",
        "POST",
        "candidatures.enregistrement_auto",
        {"version": "999"},
        dossier_id="brouillon",
    ),
    L("C   403 403 403 403 403 ok  ok  ok  ok ", "GET", "candidatures.export"),
    L("C   ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "candidatures.index"),
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "candidatures.instantane"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "candidatures.irrecevable"),
    L("C   ok  ok  403 403 403 403 403 403 403", "GET", "candidatures.nouveau"),
    L("C   ok  ok  403 403 403 403 403 403 403", "POST", "candidatures.nouveau"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "candidatures.recevable"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "candidatures.reprendre_document", dossier_id="brouillon"),
    L(
        "C   ok  404 403 403 403 403 403 403 403",
        "POST",
        "candidatures.retirer_piece",
        dossier_id="brouillon",
        piece_id="piece_brouillon",
    ),
    # Le simulateur de la page d'une campagne : public, comme elle (une campagne non publiée : ses agents seuls).
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "structures.simulation"),
    L("404 404 404 404 404 404 ok  404 ok  ok ", "GET", "structures.simulation", campagne_id="campagne_libre"),
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "candidatures.telecharger_piece"),
    L(
        "C   ok  404 404 404 404 404 404 404 404",
        "GET",
        "candidatures.telecharger_piece",
        dossier_id="brouillon",
        piece_id="piece_brouillon",
    ),
    # Une pièce d'un autre dossier, demandée sous l'adresse de celui-ci : introuvable pour tous.
    L("C   404 404 404 404 404 404 404 404 404", "GET", "candidatures.telecharger_piece", piece_id="piece_brouillon"),
    # --- Comptes
    L("C   C   C   C   C   C   C   C   C   C  ", "GET", "comptes.code_totp"),
    L("C   C   C   C   C   C   C   C   C   C  ", "POST", "comptes.code_totp"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.confirmer"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.confirmer_appareil"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.connexion"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.connexion"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.creer_jeton"),
    L("C   ok  404 404 404 404 404 404 404 404", "POST", "comptes.decider_rattachement", utilisateur_id="en_attente"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.deconnexion"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "structures.inscription"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "structures.inscription"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.mot_de_passe_oublie"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.mot_de_passe_oublie"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.nouveau_mot_de_passe"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.nouveau_mot_de_passe"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.profil"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.prolonger_session"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.renvoyer_confirmation"),
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.renvoyer_confirmation"),
    L("C   ok  404 404 404 404 404 404 404 404", "POST", "comptes.revoquer_jeton"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "comptes.totp"),
    L("C   ok  ok  ok  ok  ok  ok  ok  ok  ok ", "POST", "comptes.totp"),
    # --- Conventions : la convention de A (signée, avance payée, bilan annuel approuvé, bilan intermédiaire à déposer).
    # Le porteur de A lit et rend compte ; les agents et administrateurs du service gèrent ; le national lit.
    L("C   ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "conventions.index"),
    L("C   ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "conventions.a_faire"),
    L("C   403 403 403 403 403 ok  404 ok  403", "GET", "conventions.nouvelle", decision_id="decision_sans_convention"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.nouvelle", decision_id="decision_sans_convention"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.convention"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.document"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.document", format_="docx"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.exemplaire_signe"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.signature"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.paiement"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.annulation"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.ajustement"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.reversement"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.bilan"),
    L("C   ok  404 403 403 403 403 404 403 403", "POST", "conventions.bilan"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "conventions.piece_bilan"),
    L("C   ok  404 403 403 403 ok  404 ok  ok ", "GET", "conventions.fichier_piece_bilan", piece_id="piece_bilan"),
    # La pièce d'un autre bilan, demandée sous l'adresse de celui-ci : introuvable pour tous.
    L("C   404 404 403 403 403 404 404 404 404", "GET", "conventions.fichier_piece_bilan", piece_id="piece_bilan_approuve"),
    # Retirer une pièce d'un bilan approuvé : le porteur de A est admis, et l'opération refuse (bilan figé).
    L(
        "C   ok  404 403 403 403 403 403 403 403",
        "POST",
        "conventions.retirer_piece_bilan",
        bilan_id="bilan_approuve",
        piece_id="piece_bilan_approuve",
    ),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.approbation", bilan_id="bilan_approuve"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.corrections", bilan_id="bilan_approuve"),
    L("C   403 403 403 403 403 ok  404 ok  ok ", "GET", "conventions.renouvellement"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "conventions.renouvellement"),
    L("C   403 403 403 403 403 ok  ok  ok  ok ", "GET", "conventions.tableau_de_bord"),
    L("C   403 403 403 403 403 ok  ok  ok  ok ", "GET", "conventions.tableau_de_bord_xlsx"),
    L("C   403 403 403 403 403 ok  ok  ok  ok ", "GET", "conventions.donnees_ouvertes"),
    # --- Fichiers publics
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "dsfr"),
    # --- COPIL
    L("C   403 403 ok  ok  404 ok  404 ok  ok ", "GET", "notation.classement"),
    L("C   403 403 404 404 404 ok  404 ok  ok ", "GET", "notation.classeur", seance_id="seance_close"),
    L("C   403 403 403 404 404 ok  404 403 403", "GET", "notation.decision"),
    L("C   403 403 403 404 404 ok  404 403 403", "POST", "notation.decision"),
    L("C   403 403 ok  ok  404 ok  404 404 404", "GET", "notation.declaration"),
    L("C   403 403 ok  ok  404 ok  404 404 404", "POST", "notation.declaration"),
    L("C   403 403 ok  404 404 ok  404 ok  ok ", "GET", "notation.dossier"),
    L("C   403 403 ok  404 404 ok  404 403 403", "POST", "notation.dossier"),
    L("C   403 403 ok  ok  ok  ok  ok  ok  ok ", "GET", "notation.index"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "notation.inscrire"),
    L("C   403 403 404 404 404 ok  404 ok  ok ", "GET", "notation.lettre", seance_id="seance_close", dossier_id="dossier_clos"),
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "notation.lettre_notifiee"),
    L("C   403 403 403 403 403 ok  404 ok  403", "GET", "notation.modifier_seance"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "notation.modifier_seance"),
    L("C   403 403 ok  404 404 ok  404 ok  ok ", "GET", "notation.notes"),
    L("C   403 403 403 403 403 ok  ok  ok  403", "GET", "notation.nouvelle_seance"),
    L("C   403 403 403 403 403 ok  ok  ok  403", "POST", "notation.nouvelle_seance"),
    L("C   403 403 403 403 404 ok  404 ok  403", "POST", "notation.phase", {"vers": "deliberation"}),
    L("C   403 403 ok  404 404 ok  404 ok  ok ", "GET", "notation.piece"),
    L("C   403 403 404 404 404 404 404 404 404", "GET", "notation.piece", piece_id="piece_brouillon"),
    L("C   403 403 404 404 404 ok  404 ok  404", "POST", "notation.presences"),
    L("C   403 403 ok  ok  404 ok  404 ok  ok ", "GET", "notation.proces_verbal", seance_id="seance_close"),
    L("C   403 403 404 404 404 ok  404 ok  404", "POST", "notation.rappels"),
    L("C   403 403 403 403 403 ok  404 ok  403", "POST", "notation.retirer"),
    L("C   403 403 403 404 404 ok  404 404 404", "POST", "notation.rouvrir"),
    L("C   403 403 ok  ok  404 ok  404 ok  ok ", "GET", "notation.seance"),
    # --- Fichiers publics
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "static"),
    # --- Structures
    L("C   ok  ok  403 403 403 403 403 403 403", "POST", "structures.ajouter_document"),
    L("C   ok  ok  403 403 403 403 403 403 403", "POST", "structures.ajouter_financement"),
    L("C   403 403 403 403 403 ok  404 ok  ok ", "GET", "structures.fiche_structure"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "structures.retirer_document"),
    L("C   ok  ok  403 403 403 403 403 403 403", "GET", "structures.structure"),
    L("C   ok  ok  403 403 403 403 403 403 403", "POST", "structures.structure"),
    L("C   ok  404 403 403 403 403 403 403 403", "POST", "structures.supprimer_financement"),
    L("C   ok  404 404 404 404 ok  404 ok  ok ", "GET", "structures.telecharger_document"),
    # --- API : socle
    L("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "api-docs.openapi_json"),
    # --- API : dossiers
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.accuse"),
    L("401 403 403 403 403 403 ok  404 ok  403", "PUT", "api_candidatures.avis_ctn", {"avis": "favorable"}),
    L("401 ok  404 404 404 404 404 404 404 404", "GET", "api_candidatures.budget", dossier_id="brouillon"),
    L("401 ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "api_candidatures.campagne"),
    L("401 404 404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.campagne", campagne_id="campagne_libre"),
    L("401 ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "api_candidatures.campagnes"),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.controles"),
    L("401 ok  ok  403 403 403 403 403 403 403", "POST", "api_candidatures.creer_dossier", {"campagne_id": "$campagne"}),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_candidatures.decider", {"decision": "irrecevable", "motif": ""}),
    L("401 ok  404 403 403 403 403 403 403 403", "POST", "api_candidatures.deposer", {"version": 0}, dossier_id="brouillon"),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.depots"),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.dossier"),
    L("401 ok  404 404 404 404 404 404 404 404", "GET", "api_candidatures.dossier", dossier_id="brouillon"),
    L("401 ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "api_candidatures.dossiers"),
    L(
        "401 ok  404 403 403 403 403 403 403 403",
        "POST",
        "api_candidatures.envoyer_piece",
        {"code": "autre", "libelle": "Pièce", "fichier": "$pdf"},
        dossier_id="brouillon",
    ),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.fichier_piece"),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.historique"),
    L(
        "401 ok  404 403 403 403 403 403 403 403",
        "PATCH",
        "api_candidatures.modifier_dossier",
        {"version": 0},
        dossier_id="brouillon",
    ),
    L("401 ok  404 403 403 403 403 403 403 403", "PATCH", "api_candidatures.modifier_structure"),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.pieces"),
    L(
        "401 ok  404 403 403 403 403 403 403 403",
        "PUT",
        "api_candidatures.remplacer_budget",
        {"version": 0, "lignes": {}},
        dossier_id="brouillon",
    ),
    L(
        "401 ok  404 403 403 403 403 403 403 403",
        "DELETE",
        "api_candidatures.retirer_piece",
        dossier_id="brouillon",
        piece_id="piece_brouillon_api",
    ),
    L("401 ok  404 404 404 404 ok  404 ok  ok ", "GET", "api_candidatures.structure"),
    # --- API : COPIL
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.classement"),
    L("401 403 403 404 404 404 ok  404 ok  ok ", "GET", "api_notation.classeur", seance_id="seance_close"),
    L(
        "401 403 403 403 403 403 ok  ok  ok  403",
        "POST",
        "api_notation.creer_seance",
        {"campagne_id": "$campagne", "president_id": "$membre", "tenue_le": "2000-01-01T09:00:00+03:00"},
    ),
    L("401 403 403 403 404 404 ok  404 403 403", "PUT", "api_notation.decider", {"nature": "ajourne", "motif": ""}),
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.decisions"),
    L("401 403 403 ok  ok  404 ok  404 404 404", "PUT", "api_notation.declarer", {"conflit": False}),
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.documents"),
    L("401 403 403 ok  404 404 ok  404 403 403", "PUT", "api_notation.enregistrer_feuille", {"version": 0}),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_notation.inscrire", {"dossier_id": "$dossier"}),
    L(
        "401 403 403 404 404 404 ok  404 ok  ok ",
        "GET",
        "api_notation.lettre",
        seance_id="seance_close",
        dossier_id="dossier_clos",
    ),
    L("401 403 403 ok  ok  404 ok  404 404 404", "GET", "api_notation.ma_declaration"),
    L("401 403 403 ok  404 404 ok  404 404 404", "GET", "api_notation.ma_feuille"),
    L("401 403 403 ok  404 404 ok  404 ok  ok ", "GET", "api_notation.notes"),
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.ordre_du_jour"),
    L("401 403 403 403 403 404 ok  404 ok  403", "POST", "api_notation.phase", {"phase": "deliberation"}),
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.proces_verbal", seance_id="seance_close"),
    L("401 403 403 403 403 403 ok  404 ok  403", "DELETE", "api_notation.retirer"),
    L("401 403 403 403 404 404 ok  404 404 404", "POST", "api_notation.rouvrir", {"motif": "Relecture demandée par le test."}),
    L("401 403 403 ok  ok  404 ok  404 ok  ok ", "GET", "api_notation.seance"),
    L("401 403 403 ok  ok  ok  ok  ok  ok  ok ", "GET", "api_notation.seances"),
    L("401 403 403 ok  404 404 ok  404 403 403", "POST", "api_notation.soumettre_feuille", {"version": 0}),
    # --- API : conventions (corps valides ; pour un acteur admis, l'opération refuse : déjà signée, déjà payée,
    # bilan approuvé, montant nul, motif vide après nettoyage)
    L("401 ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "api_conventions.conventions"),
    # La décision est désignée dans le corps : pour l'agent d'un autre service, « décision inconnue dans ce
    # service » (422, la même réponse que pour une décision qui n'existe pas : rien n'est révélé).
    L(
        "401 403 403 403 403 403 ok  ok  ok  403",
        "POST",
        "api_conventions.creer",
        {"decision_id": "$decision_convention", "date_effet": "2000-01-01"},
    ),
    L("401 ok  404 403 403 403 ok  404 ok  ok ", "GET", "api_conventions.convention"),
    L("401 ok  404 403 403 403 ok  404 ok  ok ", "GET", "api_conventions.document"),
    L(
        "401 403 403 403 403 403 ok  404 ok  403",
        "POST",
        "api_conventions.signer",
        {"signee_le": "2000-01-01", "scan": "$pdf"},
    ),
    L("401 ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "api_conventions.versements"),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.payer", {"paye_le": "2000-01-01", "reference": "X"}),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.annuler", {"motif": "Annulation du test."}),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.ajuster", {"montant": "1.00", "motif": "Test."}),
    L("401 ok  404 403 403 403 ok  404 ok  ok ", "GET", "api_conventions.bilan"),
    L(
        "401 ok  404 403 403 403 403 404 403 403",
        "PUT",
        "api_conventions.enregistrer_bilan",
        {"valeurs": {}},
        bilan_id="bilan_approuve",
    ),
    L(
        "401 ok  404 403 403 403 403 403 403 403",
        "POST",
        "api_conventions.joindre",
        {"nature": "annexe", "libelle": "Annexe", "fichier": "$pdf"},
        bilan_id="bilan_approuve",
    ),
    L("401 ok  404 403 403 403 403 404 403 403", "POST", "api_conventions.deposer", {}, bilan_id="bilan_approuve"),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.approuver", {}, bilan_id="bilan_approuve"),
    L(
        "401 403 403 403 403 403 ok  404 ok  403",
        "POST",
        "api_conventions.corriger",
        {"message": "À corriger.", "date_limite": "2000-01-01"},
        bilan_id="bilan_approuve",
    ),
    L("401 403 403 403 403 403 ok  404 ok  ok ", "GET", "api_conventions.renouvellement"),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.renouveler", {"montant": "36000.00"}),
    L("401 403 403 403 403 403 ok  404 ok  403", "POST", "api_conventions.ne_pas_renouveler", {"motif": " "}),
    L("401 403 403 403 403 403 ok  ok  ok  ok ", "GET", "api_conventions.tableau_de_bord"),
    L("401 ok  ok  403 403 403 ok  ok  ok  ok ", "GET", "api_conventions.a_faire"),
    # --- API : socle
    L("401 403 403 403 403 403 ok  ok  ok  ok ", "GET", "api_socle.journal"),
    L("401 ok  ok  ok  ok  ok  ok  ok  ok  ok ", "GET", "api_socle.moi"),
]


def routes_de_la_table():
    return {(r.endpoint, r.methode) for r in TABLE}
