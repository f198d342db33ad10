"""The fast layer: the stores, the worker and the services against moto's mock_aws, in process.

No state machine and no emulator: `make test-fast` runs this package alone in seconds, and `make test`
runs it before the flow tests. Every guard (a conditional write, a comparison in the workflow) has a
test here that fails when the guard is broken.
"""
