"""Voucher verbs and reads; `from portal.promotions.vouchers import services as vouchers`.

rules.py decides which voucher an order gets (or why not); budget.py reserves and gives back
budget; lifecycle.py follows the order (used → subsidy payment; cancelled/refunded → returned);
office.py creates and edits; reading.py counts for the office and the dashboard.
"""

from portal.promotions.vouchers.services.budget import VoucherRefused, give_back, reserve
from portal.promotions.vouchers.services.lifecycle import (
    SUBSIDY_PAYABLE,
    SUBSIDY_PAYER,
    redemption_for,
    release,
    subsidy_for,
    use,
)
from portal.promotions.vouchers.services.office import VoucherError, VoucherFields, save_voucher
from portal.promotions.vouchers.services.reading import BudgetLine, ScopeTotals, budget_lines, scope_totals, vouchers
from portal.promotions.vouchers.services.rules import Offer, find_offer, hhmm, normalise_code, refusal

__all__ = [
    "SUBSIDY_PAYABLE",
    "SUBSIDY_PAYER",
    "BudgetLine",
    "Offer",
    "ScopeTotals",
    "VoucherError",
    "VoucherFields",
    "VoucherRefused",
    "budget_lines",
    "find_offer",
    "give_back",
    "hhmm",
    "normalise_code",
    "redemption_for",
    "refusal",
    "release",
    "reserve",
    "save_voucher",
    "scope_totals",
    "subsidy_for",
    "use",
    "vouchers",
]
