"""Inventory API blueprints."""
