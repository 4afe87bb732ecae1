"""The storage port: the Store protocol and its backends."""
