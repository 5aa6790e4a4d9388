"""Greedy booking of one product's stock and expected supplies to ranked demands.

This module is deliberately free of Odoo: the walk is the part of fulfilment
that must be right and fast, so it is kept pure, testable without a database,
and fed plain tuples that the models build in bulk (one query per model, not
one per line).

For one product in one warehouse, demands are served strictly in rank order,
each one first from on-hand stock and then from expected supplies, earliest
first. Greedy in rank order is the whole contract: a demand never takes part of
a supply that a higher-ranked demand could have used, so a line's promise only
changes when something ranked above it changes.

Quantities are counted internally as integer multiples of ``rounding``. Every
input is rounded once, HALF-UP with Odoo's epsilon correction, exactly as
``float_round`` does, and all later arithmetic is exact. That is what Odoo's
``float_compare`` would conclude on the rounded values, without the float noise
that repeated subtraction leaves behind (a ``missing`` of 1e-17 would wrongly
make a line 'not_available').

Choices the caller should know about:

* Zero or negative on-hand, and supplies with zero or negative quantity, offer
  nothing; a demand of zero or negative quantity takes nothing and is
  'in_stock'.
* ``Booking.demand_qty`` is the demand rounded to ``rounding``, so that
  ``from_stock + sum(from_supply) + missing == max(demand_qty, 0)`` holds.
* Quantities beyond +-MAX_QTY (1e15) are taken as +-MAX_QTY: no real stock
  or order comes near, and an absurd input must not stop the walk.
* Supplies without a date are used last, after every dated one, since nothing
  can be promised on them. ``Booking.date`` is the latest *known* date among the
  supplies a demand booked: undated ones are ignored unless all of them are
  undated, in which case it is None. A caller that must flag unknown arrivals
  can look for a None date in ``from_supply``.
* ``datetime.date`` and ``datetime.datetime`` may be mixed: a bare date sorts as
  midnight of that day. Naive and aware datetimes may not be mixed.
"""

import datetime
import math
from collections.abc import Hashable, Iterable
from typing import NamedTuple

__all__ = [
    "EXPECTED",
    "IN_STOCK",
    "NOT_AVAILABLE",
    "Booking",
    "Demand",
    "Pool",
    "Supply",
    "book",
    "combine",
    "remaining",
]

IN_STOCK = "in_stock"
EXPECTED = "expected"
NOT_AVAILABLE = "not_available"

DEFAULT_ROUNDING = 0.0001
# Larger quantities book as this much (see _bounded).
MAX_QTY = 1e15

# Odoo's float_round tips exact ties away from zero with a relative epsilon of
# 2**-50; multiplying by (1 + 2**-50) is the same thing without a log2 call.
_TIE_BREAK = 1.0 + 2.0**-50


class Demand(NamedTuple):
    key: Hashable
    qty: float


class Supply(NamedTuple):
    key: Hashable
    qty: float
    date: datetime.date | datetime.datetime | None


class Booking(NamedTuple):
    key: Hashable
    demand_qty: float
    from_stock: float
    from_supply: tuple
    missing: float
    status: str
    date: object


def _units_converters(rounding):
    """Return (to_units, to_qty) for ``rounding``.

    As Odoo 18's float_round does with float_invert, a rounding such as 0.1 is
    applied through its exact integer inverse (10), which loses less: 0.3 / 0.1
    is 2.9999999999999996 where 0.3 * 10 is 3.0, and 3 / 10 is the float closest
    to 0.3 where 3 * 0.1 is 0.30000000000000004.
    """
    if not (isinstance(rounding, (int, float)) and math.isfinite(rounding) and rounding > 0):
        raise ValueError(f"rounding must be a positive number, got {rounding!r}")
    inverse = round(1.0 / rounding) if rounding < 1 else 0
    if inverse and abs(1.0 / rounding - inverse) <= 1e-9 * inverse:

        def to_units(value):
            return round(_bounded(value) * inverse * _TIE_BREAK) if value else 0

        def to_qty(units):
            return units / inverse

    else:

        def to_units(value):
            return round(_bounded(value) / rounding * _TIE_BREAK) if value else 0

        def to_qty(units):
            return units * rounding

    return to_units, to_qty


def _bounded(value):
    """``value`` within +-MAX_QTY: an absurd quantity (1e306 typed by mistake)
    books as a huge one instead of overflowing, and others' results stay
    readable."""
    return min(max(value, -MAX_QTY), MAX_QTY)


def _date_order(supply):
    # None goes last; a bare date would raise against a datetime, so it is
    # compared as the start of its day.
    date = supply[2]
    if date is None:
        return (True, datetime.datetime.min)
    if not isinstance(date, datetime.datetime):
        date = datetime.datetime.combine(date, datetime.time.min)
    return (False, date)


class Pool:
    """Stock and expected supplies of one product in one warehouse, being booked.

    A pool remembers what has been taken, so successive ``book`` calls continue
    the same greedy walk: booking sales lines and then manufacturing components
    on one pool ranks every sales line above every component.
    """

    __slots__ = ("_left", "_next", "_stock", "_supplies", "_to_qty", "_to_units", "rounding")

    def __init__(self, on_hand=0.0, supplies=(), rounding=DEFAULT_ROUNDING):
        self.rounding = rounding
        self._to_units, self._to_qty = _units_converters(rounding)
        self._stock = max(self._to_units(on_hand), 0)
        # sorted() is stable, which gives the "ties in the order given" rule.
        self._supplies = sorted(supplies, key=_date_order)
        to_units = self._to_units
        self._left = [max(to_units(supply[1]), 0) for supply in self._supplies]
        # Everything before this index is used up; the walk never looks back,
        # which keeps a pool linear in demands plus supplies.
        self._next = 0

    def take(self, demand):
        """Book ``demand`` on what is left and return its Booking."""
        key, qty = demand[0], demand[1]
        to_qty = self._to_qty
        need = self._to_units(qty)
        if need <= 0:
            return Booking(key, to_qty(need), 0.0, (), 0.0, IN_STOCK, None)
        demand_qty = to_qty(need)

        from_stock = min(self._stock, need)
        self._stock -= from_stock
        need -= from_stock

        booked = ()
        date = None
        if need:
            left = self._left
            supplies = self._supplies
            index = self._next
            end = len(left)
            taken = []
            while need and index < end:
                available = left[index]
                if not available:
                    index += 1
                    continue
                supply = supplies[index]
                if available > need:
                    left[index] = available - need
                    got = need
                    need = 0
                else:
                    left[index] = 0
                    got = available
                    need -= available
                    index += 1
                supply_date = supply[2]
                taken.append((supply[0], to_qty(got), supply_date))
                # Supplies are walked in date order, so the last known date is the latest.
                if supply_date is not None:
                    date = supply_date
            self._next = index
            booked = tuple(taken)

        if need:
            status = NOT_AVAILABLE
        elif booked:
            status = EXPECTED
        else:
            status = IN_STOCK
        return Booking(key, demand_qty, to_qty(from_stock), booked, to_qty(need), status, date)

    def book(self, demands: Iterable) -> list:
        """Book ``demands`` in the order given (their rank) and return their Bookings."""
        take = self.take
        return [take(demand) for demand in demands]

    def left(self):
        """Return (stock left, [Supply with what is left of it]) in walk order,
        without the supplies used up.

        ``Pool(*pool.left(), pool.rounding)`` continues the walk exactly where
        this pool stands: quantities are whole units of the rounding, which
        convert back to the same units.
        """
        to_qty = self._to_qty
        supplies = [
            Supply(supply[0], to_qty(units), supply[2])
            for supply, units in zip(self._supplies[self._next :], self._left[self._next :])
            if units > 0
        ]
        return to_qty(self._stock), supplies

    def remaining(self):
        """Return (stock left, {supply key: quantity left}) as floats.

        Supplies sharing a key are summed; every supply key appears, with 0.0
        when used up or never positive.
        """
        to_qty = self._to_qty
        left = {}
        for supply, units in zip(self._supplies, self._left):
            left[supply[0]] = left.get(supply[0], 0) + units
        return to_qty(self._stock), {key: to_qty(units) for key, units in left.items()}


def book(demands, on_hand=None, supplies=None, rounding=None, *, pool=None):
    """Book ``demands`` (in rank order) and return one Booking per demand, in order.

    Without ``pool``, a fresh Pool is built from ``on_hand``, ``supplies`` (any
    order) and ``rounding``. With ``pool``, booking continues on it, and passing
    stock, supplies or rounding as well is an error: they would be ignored.
    """
    if pool is None:
        pool = Pool(
            0.0 if on_hand is None else on_hand,
            () if supplies is None else supplies,
            DEFAULT_ROUNDING if rounding is None else rounding,
        )
    elif on_hand is not None or supplies is not None or rounding is not None:
        raise TypeError("book() takes either a pool or on_hand/supplies/rounding, not both")
    return pool.book(demands)


def combine(first, then, rounding=DEFAULT_ROUNDING):
    """One Booking of a demand booked in two steps: ``first`` on what is set
    aside for it alone (a supply Odoo chained to its delivery), ``then`` the
    rest (``first.missing``) on the shared pool. Keyed and sized as ``first``."""
    to_units, to_qty = _units_converters(rounding)
    from_supply = first.from_supply + then.from_supply
    missing = then.missing
    if to_units(missing) > 0:
        status = NOT_AVAILABLE
    elif from_supply:
        status = EXPECTED
    else:
        status = IN_STOCK
    dated = [supply for supply in from_supply if supply[2] is not None]
    date = max(dated, key=_date_order)[2] if dated else None
    return Booking(
        first.key,
        first.demand_qty,
        to_qty(to_units(first.from_stock) + to_units(then.from_stock)),
        from_supply,
        missing,
        status,
        date,
    )


def remaining(on_hand, supplies, bookings, rounding=DEFAULT_ROUNDING):
    """Return (stock left, {supply key: quantity left}) after ``bookings``.

    For bookings that were not made on a Pool still at hand (e.g. read back from
    a cache); with a pool, ``Pool.remaining()`` is the same without the replay.
    A booking against a supply key not in ``supplies`` raises KeyError.
    """
    to_units, to_qty = _units_converters(rounding)
    stock = max(to_units(on_hand), 0)
    left = {}
    for supply in supplies:
        left[supply[0]] = left.get(supply[0], 0) + max(to_units(supply[1]), 0)
    for booking in bookings:
        stock -= to_units(booking.from_stock)
        for key, qty, _date in booking.from_supply:
            if key not in left:
                raise KeyError(key)
            left[key] -= to_units(qty)
    return to_qty(stock), {key: to_qty(units) for key, units in left.items()}
