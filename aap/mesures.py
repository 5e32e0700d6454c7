"""What the benchmark measures inside the app: the SQL queries of each request, in an `X-Requetes` header.

Off unless COMPTE_REQUETES is set (only `make bench` sets it): the header tells how a page is built, which
is nobody else's business, and counting costs one callback per query.
"""

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _compter(*_args):
    if has_request_context():
        g.requetes_sql = g.get("requetes_sql", 0) + 1


def _entete(reponse):
    reponse.headers["X-Requetes"] = str(g.get("requetes_sql", 0))
    return reponse


def init_app(app):
    if not app.config.get("COMPTE_REQUETES"):
        return
    if not event.contains(Engine, "before_cursor_execute", _compter):
        event.listen(Engine, "before_cursor_execute", _compter)
    app.after_request(_entete)
