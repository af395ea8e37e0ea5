from flask import Blueprint

bp = Blueprint("food", __name__)
