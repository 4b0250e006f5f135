"""The secret scan's rules and engine; ``core.gather.secrets`` is its front (``redact``, ``scan``)."""
