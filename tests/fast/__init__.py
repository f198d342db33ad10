"""The stores, the worker and the services against moto's mock_aws, in process: part of the fast layer.

No state machine and no emulator; `make test-fast` runs these with every other test that needs none (the
layers are chosen by cost, in tests/conftest.py, not by this folder). Every guard (a conditional write, a
comparison in the workflow) has a test here that fails when the guard is broken.
"""
