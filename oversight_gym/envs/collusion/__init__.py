"""Collusion games: learned pricing cartels (Calvano et al. 2020) and agents who should
check each other coordinating against an overseer.

Importing this package registers its games.
"""
