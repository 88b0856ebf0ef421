"""Iterated amplification and distillation (Christiano, Shlegeris, Amodei 2018), task
decomposition (Wu et al. 2021) and recursive reward modelling (Leike et al. 2018).

Importing this package registers its games.
"""
