"""The language server: a thin layer over the core and the API client."""
