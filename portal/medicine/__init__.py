"""Gancang Aron: hospital outpatients get their medicine delivered home."""

from flask import Blueprint

bp = Blueprint("medicine", __name__)
