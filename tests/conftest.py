import pytest
import torch

from aelib.data import load_dataset


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` need a GPU that torch can use; elsewhere they are skipped."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU: torch.cuda.is_available() is false")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """A fresh cache for the whole test session: tests never touch the book's own cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def data_root(cache_dir):
    """The datasets' folder inside the session cache, laid out as the book's: <cache_dir>/datasets."""
    return cache_dir / "datasets"


@pytest.fixture(scope="session")
def mnist(data_root):
    return load_dataset("mnist", root=data_root)
