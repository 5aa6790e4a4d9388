import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase

from ..pg_array import pg_array


class TestPgArray(TransactionCase):
    """Array literals read back by PostgreSQL exactly as given."""

    def _round_trip(self, values, cast):
        self.env.cr.execute(f"SELECT %s::{cast}", [pg_array(values)])
        return self.env.cr.fetchone()[0]

    def test_values_of_every_kind_come_back_unchanged(self):
        texts = ["plain", 'a "quote"', "back\\slash", "{braces},commas", "NULL", "", " x ", "é€"]
        self.assertEqual(self._round_trip([*texts, None], "text[]"), [*texts, None])
        self.assertEqual(
            self._round_trip([1, -2, None, 2**31 - 1], "int[]"), [1, -2, None, 2**31 - 1]
        )
        floats = [0.1, -1e-05, 1e300, 3.0, None]
        self.assertEqual(self._round_trip(floats, "float8[]"), floats)
        dates = [datetime.date(2026, 11, 26), None]
        self.assertEqual(self._round_trip(dates, "date[]"), dates)
        self.assertEqual(self._round_trip([True, False, None], "bool[]"), [True, False, None])
        self.assertEqual(self._round_trip([], "int[]"), [])
        self.assertEqual(self._round_trip(iter([5, 6]), "int[]"), [5, 6])
        # Ids and quantities alone take the fast path.
        self.assertEqual(self._round_trip([1, 2.5, -3, 1e-07], "float8[]"), [1, 2.5, -3, 1e-07])
        self.assertEqual(pg_array([True, 1]), "{t,1}")

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.one_of(
                st.none(),
                st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
            )
        )
    )
    def test_any_text_comes_back_unchanged(self, texts):
        self.assertEqual(self._round_trip(texts, "text[]"), texts)
