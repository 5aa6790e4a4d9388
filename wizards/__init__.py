from . import sale_order_line_fulfilment
from . import sale_order_line_fulfilment_line
