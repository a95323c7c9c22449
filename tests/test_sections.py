"""The trainings each page needs: one function the pages and `make models` share."""
from pathlib import Path

import pytest

from aelib.book.common import recipe
from aelib.book.sections import JOBS, NOTEBOOKS, Job, check_common, page_jobs
from aelib.config import TrainConfig


def test_epochs_page_is_one_run_snapshotted_plus_the_demo_models():
    job, *demo = page_jobs("01_epochs", {"epochs": [0, 1, 5, 1], "train_size": 100})
    assert job == Job(TrainConfig(latent=128, lr=1e-4, epochs=5, train_size=100), (0, 1, 5))
    assert [(j.config.model, j.config.lr, j.config.epochs) for j in demo] == [("mlp", 1e-3, 10), ("conv", 1e-3, 10)]


def test_learning_rate_page_adds_seed_runs_for_the_spread():
    jobs = page_jobs("02_learning_rate", {"lrs": [1e-3, 1e-2], "epochs": 2, "spread_seeds": [1, 0]})
    main = [j for j in jobs if j.config.seed == 0]
    assert [j.config.lr for j in main] == [1e-3, 1e-2] and main[0].snapshots == (0, 1, 2)
    assert sorted((j.config.lr, j.config.seed) for j in jobs if j.config.seed) == [(1e-3, 1), (1e-2, 1)]
    assert len(page_jobs("02_learning_rate", {"lrs": "[1e-3]", "spread_seeds": []})) == 1  # text from papermill's -p


def test_jobs_are_merged_and_defaults_filled():
    jobs = page_jobs("03_latent_size", {"latents": [16, 16, 128], "spread_seeds": []})
    assert [j.config.latent for j in jobs] == [16, 128, 2]  # 2: the live demo's code
    assert all(j.config.epochs == 10 and j.config.lr == 1e-3 for j in jobs)  # the notebook's declared defaults


def test_code_sizes_get_spread_seeds_up_to_the_cap():
    jobs = page_jobs("03_latent_size", {"latents": [16, 4096], "spread_seeds": [1, 2, 0], "spread_max_latent": 2048})
    assert [(j.config.latent, j.config.seed) for j in jobs] == [(16, 0), (16, 1), (16, 2), (4096, 0), (2, 0)]


def test_conv_page_trains_both_kinds_at_both_sizes():
    jobs = page_jobs("06_conv_vs_linear", {"spread_seeds": [], "channels": [8, 16]})
    assert [(j.config.model, j.config.latent) for j in jobs] == [("mlp", 16), ("conv", 16), ("mlp", 128), ("conv", 128)]
    assert jobs[1].config.channels == (8, 16)
    with pytest.raises(ValueError, match="small_latent must be smaller"):
        page_jobs("06_conv_vs_linear", {"small_latent": 128, "large_latent": 16})


def test_the_dataset_reaches_every_config():
    jobs = page_jobs("04_foreign_images", {"dataset": "fashion-mnist", "mlp_latents": [128], "conv_latents": [16]})
    assert [(j.config.dataset, j.config.model) for j in jobs] == [("fashion-mnist", "mlp"), ("fashion-mnist", "conv")]


@pytest.mark.parametrize("stem, params, match", [
    ("02_learning_rate", {"lrs": [0.0]}, "lrs"), ("03_latent_size", {"latents": [0]}, "latents"),
    ("01_epochs", {"epochs": [-1]}, "epochs"), ("03_latent_size", {"train_size": 60_000}, "train_size"),
    ("02_learning_rate", {"spread_seeds": [-1]}, "spread_seeds"),
])
def test_bad_parameters_fail_before_anything_trains(stem, params, match):
    with pytest.raises((TypeError, ValueError), match=match):
        page_jobs(stem, params)


def test_pages_without_training_have_no_jobs():
    assert page_jobs("index", {}) == []


def test_every_section_page_is_in_the_list_of_trainings():
    """A section page (one that calls `setup`) missing from JOBS would train nothing in `make
    models` and then find no runs; a name in JOBS without a notebook lists trainings no page uses."""
    sections = {nb.stem for nb in NOTEBOOKS.glob("*.ipynb") if "setup(" in nb.read_text()}
    assert sections and set(JOBS) == sections


def test_common_checks():
    assert check_common({"test_size": 0, "n_show": 5})["test_size"] is None
    with pytest.raises(ValueError, match="dataset must be one of"):
        check_common({"dataset": "cifar"})
    assert recipe({"epochs": 3, "train_size": 0, "seed": 2}, latent=7) == TrainConfig(epochs=3, seed=2, latent=7)
    assert recipe({"val_size": 2000, "train_size": 58_000}).val_size == 2000  # the split leaves 58,000 to train on
    with pytest.raises(ValueError, match="train_size"):
        recipe({"val_size": 20_000, "train_size": 50_000})
    with pytest.raises(ValueError, match="val_size"):
        recipe({"val_size": 0})


def test_every_section_of_a_profile_evaluates_one_test_set_and_one_validation_split():
    """Finding 9 of the verdicts issue: within a profile every section page measures the same test
    digits (all 10,000 in full), so that one model scores the same on every page; and validates on
    one split (the full profile's 10,000), so that a model two pages share is one cache entry."""
    import yaml

    from aelib.book.headline import SECTIONS
    from aelib.book.page import declared_parameters, literal
    root = Path(__file__).resolve().parent.parent
    for name, full in (("test_size", 10_000), ("val_size", 10_000)):
        for profile in ("full", "quick", "tiny"):
            sizes = {}
            for stem, _ in SECTIONS:
                table = yaml.safe_load((root / "profiles" / f"{stem}.yaml").read_text())
                default = literal(declared_parameters(root / "notebooks" / f"{table.get('source', stem)}.ipynb")
                                  [name]["default"])
                sizes[stem] = (table.get(profile) or {}).get(name, default) or 10_000
            assert len(set(sizes.values())) == 1, f"{name}, {profile}: {sizes}"
            assert profile != "full" or set(sizes.values()) == {full}
