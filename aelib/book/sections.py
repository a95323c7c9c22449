"""What every section page does first, and the models each page trains.

`setup(stem, globals())` is a page's first call: it refuses unknown parameter names, shows the
parameter box, checks the parameters every section shares (the training recipe, the dataset,
the test subset), seeds, sets the figure style and loads the data. `page_jobs(stem, params)` is
the list of trainings a page needs: the page trains them through `Section.train`, and
`make models` (aelib.jobs.plan) calls the same function for every page before any page runs, so the
two can never disagree. `JOBS` names every page's function; the pages' own modules build on
aelib.book.common and never import this one.
"""
from __future__ import annotations

from pathlib import Path

from aelib import plots
from aelib.book import hinton2006
from aelib.book.common import Section, recipe, spread_seeds, sweep_seeds
from aelib.book.compression import real_page
from aelib.book.denoising import pages as denoising
from aelib.book.page import declared_parameters, literal, parameters_box, read_list_texts
from aelib.config import MAX_LATENT, TrainConfig, as_list, check_float_list, check_int_list, check_optional_size
from aelib.data import check_dataset
from aelib.jobs.plan import Job, load_data
from aelib.runtime import keep_freed_memory, pick_device, seed_everything

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def check_common(params: dict) -> dict:
    """The checked values of the parameters sections share; the others are returned untouched."""
    p = dict(params)
    if "dataset" in p:
        check_dataset(p["dataset"])
    if "test_size" in p:
        p["test_size"] = check_optional_size("test_size", p["test_size"], 10_000)
    if "n_show" in p:
        (p["n_show"],) = check_int_list("n_show", [p["n_show"]], lo=1, hi=100)
    return p


# --- the trainings of each page ------------------------------------------------------------------

def _epochs(p):  # 01: one run of the largest epoch count, snapshotted at every count shown; the demo's two models
    epochs = check_int_list("epochs", p["epochs"], lo=0, hi=10_000)
    demo = {**p, "epochs": p["demo_epochs"], "lr": p["demo_lr"]}
    return [Job(recipe({**p, "epochs": max(epochs)}, latent=p["latent"]), tuple(epochs)),
            *(Job(recipe(demo, model=kind, latent=p["demo_latent"])) for kind in ("mlp", "conv"))]


def _learning_rate(p):  # 02: one run per rate, every epoch kept (a diverged run is shown from its last good one)
    lrs = sorted(set(check_float_list("lrs", p["lrs"], lo=0.0, hi=10.0, positive=True)))
    main = [Job(recipe(p, latent=p["latent"], lr=lr), tuple(range(p["epochs"] + 1))) for lr in lrs]
    return main + [Job(j.config.replace(seed=sd)) for j in main for sd in spread_seeds(p) if sd != p["seed"]]


def _latent_size(p):  # 03: one MLP per code size and seed, then the live demo's MLP with a 2-number code
    latents = check_int_list("latents", p["latents"], lo=1, hi=MAX_LATENT)
    return [*(Job(recipe(p, latent=k, seed=sd)) for k in latents for sd in sweep_seeds(p, k)),
            Job(recipe(p, latent=2))]


def _thirty_numbers(p):  # 03b: the shared recipe's MLP and conv at the 2006 paper's code size, and our two recipes
    k = hinton2006.LATENT  # the paper's table is for this code size only
    deep = recipe(p, model="deep", latent=k, hidden=p["deep_hidden"], epochs=p["deep_epochs"], lr=p["deep_lr"],
                  batch_size=p["deep_batch_size"])
    conv = recipe(p, model="conv", latent=k, epochs=p["conv_epochs"], lr=p["conv_lr"], lr_schedule="cosine")
    return [Job(recipe(p, latent=k)), Job(recipe(p, model="conv", latent=k)), Job(deep), Job(conv)]


def _foreign_images(p):  # 04: both model kinds, each at its code sizes
    return [Job(recipe(p, model=kind, latent=k)) for kind in ("mlp", "conv")
            for k in check_int_list(f"{kind}_latents", p[f"{kind}_latents"], lo=1, hi=MAX_LATENT)]


def _conv_vs_linear(p):  # 06: both kinds at both code sizes
    small, large = p["small_latent"], p["large_latent"]
    latents = check_int_list("small_latent and large_latent", [small, large], lo=1, hi=MAX_LATENT)
    if len(latents) != 2 or small > large:
        raise ValueError(f"small_latent must be smaller than large_latent, got {small} and {large}")
    main = [Job(recipe(p, model=kind, latent=k, channels=as_list("channels", p["channels"])))
            for k in latents for kind in ("mlp", "conv")]
    return main + [Job(j.config.replace(seed=sd)) for j in main for sd in spread_seeds(p) if sd != p["seed"]]


def _compression_ratio(p):  # 05: the report's MLPs
    return [Job(recipe(p, latent=k)) for k in check_int_list("latents", p["latents"], lo=1, hi=MAX_LATENT)]


# Every page that trains, and the function that lists its trainings (a page not named trains nothing).
JOBS = {"01_epochs": _epochs, "02_learning_rate": _learning_rate, "03_latent_size": _latent_size,
        "03b_thirty_numbers": _thirty_numbers, "04_foreign_images": _foreign_images,
        "05_compression_ratio": _compression_ratio, "05b_real_compression": real_page.jobs,
        "06_conv_vs_linear": _conv_vs_linear, "07_denoising": denoising.report_jobs,
        "07b_denoising_benchmark": denoising.bench_jobs}


def page_jobs(stem: str, params: dict) -> list[Job]:
    """The trainings notebook `stem` needs with these parameters (its declared defaults filled in),
    duplicates merged. A page that trains nothing has none."""
    fn = JOBS.get(stem)
    if fn is None:
        return []
    defaults = {name: literal(p["default"]) for name, p in declared_parameters(NOTEBOOKS / f"{stem}.ipynb").items()}
    merged: dict[TrainConfig, set[int]] = {}
    for job in fn({**defaults, **params}):
        merged.setdefault(job.config, set()).update(job.snapshots)
    return [Job(cfg, tuple(sorted(s))) for cfg, s in merged.items()]


# --- the page's set-up -----------------------------------------------------------------------------

def setup(stem: str, namespace: dict) -> Section:
    """Check the page's parameters (as the notebook holds them in `namespace`, its globals: a list
    given as its YAML text is read there), show them, seed, set the figure style and load the data."""
    from IPython.display import display
    declared = declared_parameters(NOTEBOOKS / f"{stem}.ipynb")
    read_list_texts(declared, namespace)  # `-p latents "[16, 128]"`: the list's YAML text, read once for every cell
    display(parameters_box(stem, namespace))  # refuses unknown names
    params = check_common({name: namespace[name] for name in declared})
    jobs = page_jobs(stem, params)  # checks every training parameter before anything is loaded
    seed_everything(params.get("seed", 0))
    keep_freed_memory()  # as the planned job's workers run: a page that trains a model alone runs as fast
    plots.set_style()
    data = load_data(params.get("dataset", "mnist"), params["cache_dir"])
    return Section(stem=stem, params=params, data=data, device=pick_device(), jobs=jobs)
