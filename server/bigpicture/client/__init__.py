"""Layers that talk to the outside: the Anthropic API client."""
