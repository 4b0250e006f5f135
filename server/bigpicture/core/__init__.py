"""The pure core: gathering, planning, findings and anchoring as plain functions over plain data.

Nothing under ``bigpicture.core`` imports pygls, lsprotocol or anthropic (a test checks it).
"""
