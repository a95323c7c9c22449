"""Issue 7.2 and 7.5 on the cache's files: a diverged run is stored with finite weights only and
served from the cache, never retrained forever; a checkpoint holding non-finite weights, or code
to run, is refused, reported and retrained."""
import warnings

import pytest
import torch

from aelib import runs as cache
from aelib.runs import cached_run, run_path
from aelib.config import TrainConfig
from aelib.data import to_float
from aelib.metrics import reconstruct

SMALL = TrainConfig(latent=16, hidden=64, epochs=2, lr=1e-3, train_size=512, val_size=256)
DIVERGES = SMALL.replace(lr=1e30)  # the loss is non-finite in epoch 1


def _stored(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _all_finite(snapshots):
    return all(torch.isfinite(t).all() for s in snapshots.values() for t in s.values() if t.is_floating_point())


@pytest.mark.parametrize("snapshots", [(0,), ()], ids=["epoch-0-kept", "nothing-kept-before-divergence"])
def test_a_diverged_run_is_stored_finite_and_served_from_the_cache(mnist, tmp_path, monkeypatch, snapshots):
    first = cached_run(DIVERGES, mnist, tmp_path, snapshots=snapshots, device="cpu")
    assert first.history.nonfinite and first.history.diverged and first.history.epochs_done == 1
    stored = _stored(run_path(tmp_path, DIVERGES, mnist.sha256))
    assert sorted(stored["snapshots"]) == list(snapshots) and _all_finite(stored["snapshots"])
    monkeypatch.setattr(cache, "train", lambda *a, **k: pytest.fail("a diverged run was trained again"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it was once called corrupt on every load, and retrained
        again = cached_run(DIVERGES, mnist, tmp_path, snapshots=snapshots, device="cpu")
    assert repr(again.history) == repr(first.history)  # NaN included: repr, not ==
    if snapshots:  # the last finite weights are what a page shows
        assert torch.isfinite(reconstruct(again.model(), to_float(mnist.test_images[:4]))).all()
    with pytest.raises(ValueError, match=r"no weights after epoch 2: the loss became non-finite in epoch 1 "
                                         r"\(lr=1e\+30\).*smaller learning rate"):
        again.model(2)
    if not snapshots:
        with pytest.raises(ValueError, match="non-finite"):
            again.model()  # once "max() arg is an empty sequence"


def test_nonfinite_weights_in_a_checkpoint_are_refused_and_retrained(mnist, tmp_path):
    good = cached_run(SMALL, mnist, tmp_path, device="cpu")
    path = run_path(tmp_path, SMALL, mnist.sha256)
    payload = _stored(path)
    next(iter(payload["snapshots"][SMALL.epochs].values())).view(-1)[0] = float("nan")
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="corrupt.*no finite snapshot"):
        again = cached_run(SMALL, mnist, tmp_path, device="cpu")
    assert again.history.val_loss == good.history.val_loss and _all_finite(_stored(path)["snapshots"])


class _Opens:
    """Unpickling this calls open(path, "w"): a stand-in for any code a crafted checkpoint runs."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_a_checkpoint_that_would_run_code_is_refused_and_retrained(mnist, tmp_path):
    good = cached_run(SMALL, mnist, tmp_path, device="cpu")
    path = run_path(tmp_path, SMALL, mnist.sha256)
    payload = _stored(path)
    marker = tmp_path / "pwned"
    payload["history"]["train_loss"] = _Opens(marker)
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="corrupt.*(Unpickling|weights_only)"):
        again = cached_run(SMALL, mnist, tmp_path, device="cpu")
    assert not marker.exists()  # loaded with weights_only=True: the call never ran
    assert again.history.val_loss == good.history.val_loss
