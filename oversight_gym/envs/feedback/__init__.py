"""AI feedback and constitutional oversight: a proxy judge optimised against, and the
overoptimisation it causes (Gao, Schulman, Hilton 2022).

Importing this package registers its games.
"""
