"""Weak-to-strong generalisation (Burns et al. 2023): a weak supervisor labels data for a
strong student.

Importing this package registers its games.
"""
