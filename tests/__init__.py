from . import test_booking
from . import test_ranks
