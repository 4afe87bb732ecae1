from tests.interfaces.conftest import server

__all__ = ["server"]
