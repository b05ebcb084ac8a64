"""The coding exercises of every chapter, one module per chapter (``chNN.py``).

Loaded once by :func:`xent.coursework.registry.exercises`; this package imports nothing itself.
"""
