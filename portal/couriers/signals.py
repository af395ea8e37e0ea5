"""delivery_changed.send(delivery, old=old_status, new=new_status): inside the transaction, after
the event row is written. Receivers filter on delivery.purpose, flush, never commit."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
delivery_changed = _signals.signal("delivery-changed")
