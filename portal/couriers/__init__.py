from flask import Blueprint

bp = Blueprint("couriers", __name__)
