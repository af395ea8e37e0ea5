"""Promotion verbs, one module per aggregate; `from portal.promotions import services as promo`.

Each verb flushes and never commits (the request does). Entry moves go through
`portal.workflow.move`, so the office's every decision leaves its event.
"""

from portal.promotions.services.collections import (
    CollectionFields,
    active_collections,
    add_warung,
    collection_by_slug,
    collection_warungs,
    collections_for_office,
    move_warung,
    remove_warung,
    save_collection,
    set_cover,
)
from portal.promotions.services.entries import (
    approve_entry,
    entries_of_warung,
    entry_of,
    festival_entries,
    opt_in,
    reject_entry,
    withdraw,
)
from portal.promotions.services.errors import PromotionError
from portal.promotions.services.festivals import (
    FestivalFields,
    current_festivals,
    festival_by_id,
    festival_by_slug,
    festival_of,
    festival_stamp,
    festivals_for_office,
    open_festivals,
    participants,
    save_festival,
)
from portal.promotions.services.showcase import Showcase, showcase, showcase_stamp

__all__ = [
    "CollectionFields",
    "FestivalFields",
    "PromotionError",
    "Showcase",
    "active_collections",
    "add_warung",
    "approve_entry",
    "collection_by_slug",
    "collection_warungs",
    "collections_for_office",
    "current_festivals",
    "entries_of_warung",
    "entry_of",
    "festival_by_id",
    "festival_by_slug",
    "festival_entries",
    "festival_of",
    "festival_stamp",
    "festivals_for_office",
    "move_warung",
    "open_festivals",
    "opt_in",
    "participants",
    "reject_entry",
    "remove_warung",
    "save_collection",
    "save_festival",
    "set_cover",
    "showcase",
    "showcase_stamp",
    "withdraw",
]
