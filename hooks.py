def post_init_hook(env):
    """Rank and book the orders that were there before the addon."""
    orders = env["sale.order"].search(
        [("state", "=", "sale"), ("fulfilment_priority", "=", 0)], order="date_order, id"
    )
    orders._append_to_ranks()
    productions = env["mrp.production"].search(
        [("schedule_priority", "=", 0)], order="date_start, id"
    )
    productions._append_to_ranks()
    env["sale.fulfilment.rebook"]._rebuild()
