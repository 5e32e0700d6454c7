"""Pages of the conventions domain."""

from flask import Blueprint, render_template

from aap.models import Role
from aap.securite import role_requis

bp = Blueprint("conventions", __name__, url_prefix="/conventions")


@bp.route("/")
@role_requis(Role.PORTEUR, Role.AGENT, Role.ADMIN, Role.NATIONAL)
def index():
    return render_template("conventions/index.html")
