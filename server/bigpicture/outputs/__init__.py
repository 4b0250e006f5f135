"""Renderers of a review's result and of other reports, one module per format.

``text`` (people, terminals), ``json`` (programs; a documented, versioned shape) and
``sarif`` (SARIF 2.1.0 for code-scanning tools) render a ``models.ReviewResult``;
``plan`` and ``usage`` render the dry-run plan and the cost ledger.
"""
