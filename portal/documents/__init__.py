"""Civil documents from the Mal Pelayanan Publik, delivered to the door against a PIN."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
