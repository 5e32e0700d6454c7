"""What every rule of the COPIL shares: the finding a rule returns, and exact decimal constants."""

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")
CENTIEME = Decimal("0.01")
CENTIME = Decimal("0.01")


@dataclass(frozen=True)
class Erreur:
    champ: str | None
    code: str
    message: str
