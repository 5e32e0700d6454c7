"""The life of a benchmark convention, from its retenu, notified decision up to today, as rows for grouped inserts.

Each step of a year comes at a plausible date: signature (some after the 15-day limit), advance paid, intermediate
report filed then approved (some after corrections), annual report with its compte rendu financier, balance capped
by the spending (a few below the advance: amount to recover), then renewal by avenant or not. A step that would
fall today or later has not happened yet, and at each step a few conventions stop whatever the date, so that every
stage is represented. The rules are the product's (`conventions.regles`, the targets of `objectifs_proposes`, the
demo's report texts); the rows are what the operations would have written, without audit entries nor emails. The
bench's decisions fund no coordinator: no quarterly report.
"""

import hashlib
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from aap.formats import euros
from aap.journal import canonique
from conventions import regles, suivi
from conventions.demo import AUTRES, TEXTES
from conventions.operations import objectifs_proposes

BLOCAGE = 0.05  # part des conventions qui s'arrêtent à chaque étape, quelle que soit la date
CORRECTIONS = 0.12
RENOUVELLEMENT = 0.75
# Le banc règle le solde au bilan annuel, à 70 % des dépenses (le produit le règle au compte rendu financier final).
TAUX_PLAFOND = Decimal("0.70")
MESSAGE_CORRECTIONS = "Le nombre de marchés accompagnés ne correspond pas au tableau de suivi joint : précisez-le."
MOTIF_NON_RENOUVELLEMENT = "Résultats en deçà des objectifs et cofinancement non reconduit."


class Vie:
    """The conventions of one service, each lived from its decision up to `aujourdhui` (a day in the service's
    time zone). `fichier(code, service_id, par_id, instant)` gives the row of a stored file."""

    def __init__(self, rng, service, fuseau, aujourdhui, fichier):
        self.rng, self.service, self.aujourdhui, self.fichier = rng, service, aujourdhui, fichier
        self.fuseau = fuseau
        self.agent = service["agent"]
        self.paiements = 0

    def vivre(self, decision, numero):
        """{"ligne": convention row, "annees": [...]} of a decision: a dict with its id, dossier, campaign,
        structure, porteur, amount, ETP, notification and the dossier's aimed volumes (heures, marches)."""
        limite = regles.date_limite_signature(decision["notifie_le"], self.fuseau)
        self.jour, self.porteur = regles.jour_local(decision["notifie_le"], self.fuseau), decision["porteur"]
        cree_le = self.instant(self.jour + timedelta(days=2), 9)
        self.convention = {
            "ligne": {
                "numero": numero,
                "service_id": self.service["id"],
                "campagne_id": decision["campagne_id"],
                "dossier_id": decision["dossier_id"],
                "decision_id": decision["id"],
                "structure_id": decision["structure_id"],
                "statut": "a_signer",
                "notifie_le": decision["notifie_le"],
                "date_limite_signature": limite,
                "mois_bilan_intermediaire": regles.MOIS_BILAN_INTERMEDIAIRE,
                "taux_plafond": TAUX_PLAFOND,
                "agent_id": self.agent,
                "cree_le": cree_le,
                "cree_par_id": self.agent,
                "close_le": None,
                "version": 1,
            },
            "annees": [],
        }
        # La règle du produit ne lit que les volumes du dossier : leurs sommes suffisent.
        dossier = SimpleNamespace(
            volumes=[SimpleNamespace(heures_insertion=decision["heures"], nombre_marches=decision["marches"])]
        )
        etp = (decision["etp_facilitateur"], decision["etp_coordinateur"])
        objectifs = objectifs_proposes(dossier, *etp)
        annee = self._annee(1, regles.ajouter_mois(limite.replace(day=1), 1), decision["montant"], etp, objectifs, cree_le)
        while annee is not None:
            annee = self._vivre_annee(annee)
        return self.convention

    def instant(self, jour, heure):
        return datetime.combine(jour, time(heure), tzinfo=ZoneInfo(self.fuseau))

    def _etape(self, jour):
        """Whether the step dated `jour` has happened (then it is the current day)."""
        if jour >= self.aujourdhui or self.rng.random() < BLOCAGE:
            return False
        self.jour = jour
        return True

    def _apres(self, minimum, maximum):
        return self.jour + timedelta(days=self.rng.randint(minimum, maximum))

    # --- Une année ---------------------------------------------------------------------------------------

    def _annee(self, rang, debut, montant, etp, objectifs, cree_le):
        """A year as `_planifier_annee` writes it: targets, 50/50 payments planned, both reports to file."""
        cal = regles.calendrier(debut, regles.MOIS_BILAN_INTERMEDIAIRE)
        avance, solde = regles.echeancier(montant)
        annee = {
            "ligne": {
                "rang": rang,
                "debut": cal.debut,
                "fin": cal.fin,
                "montant": montant,
                "etp_facilitateur": etp[0],
                "etp_coordinateur": etp[1],
                "signee_le": None,
                "scan_id": None,
                "signature_enregistree_le": None,
                "signature_par_id": None,
                "depenses_eligibles": None,
                "montant_du": None,
                "renouvellement": None,
                "renouvellement_motif": "",
                "renouvellement_le": None,
                "renouvellement_par_id": None,
                "cree_le": cree_le,
                "cree_par_id": self.agent,
            },
            "cibles": objectifs,
            "scan": None,
            "versements": [self._versement("avance", avance, cree_le), self._versement("solde", solde, cree_le)],
            "bilans": [
                self._bilan("intermediaire", cal.bilan_intermediaire, cree_le),
                self._bilan("annuel", cal.bilan_annuel, cree_le),
            ],
            "reversement": None,
        }
        self.convention["annees"].append(annee)
        return annee

    def _versement(self, nature, montant, le):
        return {
            "nature": nature,
            "montant_prevu": montant,
            "montant": montant,
            "etat": "prevu",
            "a_payer_le": None,
            "paye_le": None,
            "reference_comptable": "",
            "motif": "",
            "modifie_le": le,
            "version": 1,
        }

    def _bilan(self, type_, echeance, le):
        ligne = {
            "type": type_,
            "ordre": 1,
            "arrete_au": None,
            "echeance": echeance,
            "statut": "a_deposer",
            "depenses_realisees": None,
            "premier_depot_le": None,
            "depose_le": None,
            "corrections_avant": None,
            "approuve_le": None,
            "approuve_par_id": None,
            "modifie_le": le,
            "version": 1,
        }
        return {"ligne": ligne, "valeurs": {}, "versions": [], "crf": None}

    def _vivre_annee(self, annee):
        """Signature, advance, both reports, balance, renewal: the next year, or None where the life stops."""
        avance, solde = annee["versements"]
        if not self._etape(self._apres(2, 25)):
            return None
        self._signer(annee)
        if not self._etape(self._apres(3, 25)):
            return None
        self._payer(avance)
        if not all(self._rendre_compte(annee, bilan) for bilan in annee["bilans"]):
            return None
        if solde["etat"] == "a_payer":
            if not self._etape(self._apres(5, 30)):
                return None
            self._payer(solde)
        return self._suite(annee)

    def _signer(self, annee):
        ligne = annee["ligne"]
        instant = self.instant(self.jour, 15)
        ligne |= {"signee_le": self.jour, "signature_enregistree_le": instant, "signature_par_id": self.agent}
        annee["scan"] = self.fichier("convention_signee", self.service["id"], self.agent, instant)
        if ligne["rang"] == 1:
            self.convention["ligne"]["statut"] = "en_cours"
        annee["versements"][0] |= {"etat": "a_payer", "a_payer_le": self.jour, "modifie_le": instant}

    def _payer(self, versement):
        self.paiements += 1
        reference = f"DP-{self.service['code']}-{self.jour:%Y}-{self.paiements:05d}"
        versement |= {"etat": "paye", "paye_le": self.jour, "reference_comptable": reference}
        versement["modifie_le"] = self.instant(self.jour, 16)

    # --- Bilans ------------------------------------------------------------------------------------------

    def _rendre_compte(self, annee, bilan):
        """Filed near its due date, corrections asked now and then, approved: False where the life stops."""
        depot = bilan["ligne"]["echeance"] + timedelta(days=self.rng.randint(-20, 12))
        if not self._etape(max(depot, self.jour + timedelta(days=1))):
            return False
        self._deposer(annee, bilan)
        if self.rng.random() < CORRECTIONS:
            if not self._etape(self._apres(3, 15)):
                return False
            self._decider(bilan, "a_corriger")
            if not self._etape(self._apres(3, 20)):
                return False
            self._deposer(annee, bilan)
        if not self._etape(self._apres(3, 20)):
            return False
        self._decider(bilan, "approuve")
        if bilan["ligne"]["type"] == "annuel":
            self._solde(annee, bilan)
        return True

    def _deposer(self, annee, bilan):
        ligne, instant = bilan["ligne"], self.instant(self.jour, 11)
        if not bilan["valeurs"]:
            bilan["valeurs"] = self._valeurs(annee, ligne["type"])
        if ligne["type"] == "annuel" and bilan["crf"] is None:
            ligne["depenses_realisees"] = self._depenses(annee["ligne"]["montant"])
            bilan["crf"] = self.fichier("compte_rendu_financier", self.service["id"], self.porteur, instant)
        bilan["versions"].append(
            {
                "rang": len(bilan["versions"]) + 1,
                "depose_le": instant,
                "depose_par_id": self.porteur,
                "decision": None,
                "decide_le": None,
                "decide_par_id": None,
                "commentaire": "",
            }
        )
        ligne |= {"statut": "depose", "depose_le": instant, "corrections_avant": None, "modifie_le": instant}
        ligne["premier_depot_le"] = ligne["premier_depot_le"] or instant

    def _decider(self, bilan, decision):
        ligne, instant = bilan["ligne"], self.instant(self.jour, 14)
        commentaire = "" if decision == "approuve" else MESSAGE_CORRECTIONS
        bilan["versions"][-1] |= {
            "decision": decision,
            "decide_le": instant,
            "decide_par_id": self.agent,
            "commentaire": commentaire,
        }
        if decision == "approuve":
            ligne |= {"statut": "approuve", "approuve_le": instant, "approuve_par_id": self.agent}
        else:
            ligne |= {"statut": "a_corriger", "corrections_avant": self.jour + timedelta(days=30)}

    def _valeurs(self, annee, type_):
        """Every indicator the report asks for: targets × a rate of achievement (half of it at mid-term), the
        demo's figures and texts elsewhere, the structure's hours three times the funded ETP's."""
        ligne = annee["ligne"]
        taux = Decimal(self.rng.randint(55, 125)) / 100 * (Decimal("0.5") if type_ == "intermediaire" else 1)
        valeurs = {}
        for indicateur in suivi.indicateurs_du_bilan(type_, ligne["etp_facilitateur"], ligne["etp_coordinateur"]):
            if not indicateur.numerique:
                valeurs[indicateur.cle] = TEXTES.get(indicateur.code, "Voir le rapport d'activité joint.")
                continue
            cible = annee["cibles"].get(indicateur.cle)
            valeur = cible * taux if cible is not None else AUTRES.get(indicateur.code, Decimal("10"))
            entier = indicateur.type in ("entier", "heures")
            valeurs[indicateur.cle] = valeur.quantize(Decimal("1") if entier else regles.CENTIME, rounding=ROUND_HALF_UP)
        heures = valeurs.get("facilitateur.heures_insertion_etp")
        if heures is not None:
            valeurs["facilitateur.heures_insertion_structure"] = heures * 3
        return valeurs

    def _depenses(self, montant):
        """Most spend at least the grant; some less (balance reduced), a few less than the advance (to recover)."""
        tirage = self.rng.random()
        if tirage < 0.03:
            milliemes = 420
        elif tirage < 0.15:
            milliemes = self.rng.randint(800, 990)
        else:
            milliemes = self.rng.randint(1000, 1500)
        return (montant * milliemes / 1000).quantize(regles.CENTIME)  # en décimaux, comme tout montant

    def _solde(self, annee, bilan):
        """What `approuver_bilan` does for the annual report: the balance capped by the spending, or cancelled
        and the amount to recover computed."""
        ligne, (avance, solde) = annee["ligne"], annee["versements"]
        depenses, instant = bilan["ligne"]["depenses_realisees"], bilan["ligne"]["approuve_le"]
        ligne["depenses_eligibles"] = depenses
        calcul = regles.solde(ligne["montant"], avance["montant"], TAUX_PLAFOND, depenses, solde["montant_prevu"])
        ligne["montant_du"] = calcul.du
        solde |= {"montant": calcul.maximum, "a_payer_le": self.jour, "modifie_le": instant}
        if calcul.maximum > 0:
            solde["etat"] = "a_payer"
            if calcul.maximum < solde["montant_prevu"]:
                solde["motif"] = (
                    f"Solde limité aux dépenses éligibles ({euros(depenses)}) : "
                    f"{euros(calcul.du)} dus sur {euros(ligne['montant'])} accordés."
                )
        else:
            solde["etat"] = "annule"
            solde["motif"] = f"Aucun solde : les dépenses éligibles ({euros(depenses)}) ne dépassent pas l'avance versée."
        if calcul.reversement > 0:
            annee["reversement"] = {
                "montant": calcul.reversement,
                "etat": "a_emettre",
                "calcule_le": instant,
                "titre_emis_le": None,
                "reference": "",
                "recouvre_le": None,
                "commentaire": f"Avance de {euros(avance['montant'])} pour {euros(depenses)} de dépenses éligibles.",
            }

    # --- Fin d'année ---------------------------------------------------------------------------------------

    def _suite(self, annee):
        """Every payment settled: the third year closes the convention; otherwise renewed by avenant or not."""
        ligne = annee["ligne"]
        if ligne["rang"] >= regles.ANNEES_MAX:
            return self._clore()
        if not self._etape(self._apres(3, 20)):
            return None
        instant = self.instant(self.jour, 10)
        ligne |= {"renouvellement_le": instant, "renouvellement_par_id": self.agent}
        if self.rng.random() >= RENOUVELLEMENT:
            ligne |= {"renouvellement": "non_renouvelee", "renouvellement_motif": MOTIF_NON_RENOUVELLEMENT}
            return self._clore()
        ligne["renouvellement"] = "renouvelee"
        etp = (ligne["etp_facilitateur"], ligne["etp_coordinateur"])
        return self._annee(ligne["rang"] + 1, ligne["fin"] + timedelta(days=1), ligne["montant"], etp, annee["cibles"], instant)

    def _clore(self):
        self.convention["ligne"] |= {"statut": "close", "close_le": self.instant(self.jour, 17)}


def instantane(bilan_id, bilan):
    """(text, SHA-256) of a filed version, as `operations._instantane` freezes it."""
    ligne, crf = bilan["ligne"], bilan["crf"]
    contenu = {
        "bilan": bilan_id,
        "type": ligne["type"],
        "arrete_au": ligne["arrete_au"],
        "valeurs": {cle: v if isinstance(v, str) else str(v.quantize(regles.CENTIME)) for cle, v in bilan["valeurs"].items()},
        "depenses_realisees": ligne["depenses_realisees"],
        "pieces": [{"nature": "compte_rendu_financier", "nom": crf["nom"], "sha256": crf["sha256"]}] if crf else [],
    }
    texte = canonique(contenu)
    return texte, hashlib.sha256(texte.encode()).hexdigest()
