"""Debate games (Irving, Christiano, Amodei 2018)."""
