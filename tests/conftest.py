import pytest

from aelib.data import load_mnist


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """A fresh cache for the whole test session: tests never touch the book's own cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def mnist(cache_dir):
    return load_mnist(cache_dir)
