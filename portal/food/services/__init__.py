"""Food verbs, one module per aggregate; import the package (`from portal.food import services as
food`) and call `food.accept_order(...)`.

Each verb flushes and never commits (the request or job does). Every order and warung move goes
through `portal.workflow.move`, which checks the status's flow and writes the event, so the
timeline is complete; an illegal move raises IllegalMove. Couriers and payments are reached only
through their contracts (portal.couriers, portal.payments).
"""

from portal.food.models import MAX_QUANTITY, CartItem
from portal.food.services import receivers  # noqa: F401 - connects food to payments' and couriers' signals
from portal.food.services.board import (
    ACTIVE_FOR_OWNER,
    PollState,
    board_etag,
    newest_placed_id,
    owner_orders,
    poll_state,
    today_total,
)
from portal.food.services.cards import WarungCard, cards_stamp, next_opening, warung_cards
from portal.food.services.cart import (
    Added,
    add_to_cart,
    cart_lines,
    cart_quantity,
    cart_summary,
    cart_summary_query,
    carts,
    set_cart_quantity,
)
from portal.food.services.cash import CashHeld, cash_held, record_handover
from portal.food.services.checkout import (
    Checkout,
    Line,
    TotalChanged,
    may_pay_cash_instead,
    order_for_key,
    place_order,
    price_checkout,
    switch_to_cash,
)
from portal.food.services.delivery import courier_job, quote_fee
from portal.food.services.errors import FoodError
from portal.food.services.menu import add_dish, delete_dish, menu, menu_sections, move_dish, set_sold_out, update_dish
from portal.food.services.notifications import MESSAGES, notify_order
from portal.food.services.orders import (
    PAYABLE,
    accept_order,
    cancel_order,
    mark_paid,
    mark_ready,
    on_delivery_moved,
    rate_order,
    refund_late_payment,
    reject_order,
    send_to_warung,
)
from portal.food.services.reorder import Reordered, order_again
from portal.food.services.warungs import (
    OPEN_NOW,
    Periods,
    close_warung,
    distance_km,
    format_periods,
    open_now_clause,
    open_params,
    parse_periods,
    reject_warung,
    save_warung,
    search_warungs,
    set_closed_today,
    set_hours,
    slugify,
    verify_warung,
    warung_of,
)

__all__ = [
    "ACTIVE_FOR_OWNER",
    "MAX_QUANTITY",
    "MESSAGES",
    "OPEN_NOW",
    "PAYABLE",
    "Added",
    "CartItem",
    "CashHeld",
    "Checkout",
    "FoodError",
    "Line",
    "Periods",
    "PollState",
    "Reordered",
    "TotalChanged",
    "WarungCard",
    "accept_order",
    "add_dish",
    "add_to_cart",
    "board_etag",
    "cancel_order",
    "cards_stamp",
    "cart_lines",
    "cart_quantity",
    "cart_summary",
    "cart_summary_query",
    "carts",
    "cash_held",
    "close_warung",
    "courier_job",
    "delete_dish",
    "distance_km",
    "format_periods",
    "mark_paid",
    "mark_ready",
    "may_pay_cash_instead",
    "menu",
    "menu_sections",
    "move_dish",
    "newest_placed_id",
    "next_opening",
    "notify_order",
    "on_delivery_moved",
    "open_now_clause",
    "open_params",
    "order_again",
    "order_for_key",
    "owner_orders",
    "parse_periods",
    "place_order",
    "poll_state",
    "price_checkout",
    "quote_fee",
    "rate_order",
    "record_handover",
    "refund_late_payment",
    "reject_order",
    "reject_warung",
    "save_warung",
    "search_warungs",
    "send_to_warung",
    "set_cart_quantity",
    "set_closed_today",
    "set_hours",
    "set_sold_out",
    "slugify",
    "switch_to_cash",
    "today_total",
    "update_dish",
    "verify_warung",
    "warung_cards",
    "warung_of",
]
