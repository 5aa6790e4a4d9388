from . import fulfilment_rank_mixin
from . import sale_order
from . import mrp_production
