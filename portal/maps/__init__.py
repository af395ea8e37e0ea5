from flask import Blueprint

bp = Blueprint("maps", __name__)
