from flask import Blueprint

bp = Blueprint("promotions", __name__)
