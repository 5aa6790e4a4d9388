from . import test_availability
from . import test_booking
from . import test_demo_and_access
from . import test_priority_sync
from . import test_ranks
from . import test_fulfilment
