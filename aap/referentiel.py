"""Communes and EPCI, loaded from the official data of the npm package @etalab/decoupage-administratif."""

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import Commune, Epci


def communes_du_service(service):
    """The communes (code, nom: rows, not objects) of a service's départements, by name; every loaded commune for the
    national reader (a thousand in the national bench: as objects, they were a fifth of its list page)."""
    requete = select(Commune.code, Commune.nom).order_by(Commune.nom)
    if service is not None:
        requete = requete.where(Commune.departement.in_(service.codes_departements))
    return db.session.execute(requete).all()


def _lire(nom):
    return json.loads((Path(current_app.config["REFERENTIEL_DIR"]) / nom).read_text(encoding="utf-8"))


def charger_referentiel(departements):
    """Inserts or updates the current communes of these départements and their EPCI. Idempotent."""
    communes = [c for c in _lire("communes.json") if c.get("type") == "commune-actuelle" and c.get("departement") in departements]
    departement_de = {c["code"]: c["departement"] for c in communes}
    epci_de = {}
    nb_epci = 0
    for epci in _lire("epci.json"):
        membres = [m["code"] for m in epci.get("membres", []) if m["code"] in departement_de]
        if not membres:
            continue
        db.session.merge(Epci(code=epci["code"], nom=epci["nom"], departement=departement_de[membres[0]]))
        nb_epci += 1
        for code in membres:
            epci_de[code] = epci["code"]
    db.session.flush()
    for c in communes:
        db.session.merge(
            Commune(
                code=c["code"],
                nom=c["nom"],
                departement=c["departement"],
                codes_postaux=" ".join(c.get("codesPostaux", [])),
                population=c.get("population"),
                epci_code=epci_de.get(c["code"]),
            )
        )
    db.session.flush()
    return len(communes), nb_epci
