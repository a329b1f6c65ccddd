"""Pollers: each reads one kind of data from AWS into the store, at its own cadence."""
