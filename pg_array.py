"""PostgreSQL array literals for bulk statements.

A Python list handed to psycopg2 becomes ``ARRAY[...]``, an expression per
element that PostgreSQL parses one by one: for 100,000 values that costs more
than the statement itself. The same values as one ``'{...}'`` literal are
read by PostgreSQL's array input, about three times faster. Plain Python, no
Odoo.
"""


def pg_array(values):
    """The text of a PostgreSQL array literal holding ``values`` (None is NULL).

    Cast it in the statement (``%s::int[]``): the literal itself is untyped.
    """
    values = values if isinstance(values, (list, tuple)) else list(values)
    # Ids and quantities, the bulk of a rebuild (600,000 elements), are
    # written at C speed; anything else element by element.
    if set(map(type, values)) <= {int, float}:
        return "{" + ",".join(map(repr, values)) + "}"
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
