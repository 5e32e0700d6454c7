from sqlalchemy import select
from aap.extensions import db
from aap.models import Campagne, Utilisateur
from candidatures.models import Dossier, Piece, Structure
from notation.models import Seance, Decision, PointOrdreDuJour, FeuilleNotation, Declaration
from conventions.models import Convention, Versement, Bilan
from .test_fuzz_api import app_fuzz  # noqa


def test_proto(app_fuzz):
    for u in db.session.scalars(select(Utilisateur)):
        print("U", u.id, u.email, u.role, u.structure_id)
    for c in db.session.scalars(select(Campagne)):
        print("C", c.id, c.titre, c.ouverture_le, c.cloture_le, c.publiee)
    for s in db.session.scalars(select(Structure)):
        print("S", s.id, s.raison_sociale)
    for d in db.session.scalars(select(Dossier)):
        print(
            "D",
            d.id,
            d.statut,
            d.structure_id,
            d.campagne_id,
            d.version,
            [p.id for p in d.pieces if p.en_vigueur][:3],
            d.depots and len(d.depots),
        )
    for s in db.session.scalars(select(Seance)):
        print(
            "SE",
            s.id,
            s.phase,
            s.president_id,
            [m.utilisateur_id for m in s.membres],
            [p.dossier_id for p in s.ordre_du_jour],
            s.campagne_id,
        )
    for f in db.session.scalars(select(FeuilleNotation)):
        print("F", f.seance_id, f.dossier_id, f.membre_id, f.soumise)
    for d in db.session.scalars(select(Decision)):
        print("DE", d.id, d.seance_id, d.dossier_id, d.nature, d.notifie_le is not None)
    for c in db.session.scalars(select(Convention)):
        print("CV", c.id, c.statut, c.structure_id, c.decision_id, [(a.rang, a.signee_le) for a in c.annees])
    for v in db.session.scalars(select(Versement)):
        print("V", v.id, v.convention_id, v.nature, v.etat)
    for b in db.session.scalars(select(Bilan)):
        print("B", b.id, b.convention_id, b.type, b.statut)
