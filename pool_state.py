"""What a booking leaves of a pool, kept so that the next booking can go on
from there.

An order confirmed at the bottom of the ranks changes nothing above it: the
lines ranked before it take what they took. Its lines get what the walk left
after the last of them, so a booking that kept that remainder can book them
without reading the hundreds of lines above (``sale.fulfilment.booking``'s
``_book_appended``). The state is plain JSON, kept on the product's stock
figures row for the warehouse; it names:

* ``rank``: the rank of the last sales line the walk served from this pool
  (``[priority, order date, order id, line sequence, line id]``, None when
  there was none); only orders ranked after it may go on from here;
* ``stock`` and ``supplies``: what is left, in walk order;
* ``info``: the documents of those supplies, for the lines' explanations;
* ``rounding``: the unit the walk counted in;
* ``inputs``: the pool's inputs when it was booked (stock, reservations,
  supplies): a booking that finds them changed, by more than what the lines
  it booked from stock shipped since (``goes_on``), walks every line again.

A line that ships what it booked from stock leaves the rest of the walk as it
was: the stock is less by what it shipped and the line needs that much less,
so every line ranked before or after it books what it booked, and the pool is
left with the same remainder.

Plain Python, no Odoo.
"""

import datetime
import json

from .booking import Pool, Supply


def _day(value):
    return value.isoformat() if value else None


def inputs_signature(pool_qty, in_stock, expected, supplies):
    """Text that changes whenever what the pool is built from changes: the
    stock it may hand out, what is on hand, the Expected figure and every
    supply with its quantity, date and document."""
    return json.dumps(
        [
            pool_qty,
            in_stock,
            expected,
            [
                [s["id"], s["qty"], _day(s["date"]), s["document"], s["model"], s["res_id"]]
                for s in supplies
            ],
        ]
    )


def dump(pool, rank, supply_info, inputs):
    """The state of ``pool`` after the sales lines, as JSON-ready data."""
    stock, left = pool.left()
    return {
        "rank": None if rank is None else [rank[0], _day(rank[1]), *rank[2:]],
        "stock": stock,
        "supplies": [[s.key, s.qty, _day(s.date)] for s in left],
        "info": {
            str(s.key): [
                supply_info[s.key]["document"],
                supply_info[s.key]["model"],
                supply_info[s.key]["res_id"],
                supply_info[s.key]["day"],
            ]
            for s in left
        },
        "rounding": pool.rounding,
        "inputs": inputs,
    }


def load(state):
    """(Pool going on from ``state``, {supply id: its document, as the booking's
    supply rows give it})."""
    supplies = [
        Supply(key, qty, date and datetime.datetime.fromisoformat(date))
        for key, qty, date in state["supplies"]
    ]
    info = {
        int(key): {"document": doc, "model": model, "res_id": res_id, "day": day}
        for key, (doc, model, res_id, day) in state["info"].items()
    }
    return Pool(state["stock"], supplies, state["rounding"]), info


def ranks_before(state, priority):
    """Whether every line the state's walk served ranks before ``priority``."""
    rank = state["rank"]
    return rank is None or (rank[0] is not None and priority is not None and rank[0] < priority)


def goes_on(state, inputs, shipped=0.0):
    """Whether a walk of every line of the pool, built now from ``inputs``,
    would leave what ``state`` records: the same supplies and Expected, and the
    stock less by exactly ``shipped``, what lines shipped since out of what
    they had booked from stock (checked by the caller)."""
    if not state:
        return False
    before, now = json.loads(state["inputs"]), json.loads(inputs)
    return before[2:] == now[2:] and abs(before[0] - shipped - now[0]) < state["rounding"] / 2
