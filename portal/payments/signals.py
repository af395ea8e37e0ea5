"""What other domains listen to. Sender = the Payment.

Each is sent exactly once per transition, inside the transaction, after the payment row changed
(under its row lock). Receivers filter on `payment.payable_type`, move their payable, flush, and
never commit: the caller that changed the payment commits everything together.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

payment_succeeded = _signals.signal("payment-succeeded")
payment_failed = _signals.signal("payment-failed")
# Also carries amount=<rupiah refunded by this refund>.
payment_refunded = _signals.signal("payment-refunded")
