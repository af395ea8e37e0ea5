from flask import Blueprint

bp = Blueprint("rides", __name__, url_prefix="/rides")
