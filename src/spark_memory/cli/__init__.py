"""The `spark` command line."""
