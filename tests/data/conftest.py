"""The scripts that made the stored reference data are not tests.

``make_torch_sample_cases.py`` imports torch, which the test suite must not need; pytest's
``--doctest-modules`` would otherwise import both scripts.
"""

collect_ignore = ["make_torch_sample_cases.py", "make_scipy_cases.py"]
