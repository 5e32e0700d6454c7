"""The bounds of what a person may type, in one table: forms, API schemas and column sizes read them here.

They guard the database and the documents against abuse; the rules of the call (plafond, crédits, ETP
minimum) are checked by each domain's rules, not here."""

from decimal import Decimal

TITRE_MAX = 250  # titre d'un dossier, d'une campagne, objet d'un courriel
RAISON_SOCIALE_MAX = 250
LIBELLE_MAX = 300  # libellé d'une pièce, précision d'une ligne de budget
NOM_MAX = 200  # signataire, financeur
TEXTE_MAX = 20_000  # tout texte libre : présentation du projet, motif, commentaire, texte d'un bilan
MONTANT_MAX = Decimal("100000000")  # 10^8 € : au-delà, une faute de frappe
ETP_MAX = Decimal("100")
VOLUME_MAX = 10_000_000
