"""jiadian (家电之选): an online shop for home appliances."""

__version__ = "0.1.0"
