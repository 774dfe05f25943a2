"""Importers that bring a site over from another system: Ghost, WordPress."""
