"""The GPU path: training, noise, evaluation and a codec round trip on CUDA. Skipped where torch
sees no GPU."""
import pytest
import torch

from aelib import metrics, train as train_module
from aelib.config import TrainConfig
from aelib.data import to_float
from aelib.noise import add_noise, noisy_copy
from aelib.runtime import pick_device

pytestmark = pytest.mark.cuda

DEVICE = "cuda"
TINY = TrainConfig(train_size=512, val_size=256, epochs=1)
CONFIGS = {"plain": TINY, "denoising": TINY.replace(train_noise=0.3, noise_range=True)}


def _train_watched(cfg, data):
    """train() on DEVICE, recording the devices of the weights and of the input of every forward."""
    seen = set()
    build = train_module.build_model

    def watched(c):
        model = build(c)
        model.register_forward_pre_hook(
            lambda m, args: seen.add((next(m.parameters()).device.type, args[0].device.type)))
        return model

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_module, "build_model", watched)
        run = train_module.train(cfg, data, device=DEVICE)
    return run, seen


@pytest.fixture(scope="module", params=list(CONFIGS))
def two_runs(request, mnist):
    """The same config trained twice on the GPU."""
    return [_train_watched(CONFIGS[request.param], mnist) for _ in range(2)]


def test_pick_device_finds_the_gpu():
    assert pick_device().type == "cuda"


def test_training_keeps_weights_and_data_on_the_gpu(two_runs):
    (run, seen), _ = two_runs
    assert seen == {("cuda", "cuda")}  # every forward: weights and batch on the GPU
    assert run.history.epochs_done == 1 and not run.history.nonfinite
    assert next(run.model(device=DEVICE).parameters()).device.type == "cuda"


def test_training_on_the_gpu_is_deterministic_per_seed(two_runs):
    (a, _), (b, _) = two_runs
    assert a.history.train_loss == b.history.train_loss and a.history.val_loss == b.history.val_loss
    sa, sb = a.snapshots[1], b.snapshots[1]
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("kind", ["gaussian", "salt-pepper"])
def test_noise_is_drawn_on_the_gpu_and_repeats_per_seed(mnist, kind):
    x = to_float(mnist.test_images[:256]).to(DEVICE)
    first = add_noise(x, 0.3, torch.Generator(device=DEVICE).manual_seed(0), kind)
    again = add_noise(x, 0.3, torch.Generator(device=DEVICE).manual_seed(0), kind)
    assert first.device.type == "cuda" and torch.equal(first, again) and not torch.equal(first, x)
    assert torch.equal(noisy_copy(x, 0.3, seed=0, kind=kind), first)


def test_denoising_evaluation_on_the_gpu_equals_the_cpu(mnist):
    run, _ = _train_watched(CONFIGS["denoising"], mnist)
    clean = to_float(mnist.test_images[:2000])
    noisy = add_noise(clean, 0.3, torch.Generator().manual_seed(0))  # one draw, given to both devices
    on_cpu = metrics.reconstruct(run.model(device="cpu"), noisy)
    on_gpu = metrics.reconstruct(run.model(device=DEVICE), noisy.to(DEVICE))
    assert on_gpu.device.type == "cuda"
    for measure in (metrics.difference, metrics.mse, metrics.psnr, metrics.ssim):
        cpu, gpu = measure(clean, on_cpu), measure(clean.to(DEVICE), on_gpu)
        assert gpu.device.type == "cuda"
        assert (gpu.cpu() - cpu).abs().max().item() < 1e-4, measure.__name__
    gpu_summary = metrics.summary(clean.to(DEVICE), on_gpu)
    assert gpu_summary == pytest.approx(metrics.summary(clean, on_cpu), abs=1e-4)


@pytest.mark.parametrize("kind", ["conv", "rate"])
def test_a_codec_from_a_gpu_training_round_trips(mnist, kind):
    """A model trained on the GPU makes a working codec: its files decode to exactly the in-memory
    quantized reconstruction (the codec itself runs on the CPU, where its decoding is bit-exact
    whatever the batch)."""
    from aelib.compress.codec import CodecSpec, fit
    cfg = TINY.replace(model=kind, latent=16, rate_lambda=1e-3 if kind == "rate" else 0.0)
    run = train_module.train(cfg, mnist, device=DEVICE)
    codec = fit(CodecSpec(cfg, 1.0 if kind == "rate" else 0.5), run, mnist)
    x = to_float(mnist.test_images[:20])
    assert torch.equal(codec.decompress(codec.compress(x)), codec.reconstruct(x))
    assert all(torch.equal(codec.decompress(b), codec.reconstruct(x[i:i + 1])) for i, b in enumerate(codec.compress_each(x[:3])))


def test_worker_processes_share_the_gpu_and_train_as_this_process_does(mnist, tmp_path):
    """A plan's default executor on one GPU runs GPU_AT_ONCE trainings at once, each in its own
    process; a training there gives the same weights, to the bit, as the same config trained here."""
    from aelib.jobs.local import GPU_AT_ONCE, ProcessExecutor, default_executor
    from aelib.jobs.plan import Job, plan, run_plan
    many = default_executor(10)
    assert isinstance(many, ProcessExecutor) and many.slots == min(GPU_AT_ONCE * torch.cuda.device_count(), 10)
    cfgs = [TINY.replace(seed=s) for s in range(3)]
    todo = plan([Job(c) for c in cfgs], tmp_path, mnist)
    run_plan(todo, ProcessExecutor(2, devices=["cuda:0"]))
    for cfg in cfgs:
        stored = torch.load(todo.path(Job(cfg)), weights_only=True)
        here = train_module.train(cfg, mnist, device="cuda:0").snapshots[1]
        assert stored["how"]["device"] == "cuda:0" and stored["how"]["at_once"] == 2
        assert all(torch.equal(here[k], stored["snapshots"][1][k]) for k in here)


def test_a_stacked_member_on_the_gpu_matches_its_lone_training(mnist):
    from aelib.stack import train_stacked
    cfgs = [TINY.replace(seed=s, lr=lr) for s, lr in [(0, 1e-3), (1, 3e-4)]]
    stacked = train_stacked(cfgs, mnist, [(0,)] * 2, device=DEVICE)
    for cfg, member in zip(cfgs, stacked):
        alone = train_module.train(cfg, mnist, (0,), device=DEVICE).snapshots
        assert member.how["stacked"] == 2 and member.how["device"].startswith("cuda")
        assert all(torch.equal(alone[0][k], member.snapshots[0][k]) for k in alone[0])
        assert all(torch.allclose(alone[1][k], member.snapshots[1][k], atol=1e-5) for k in alone[1])
