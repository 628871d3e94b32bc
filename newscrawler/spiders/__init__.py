"""Spiders: they only decide what to request next."""
