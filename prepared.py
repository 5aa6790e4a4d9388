"""The booking's gathering statements as PostgreSQL prepared statements.

A booking of a few products runs at the end of every transaction that touches
stock, and PostgreSQL spent longer planning its statements (seven-table joins,
aggregates, correlated lookups: 7 to 10 ms in all) than running them on the
few products at hand. Prepared once per database connection, each statement is
planned once (a generic plan, ``plan_cache_mode``) and every later booking on
that connection only runs it.

The parameters that change from one booking to the next (the product ids, the
kits) are marked ``Bound`` and sent with EXECUTE; every other parameter is
written into the statement's text, which names it (an md5), so a statement
whose fixed parts differ is another statement. A statement over many ids (a
rebuild) runs plainly: its planning is nothing beside its work, and a plan
made for a few ids would not suit it.

A connection proxy that does not keep a session's prepared statements (a
transaction-pooling PgBouncer) makes EXECUTE fail with one of ``LOST``: the
booking gives way then, and prepared statements are switched off for the
process (``disable``). Plain Python, no Odoo; ``cr`` is Odoo's cursor.
"""

import hashlib

from psycopg2 import errorcodes

# The server does not know a statement this connection prepared, or knows one
# it did not record.
LOST = {errorcodes.INVALID_SQL_STATEMENT_NAME, errorcodes.DUPLICATE_PREPARED_STATEMENT}
_ATTRIBUTE = "_sale_fulfilment_prepared"
# Past this many characters of bound parameters (about 300 ids), plainly.
MAX_BOUND = 2000
_state = {"enabled": True}


class Bound(str):
    """A parameter sent with each EXECUTE, not written into the statement."""


def disable():
    """Run every statement plainly from now on, in this process."""
    _state["enabled"] = False


def enabled():
    return _state["enabled"]


def execute(cr, query):
    """Run ``query`` (an Odoo ``SQL``) as a prepared statement of ``cr``'s
    connection, preparing it on first use; plainly when it has no ``Bound``
    parameter or prepared statements are off."""
    params = query.params
    bound_size = sum(len(p) for p in params if isinstance(p, Bound))
    if not _state["enabled"] or not bound_size or bound_size > MAX_BOUND:
        return cr.execute(query)
    bound, parts = [], []
    for param in params:
        if isinstance(param, Bound):
            bound.append(str(param))
            parts.append(f"${len(bound)}")
        else:
            parts.append(cr.mogrify("%s", [param]).decode())
    text = query.code % tuple(parts)
    name = "sale_fulfilment_" + hashlib.md5(text.encode()).hexdigest()[:24]
    run = f"EXECUTE {name}({', '.join(['%s'] * len(bound))})"
    # The set lives on the connection: statements belong to its session,
    # whichever cursor or transaction prepared them (a rollback keeps them).
    known = cr._cnx.__dict__.setdefault(_ATTRIBUTE, {})
    state = known.get(name)
    if state is None and name in known:
        # An earlier PREPARE; EXECUTE failed: whether the PREPARE stayed is
        # for the server to say.
        cr.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        state = bool(cr.fetchone())
    if state:
        return cr.execute(run, bound)
    known[name] = None  # unknown until the statement below returns
    # One round trip, one statement for Odoo's query counts.
    escaped = text.replace("%", "%%")
    cr.execute(f"PREPARE {name} AS {escaped}; {run}", bound)
    known[name] = True
    return None
