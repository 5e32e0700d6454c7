"""What every page and API endpoint reads from a URL, read once and bounded to what the database can hold: ids
(the `id` converter of every route) and page numbers. Beyond the bounds nothing can match: a plain 404, never
the database's overflow (an INTEGER holds up to 2^31 - 1 on PostgreSQL, a page number becomes an OFFSET)."""

from flask import abort, current_app, request
from werkzeug.routing import IntegerConverter

from .extensions import db

ID_MAX = 2**31 - 1  # colonnes INTEGER (PostgreSQL) : au-delà, aucune ligne ne peut répondre
PAGE_MAX = 100_000


def motif_de_1_a(maximum):
    """A regular expression of the integers from 1 to `maximum`, written without leading zeros."""
    chiffres = str(maximum)
    motifs = [f"[1-9][0-9]{{0,{len(chiffres) - 2}}}"] if len(chiffres) > 1 else []
    for rang, chiffre in enumerate(chiffres):
        plus_petit = 1 if rang == 0 else 0
        if int(chiffre) > plus_petit:
            reste = len(chiffres) - rang - 1
            plage = f"[{plus_petit}-{int(chiffre) - 1}]" if int(chiffre) - 1 > plus_petit else str(plus_petit)
            motifs.append(chiffres[:rang] + plage + (f"[0-9]{{{reste}}}" if reste else ""))
    return "|".join([*motifs, chiffres])


class ConvertisseurIdentifiant(IntegerConverter):
    """`<id:dossier_id>`: an integer from 1 to ID_MAX. Any other segment matches no route at all, whatever the
    method (a plain 404): the bounds are in the pattern, not only in the conversion."""

    regex = f"(?:{motif_de_1_a(ID_MAX)})"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=ID_MAX)


def numero_de_page():
    """`?page=`: 1 when absent or unreadable; 404 beyond PAGE_MAX."""
    page = request.args.get("page", 1, type=int)
    if page > PAGE_MAX:
        abort(404)
    return max(page, 1)


def paginer(requete, par_page=None):
    """One page of a list, PAR_PAGE rows by default; a page past the end is empty."""
    return db.paginate(requete, page=numero_de_page(), per_page=par_page or current_app.config["PAR_PAGE"], error_out=False)


def init_app(app):
    app.url_map.converters["id"] = ConvertisseurIdentifiant
