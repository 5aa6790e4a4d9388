"""The addon's vocabulary, defined once: statuses, modes and context keys.

Plain Python, no Odoo: models, wizards, tests and benchmarks import from here.
"""

# ---------------------------------------------------------------------------
# Statuses
# ---------------------------------------------------------------------------
AVAILABILITY_STATUSES = [
    ("in_stock", "In stock"),
    ("expected", "Expected"),
    ("not_available", "Not available"),
    ("delivered", "Delivered"),
    ("not_applicable", "Not applicable"),
]
# Worst first: an order shows the most severe status among its lines.
SEVERITY = {
    "not_available": 5,
    "expected": 4,
    "in_stock": 3,
    "delivered": 2,
    "not_applicable": 1,
}
# What an MO component booked.
COMPONENT_STATUSES = AVAILABILITY_STATUSES[:3]
# An MO's ingredients: the worst of its components, or no bill of materials.
INGREDIENT_STATUSES = [*COMPONENT_STATUSES, ("no_recipe", "No recipe")]

# ---------------------------------------------------------------------------
# Fulfilment modes
# ---------------------------------------------------------------------------
FULFILMENT_MODES = [
    ("make_to_order", "Make to order"),
    ("make_in_batch", "Make in batch"),
    ("buy", "Buy"),
    ("outsource", "Outsource"),
]
PRODUCTION_MODES = FULFILMENT_MODES[:2]
# When a product's default fulfilment applies to a line that becomes Not
# available after its order was confirmed (at confirmation it always applies).
DEFAULT_TRIGGERS = [
    ("scheduled", "By the scheduled action"),
    ("at_once", "At once"),
]
OPEN_MO_STATES = ("confirmed", "progress", "to_close")
# Make to order down the bill of materials stops this many levels down.
MAX_TREE_DEPTH = 10

# ---------------------------------------------------------------------------
# Context keys
# ---------------------------------------------------------------------------
# Keys that switch off one of the addon's own checks take this value, which no
# client request can carry (JSON has no such object): a key sent by a client
# is ignored.
TRUSTED = object()


def trusted(env, key):
    """Whether ``key`` was set in ``env``'s context by the addon's own code."""
    return env.context.get(key) is TRUSTED


# The addon itself changes a make-to-order MO (its quantity, its link): the lock
# on hand-made changes does not apply. Value: TRUSTED.
MTO_SYNC_CONTEXT = "sale_fulfilment_sync"
# A rank sync is running: the other side must not sync back (no echo).
RANK_SYNC_CONTEXT = "sale_fulfilment_rank_sync"
# Moves are being reserved in rank order (no recursion).
ASSIGNING_CONTEXT = "sale_fulfilment_assigning"
# A sales order is being confirmed: a reservation that collides with another
# transaction's is made after the commit rather than failing the save.
# Value: TRUSTED.
CONFIRMING_CONTEXT = "sale_fulfilment_confirming"
# A reservation runs where a collision with another transaction is handled
# already (inside the savepoint that puts it off after the commit, or after
# the commit, which tries again): not put off once more. Value: TRUSTED.
RESERVE_NOW_CONTEXT = "sale_fulfilment_reserve_now"
# A product's default fulfilment is being applied: the company's policy, set on
# the product, not the choice of the user whose save triggered it, so his own
# Manufacturing and Purchase rights are not asked for. Value: TRUSTED.
POLICY_CONTEXT = "sale_fulfilment_policy"
# A mass import: no booking per transaction; one rebuild is scheduled instead.
NO_REBOOK_CONTEXT = "sale_fulfilment_no_rebook"
# The booking may wait for locks: it runs at READ COMMITTED or under the
# rebuild lock, so what it reads after them is fresh. Value: TRUSTED.
FRESH_CONTEXT = "sale_fulfilment_fresh"
# The booking holds the rebuild lock exclusively: it needs no other lock.
# Value: TRUSTED.
EXCLUSIVE_CONTEXT = "sale_fulfilment_exclusive"

# ---------------------------------------------------------------------------
# Procurement values (Buy and Outsource run through Odoo's buy rule)
# ---------------------------------------------------------------------------
# The sales lines a procurement buys for: its purchase order line links them.
PROCUREMENT_SALE_LINES = "sale_fulfilment_sale_line_ids"
# Outsource: the purchase order is marked outsourced, and never joins a plain one.
PROCUREMENT_OUTSOURCED = "sale_fulfilment_outsourced"
# The user picked a vendor without a price for this product and quantity.
PROCUREMENT_NO_PRICELIST = "sale_fulfilment_no_pricelist"
