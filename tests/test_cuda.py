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
