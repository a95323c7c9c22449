"""The Performance page's readers: recorded measurements against issue 6's targets."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from aelib.book import perf

ROOT = Path(__file__).resolve().parent.parent

# Shaped like `python -m aelib.bench --json` on the 2-core CPU (numbers rounded).
BENCH = {
    "machine": {"platform": "Linux-x86_64", "processor": "", "threads": 2, "torch": "2.13.0+cpu"},
    "peak_gflops": 190.0, "images": 20000,
    "models": {kind: {
        "train_flops_per_image": flops, "textbook_b64": tb, "ours_b64": o64, "ours_b256": o256,
        **{f"{k}_gflops": v * flops / 1e9 for k, v in (("textbook_b64", tb), ("ours_b64", o64), ("ours_b256", o256))},
        **{f"{k}_fraction_of_peak": v * flops / 1e9 / 190.0
           for k, v in (("textbook_b64", tb), ("ours_b64", o64), ("ours_b256", o256))},
        "speedup_b64_vs_textbook": o64 / tb}
        for kind, flops, tb, o64, o256 in (("mlp", 4.8e6, 15_600.0, 29_400.0, 36_800.0),
                                          ("conv", 1.08e7, 10_500.0, 11_800.0, 15_300.0))},
}

# Shaped like tools/measure_build.py's output with the quick profile measured, full not yet.
PAGES = {"01_epochs": (48.0, 4.1), "02_learning_rate": (20.1, 3.9), "03_latent_size": (71.5, 5.2),
         "04_foreign_images": (12.1, 4.0), "05_compression_ratio": (27.4, 6.3), "07_denoising": (58.0, 9.7),
         "index": (5.4, 5.3), "performance": (5.3, 5.2), "reproducibility": (7.0, 6.8)}
QUICK = {"cold": {p: c for p, (c, _) in PAGES.items()}, "warm": {p: w for p, (_, w) in PAGES.items()},
         "cold_site": 41.0, "warm_site": 12.0, "models_trained_when_warm": [], "models": 23,
         "machine": {"platform": "Linux-x86_64", "cpu_count": 2}, "date": "2026-11-24"}
QUICK["cold_total"] = sum(QUICK["cold"].values()) + QUICK["cold_site"]
QUICK["warm_total"] = sum(QUICK["warm"].values()) + QUICK["warm_site"]


def test_bench_table():
    table = perf.bench_table(BENCH)
    assert table.shape == (6, 3)
    assert table.loc[("MLP", "ours, batch 256"), "images/s"] == 36_800.0
    assert table.loc[("conv", "textbook loop, batch 64"), "fraction of peak"] == pytest.approx(10_500 * 1.08e7 / 1.9e11)


def test_bench_with_a_missing_key_names_it():
    bench = json.loads(json.dumps(BENCH))
    del bench["models"]["conv"]["ours_b256_gflops"]
    with pytest.raises(ValueError, match="conv entry lacks ours_b256_gflops"):
        perf.bench_table(bench)
    with pytest.raises(ValueError, match="lacks peak_gflops"):
        perf.bench_table({"models": {}})


def test_nothing_measured_says_so():
    assert perf.measured_profiles(None) == [] and perf.build_series({}) == {}
    rows = perf.build_targets(None)
    assert len(rows) == 7 and all(r["verdict"].startswith(perf.NOT_MEASURED) and r["measured"] == "–" for r in rows)
    assert "tools/gpu_book.sh" in rows[-1]["verdict"]
    assert perf.engine_table(None).empty and "No make-models run" in perf.engine_text(None)


# Shaped like tools/models.py --record inside a measure_build entry.
TRAINING = {"flops": 23.3e12, "wall_seconds": 300.0, "peak_before_gflops": 150.0, "peak_after_gflops": 170.0,
            "peak_gflops": 160.0, "arithmetic_seconds": 23.3e12 / 160e9, "efficiency": 23.3e12 / 160e9 / 300.0,
            "models": 36, "workers": 2, "executor": "2 worker processes of 1 thread each"}


def test_only_quick_measured_with_the_old_record():
    times = {"quick": QUICK}  # a record from before the planned job kept its same-run peak
    assert perf.measured_profiles(times) == ["quick"]
    rows = perf.build_targets(times)
    assert [r["verdict"] for r in rows[:3]] == [perf.NOT_MEASURED] * 3  # nothing of the full profile
    quick_eff, quick_cold, quick_warm = rows[3:6]
    assert quick_eff["verdict"] == quick_cold["verdict"] == perf.NOT_MEASURED
    assert quick_warm["verdict"] == "does not hold" and "62" in quick_warm["measured"]  # over 60 s
    assert list(perf.build_series(times)) == ["quick profile"]


def test_the_engine_targets_read_the_same_run():
    quick = {**QUICK, "training": TRAINING, "cold_total": 580.0, "cold_to_arithmetic": 580.0 / (23.3e12 / 160e9)}
    _, _, _, eff, cold, warm, _ = perf.build_targets({"quick": quick})
    assert eff["verdict"] == "does not hold" and eff["measured"].startswith("49%: 23.3 TFLOP in 300 s at 160 GFLOP/s")
    assert cold["verdict"] == "does not hold" and cold["measured"] == "4.0× (580 s against 146 s)"
    at_target = {**quick, "training": {**TRAINING, "efficiency": perf.TRAIN_EFFICIENCY},
                 "cold_to_arithmetic": perf.COLD_TO_ARITHMETIC}
    assert [r["verdict"] for r in perf.build_targets({"quick": at_target})[3:5]] == ["holds", "holds"]
    table = perf.engine_table({"quick": quick})
    assert table.loc["quick", "efficiency"] == pytest.approx(0.4854, abs=1e-4)
    assert table.loc["quick", "cold / arithmetic"] == pytest.approx(3.98, abs=0.01)
    assert "trained by 2 worker processes" in perf.engine_text({"quick": quick})
    assert perf.detailed_profile({"quick": quick, "full": QUICK}) == "quick"  # the one with the same-run peak
    assert perf.detailed_profile({"full": QUICK}) == "full"


def test_full_profile_warm_verdict():
    full = {**QUICK, "cold_total": 19 * 60.0, "warm_total": 130.0, "models_trained_when_warm": ["ab12.pt"]}
    rows = perf.build_targets({"full": full, "quick": QUICK})
    assert rows[2]["verdict"] == "does not hold" and "130 s, 1 model trained" in rows[2]["measured"]


def test_build_table_has_every_page_the_site_and_the_total():
    table = perf.build_table({"quick": QUICK}, "quick")
    assert list(table.index) == [*PAGES, "site (jupyter-book)", "total"]
    assert table.loc["total", "cold cache (s)"] == pytest.approx(QUICK["cold_total"])
    assert table.loc["03_latent_size", "warm cache (s)"] == 5.2
    first = sorted(PAGES)[0]  # a profile that did not measure a page: same rows, NaN there
    other = {**QUICK, "cold": {p: v for p, v in QUICK["cold"].items() if p != first},
             "warm": {p: v for p, v in QUICK["warm"].items() if p != first}}
    both = {"quick": QUICK, "full": other}
    assert list(perf.build_table(both, "full").index) == list(perf.build_table(both, "quick").index)
    assert perf.build_table(both, "full")["cold cache (s)"].isna().sum() == 1


def test_training_share_names_the_longest_trainings():
    big = {"model": "mlp", "latent": 16384, "epochs": 10, "lr": 1e-3, "train_size": None, "train_noise": 0.0}
    dae = {**big, "model": "conv", "latent": 512, "train_noise": 0.6, "noise_range": True, "train_size": 10_000}
    rate = {**big, "model": "rate", "latent": 32, "rate_lambda": 1e-5}
    full = {**QUICK, "cold_total": 1000.0, "cold_training": [{"config": big, "seconds": 500.0},
                                                             {"config": dae, "seconds": 80.0},
                                                             {"config": rate, "seconds": 20.0}]}
    table, s = perf.training_share({"full": full}, top=2)
    assert "the longest, mlp-16384, 10 epochs, lr 0.001, took 500 s" in perf.share_text(s, "full")
    assert "No cold build of the quick profile" in perf.share_text(None, "quick")
    assert list(table.index) == ["mlp-16384, 10 epochs, lr 0.001",
                                 "conv-512, 10 epochs, lr 0.001, 10,000 images, noise up to 0.6"]
    assert table["share of the cold build"].tolist() == [0.5, 0.08]
    assert s == {"models": 3, "training_s": 600.0, "cold_s": 1000.0, "rest_s": 400.0, "top_s": 500.0,
                 "top": "mlp-16384, 10 epochs, lr 0.001"}
    assert perf.model_label(rate).endswith("λ 1e-05")
    with pytest.raises(ValueError, match="'full' entry lacks cold_training"):
        perf.training_share({"full": QUICK})


def test_malformed_build_times_are_refused():
    with pytest.raises(ValueError, match="'quick' entry lacks warm_total"):
        perf.build_targets({"quick": {k: v for k, v in QUICK.items() if k != "warm_total"}})
    with pytest.raises(ValueError, match="should be an object"):
        perf.build_targets({"quick": [1, 2]})
    with pytest.raises(ValueError, match="no page"):
        perf.build_targets({"quick": {**QUICK, "cold": {}}})


def test_read_json(tmp_path):
    assert perf.read_json(tmp_path / "build_times.json") is None
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json is not valid JSON"):
        perf.read_json(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="should hold a JSON object"):
        perf.read_json(tmp_path / "list.json")
    (tmp_path / "bench.json").write_text(json.dumps(BENCH))
    assert perf.read_json(tmp_path / "bench.json") == BENCH


def test_read_timings(tmp_path):
    assert perf.read_timings(tmp_path).empty
    for name, profile, s in (("02_learning_rate", "quick", 20.1), ("01_epochs", "full", 1209.0)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"notebook": name, "profile": profile, "seconds": s}))
    t = perf.read_timings(tmp_path)
    assert list(t.index) == ["01_epochs", "02_learning_rate"] and t.loc["01_epochs", "profile"] == "full"
    (tmp_path / "03_latent_size.json").write_text(json.dumps({"notebook": "03_latent_size"}))
    with pytest.raises(ValueError, match="03_latent_size.json lacks profile, seconds"):
        perf.read_timings(tmp_path)


def test_figures():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from aelib.book import figures
    fig = figures.grouped_bars({"images/s": {"MLP": {"a": 1.0, "b": 2.0}, "conv": {"a": 0.5, "b": 1.0}},
                              "fraction": {"MLP": {"a": 0.4, "b": 0.9}}},
                             lines={"fraction": (0.8, "target")}, formats={"fraction": "{:.0%}"})
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == 4
    fig2 = figures.page_times({**perf.build_series({"quick": QUICK}), "this execution": "nothing yet"},
                            limits={"quick profile": (60, "60 s")})
    assert len(fig2.axes) == 2 and len(fig2.axes[0].patches) == 2 * len(PAGES)
    plt.close("all")


def test_training_efficiency_is_work_over_time_over_peak():
    from aelib.bench import train_flops_per_image
    from aelib.config import TrainConfig
    from aelib.zoo import build_model
    mlp = TrainConfig(latent=128, epochs=2, train_size=1000)
    conv = TrainConfig(model="conv", latent=16, epochs=1, train_size=500)
    build = {"full": {**QUICK, "cold_training": [{"config": mlp.to_dict(), "seconds": 4.0},
                                                 {"config": conv.to_dict(), "seconds": 1.0}]}}
    table, total = perf.training_efficiency(build, peak_gflops=100.0)
    f_mlp = train_flops_per_image(build_model(mlp)) * 1000 * 2
    f_conv = train_flops_per_image(build_model(conv)) * 500
    assert table["fraction of peak"].tolist() == pytest.approx([f_mlp / 4.0 / 1e11, f_conv / 1.0 / 1e11])
    assert total["fraction"] == pytest.approx((f_mlp + f_conv) / 5.0 / 1e11)  # weighted by work, not a mean
    assert total["seconds_at_peak"] == pytest.approx((f_mlp + f_conv) / 1e11)
    # with the job's own record, its same-run peak shared among its workers is the yardstick
    build["full"]["training"] = {**TRAINING, "peak_gflops": 400.0, "workers": 2}
    table, _ = perf.training_efficiency(build, peak_gflops=100.0)
    assert table["fraction of peak"].tolist() == pytest.approx([f_mlp / 4.0 / 2e11, f_conv / 1.0 / 2e11])


def test_engineering_targets_read_what_the_pages_measured(tmp_path):
    rows = perf.engineering_targets(tmp_path)
    assert [r["verdict"] for r in rows] == [perf.NOT_MEASURED] * 2
    (tmp_path / "05b_real_compression.json").write_text(json.dumps({"n_test": 10_000, "target": {
        "psnr": 25.0, "factor": 6.0, "reference": "webp", "bytes_ours": 20.0, "bytes_reference": 110.0, "ratio": 5.5,
        "verdict_factor": "does not hold"}}))
    (tmp_path / "07b_denoising_benchmark.json").write_text(json.dumps({"verdicts": {"target": {
        "claim": "our target: ahead by 5 dB", "outcome": "holds", "evidence": "+6.1 dB at 0.3"}}}))
    codec, dae = perf.engineering_targets(tmp_path)
    assert codec["verdict"] == "does not hold" and "5.50" in codec["measured"] and "10,000" in codec["measured"]
    assert dae == {"target": "ahead by 5 dB", "measured": "+6.1 dB at 0.3", "verdict": "holds"}


def test_efficiency_sentence_for_both_cases():
    assert "not known" in perf.efficiency_text(None)
    text = perf.efficiency_text({"tflop": 183.3, "fraction": 0.532, "seconds_at_peak": 960.4, "seconds": 1805.3})
    assert "183 TFLOP" in text and "53%" in text and "960 s instead of 1,805 s" in text


def test_record_text_says_what_the_figures_cover():
    assert perf.record_text(None) == "No full build is recorded yet."
    cfg = {"model": "mlp", "latent": 16, "epochs": 1, "lr": 1e-3, "train_size": 1000}
    full = {**QUICK, "cold_models": 900.0, "cold_total": 1500.0, "commit": "abc1234", "date": "2026-11-28",
            "cold_training": [{"config": cfg, "seconds": 10.0}] * 3}
    text = perf.record_text({"full": full})
    assert "commit abc1234" in text and "3 models trained in 900 s" in text and "gained" not in text
    later = {**full, "added_models": 300.0, "added_commit": "def5678", "warm_commit": "def5678",
             "added_training": [{"config": cfg, "seconds": 5.0}]}
    text = perf.record_text({"full": later})
    assert "gained 1 model;" in text and "1,800 s (30 min)" in text and "def5678" in text
    assert "no longer" not in text
    dropped = perf.record_text({"full": {**later, "dropped_training": [{"config": cfg, "seconds": 10.0}] * 2}})
    assert "still counts the 2 recorded models the plan no longer trains (20 s of training)." in dropped
    twice = perf.record_text({"full": {**later, "added_commit": "def5678, 0123abc"}})
    assert "cache at commits def5678, 0123abc, they took 300 s more" in twice
    _, eff = perf.training_efficiency({"full": later}, peak_gflops=100.0)
    assert eff["models"] == 4 and eff["seconds"] == 35.0  # the added training counts too


def test_a_second_added_pass_keeps_the_first_and_adds_its_own(tmp_path, monkeypatch):
    """measure_build --added on a cache that already holds an earlier pass's models: only the
    newer models train; both passes' figures are kept, and the dropped list grows."""
    sys.path.insert(0, str(ROOT / "tools"))
    import measure_build
    import models as tools_models

    old, kept, gone, new = ({"model": m, "latent": 8} for m in ("conv", "rate", "mlp", "cond"))
    recorded = {"cold_training": [{"config": old, "seconds": 10.0}, {"config": gone, "seconds": 7.0}],
                "added_training": [{"config": kept, "seconds": 50.0}, {"config": {"model": "deep"}, "seconds": 4.0}],
                "added_models": 60.0, "added_commit": "aaaaaaa", "added_date": "2026-12-02"}
    (tmp_path / "runs").mkdir()
    monkeypatch.setattr(measure_build, "_train", lambda profile, cache: (
        (cache / "runs" / "new.pt").write_bytes(b"x"), (12.0, {}))[1])
    monkeypatch.setattr(measure_build, "training_seconds",
                        lambda cache, only: [{"config": new, "seconds": 11.0}] if only == {"new.pt"} else [])
    monkeypatch.setattr(measure_build, "commit", lambda: "bbbbbbb")
    monkeypatch.setattr(tools_models, "profile_jobs", lambda profile: [
        SimpleNamespace(config=SimpleNamespace(to_dict=lambda c=c: c)) for c in (old, kept, new)])
    got = measure_build.measure_added("full", tmp_path, recorded)
    assert got["added_models"] == 72.0 and got["added_commit"] == "aaaaaaa, bbbbbbb"
    assert [r["config"] for r in got["added_training"]] == [kept, {"model": "deep"}, new]
    assert [(r["commit"], r["seconds"], r["models"]) for r in got["added_runs"]] == [("aaaaaaa", 60.0, 2),
                                                                                   ("bbbbbbb", 12.0, 1)]
    assert [r["config"] for r in got["dropped_training"]] == [gone, {"model": "deep"}]  # dropped since, either pass


def test_the_gpu_book_target_reads_its_three_steps():
    steps = {"tests": {"rc": 1, "seconds": 40.0}, "models": {"rc": 0, "seconds": 150.0},
             "pages": {"rc": 0, "seconds": 140.0}, "site": {"rc": 0, "seconds": 20.0}}
    record = {"device": "NVIDIA H200", "date": "2026-12-04", "steps": steps}
    row = perf.build_targets(None, record)[-1]
    assert row["verdict"] == "does not hold" and row["measured"].startswith("310 s on NVIDIA H200")  # the tests not counted
    fast = {**record, "steps": {**steps, "pages": {"rc": 0, "seconds": 60.0}}}
    assert perf.gpu_target(fast)["verdict"] == "holds"
    broken = {**record, "steps": {**steps, "site": {"rc": 124, "seconds": 60.0}}}
    assert perf.gpu_target(broken)["verdict"] == "does not hold: site failed"
    with pytest.raises(ValueError, match="no pages step"):
        perf.gpu_target({**record, "steps": {k: v for k, v in steps.items() if k != "pages"}})
    with pytest.raises(ValueError, match="lacks"):
        perf.gpu_target({"steps": steps})
