"""provsim: an offline simulator of the Provisioning Platform orchestrator API."""

__version__ = "0.1.0"
