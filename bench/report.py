"""Printing shared by the benchmarks: plain tables, verdicts, short SQL."""

import re


def out(text=""):
    print(text, flush=True)


def table(headers, rows, align=None):
    rows = [[str(cell) for cell in row] + [""] * (len(headers) - len(row)) for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    align = align or ["<"] + [">"] * (len(headers) - 1)

    def fmt(cells):
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    out(fmt(headers))
    out("  ".join("-" * w for w in widths))
    for row in rows:
        out(fmt(row))


def verdict(ok):
    return "ok" if ok else "MISSED"


def short_sql(query, width=90):
    """One line of at most ``width`` characters (psycopg2 may hand bytes)."""
    text = query if isinstance(query, str) else query.decode()
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[: width - 3] + "..."
