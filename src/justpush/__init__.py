"""JustPush: from uploaded API source code to a running, gateway-managed API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
