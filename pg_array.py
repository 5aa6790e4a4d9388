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
