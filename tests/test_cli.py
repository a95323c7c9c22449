"""The command line: `python -m aelib ...` run once as a reader would, in a subprocess; the rest
through its `main` in this process (the same argument parsing, messages and exit codes, without
five seconds of importing torch per call)."""
import contextlib
import io
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from aelib.compress import codec as C
from aelib.compress.cli import main
from aelib.compress import entropy
from aelib.compress.fileformat import ONE_IMAGE_HEADER
from aelib.runs import cached_run
from aelib.config import TrainConfig
from aelib.data import to_float
from test_fileformat import v1_header

# A codec the CLI can name with options: `--codec mlp-8 --epochs 1 --train-size 512`; with no book
# in the cache, the rest of the recipe is TrainConfig's own.
CFG = TrainConfig(model="mlp", latent=8, epochs=1, train_size=512)
OPTS = ["--codec", "mlp-8", "--step", "0.5", "--epochs", "1", "--train-size", "512"]


def cli(*args, cache, process=False):
    argv = [*map(str, args), "--cache-dir", str(cache)]
    if process:  # as a reader runs it
        return subprocess.run([sys.executable, "-m", "aelib", *argv], capture_output=True, text=True, timeout=300)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse's own refusals
            code = e.code
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def assert_clean_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def cli_cache(mnist, data_root, tmp_path_factory):
    """A cache of the CLI's own: the session's data, and no book in it (a book's record there would
    set the recipe of a codec named on the command line)."""
    cache = tmp_path_factory.mktemp("cli-cache")
    shutil.copytree(data_root, cache / "datasets", copy_function=os.link)
    return cache


@pytest.fixture(scope="module")
def setup(mnist, cli_cache, tmp_path_factory):
    cached_run(CFG, mnist, cli_cache)  # the model the CLI will find in the cache
    d = tmp_path_factory.mktemp("cli")
    (d / "set").mkdir()
    for i in range(3):
        Image.fromarray(mnist.test_images[i].numpy(), mode="L").save(d / "set" / f"digit{i}.png")
    return d


@pytest.mark.slow  # two Pythons that import torch
def test_encode_then_decode_gives_the_codec_reconstruction(setup, mnist, cli_cache):
    d = setup
    enc = cli("encode", d / "set" / "digit0.png", d / "one.ael", *OPTS, cache=cli_cache, process=True)
    assert enc.returncode == 0, enc.stderr
    assert "1 image(s)" in enc.stdout and "bits per pixel" in enc.stdout
    dec = cli("decode", d / "one.ael", d / "one.png", cache=cli_cache, process=True)
    assert dec.returncode == 0, dec.stderr
    codec, q = C.for_file((d / "one.ael").read_bytes(), cli_cache)
    expected = codec.reconstruct(to_float(mnist.test_images[:1]))
    got = np.asarray(Image.open(d / "one.png"))
    assert np.array_equal(got, np.rint(expected.numpy()[0, 0] * 255).astype(np.uint8))
    info = cli("info", d / "one.ael", cache=cli_cache)
    assert info.returncode == 0 and "format 2" in info.stdout and "1 image(s)" in info.stdout
    assert f"{ONE_IMAGE_HEADER} header" in info.stdout
    (d / "old.ael").write_bytes(v1_header(codec.digest, q) + entropy.encode(q, codec.table))  # as aelib wrote before
    assert cli("decode", d / "old.ael", d / "old.png", cache=cli_cache).returncode == 0
    assert np.array_equal(np.asarray(Image.open(d / "old.png")), got)
    assert "format 1" in cli("info", d / "old.ael", cache=cli_cache).stdout


def test_a_directory_becomes_one_stream_and_decodes_to_a_directory(setup, cli_cache):
    d = setup
    enc = cli("encode", d / "set", d / "set.ael", *OPTS, cache=cli_cache)
    assert enc.returncode == 0 and "3 image(s)" in enc.stdout, enc.stderr
    dec = cli("decode", d / "set.ael", d / "out", cache=cli_cache)
    assert dec.returncode == 0, dec.stderr
    assert sorted(p.name for p in (d / "out").iterdir()) == ["00000.png", "00001.png", "00002.png"]


@pytest.mark.parametrize("damage, words", [
    (lambda b: b"\x89PNG\r\n\x1a\n" + b, ["not an aelib file"]),
    (lambda b: b[:3], ["truncated"]),
    (lambda b: b[:-1], ["damaged or truncated"]),
    (lambda b: b[:2] + bytes([b[2] ^ 0x5A]) + b[3:], ["damaged", "check"]),
    (lambda b: b"AE\x09" + b[1:], ["format version 9"]),
    (lambda b: b[:1] + bytes([b[1] ^ 0xFF]) + b[2:], ["no codec with model key", "--cache-dir"]),
    (lambda b: b"", ["not an aelib file"]),
])
def test_bad_files_get_one_clear_line(setup, cli_cache, damage, words):
    d = setup
    good = d / "good.ael"
    if not good.exists():
        assert cli("encode", d / "set" / "digit1.png", good, *OPTS, cache=cli_cache).returncode == 0
    bad = d / "bad.ael"
    bad.write_bytes(damage(good.read_bytes()))
    proc = cli("decode", bad, d / "bad.png", cache=cli_cache)
    assert_clean_error(proc, str(bad), *words)
    assert not (d / "bad.png").exists()


def test_a_model_not_in_the_cache_is_named_with_the_fix(setup, tmp_path):
    proc = cli("encode", setup / "set" / "digit0.png", tmp_path / "x.ael", *OPTS, cache=tmp_path / "empty")
    assert_clean_error(proc, "not in the cache", "--train", "05b_real_compression")
    assert not (tmp_path / "x.ael").exists()


def test_missing_input_and_bad_codec_names(setup, cli_cache, tmp_path):
    assert_clean_error(cli("encode", tmp_path / "nope.png", tmp_path / "x.ael", *OPTS, cache=cli_cache), "nope.png")
    assert_clean_error(cli("decode", tmp_path / "nope.ael", tmp_path / "x.png", cache=cli_cache), "nope.ael")
    digit = setup / "set" / "digit0.png"
    assert_clean_error(cli("encode", digit, tmp_path / "x.ael", "--codec", "vae-8", cache=cli_cache), "bad codec")
    not_image = tmp_path / "text.png"
    not_image.write_text("hello")
    assert_clean_error(cli("encode", not_image, tmp_path / "x.ael", *OPTS, cache=cli_cache), "text.png")


def test_without_a_codec_the_books_choice_is_used(setup, mnist, tmp_path):
    """After the real-compression page has run with a cache, `encode` needs no --codec: the page's
    record there names its choice (written here by hand for a tiny model)."""
    from aelib.compress import defaults
    cache = tmp_path / "book-cache"
    spec = C.CodecSpec(CFG, 0.5)
    cached_run(CFG, mnist, cache)
    digit = setup / "set" / "digit0.png"
    assert_clean_error(cli("encode", digit, tmp_path / "x.ael", cache=cache), "no default codec", "make book")
    defaults.record(cache, spec, [(spec, {"psnr": 20.0, "bytes": 12.0})], 25.0)
    enc = cli("encode", digit, tmp_path / "x.ael", cache=cache)
    assert enc.returncode == 0 and "codec mlp-8 step 0.5" in enc.stdout, enc.stderr
    assert cli("decode", tmp_path / "x.ael", tmp_path / "x.png", cache=cache).returncode == 0
    named = cli("encode", digit, tmp_path / "y.ael", "--codec", "mlp-8", cache=cache)  # the book's mlp-8: its step
    assert named.returncode == 0 and "codec mlp-8 step 0.5" in named.stdout, named.stderr
    assert_clean_error(cli("encode", digit, tmp_path / "z.ael", "--codec", "conv-64", cache=cache),
                       "not one the book built", "mlp-8 step 0.5", "--step")


@pytest.mark.slow
def test_a_bad_file_is_one_line_and_status_two_from_the_command_itself(tmp_path):
    (tmp_path / "f.ael").write_bytes(b"hello")
    assert_clean_error(cli("decode", tmp_path / "f.ael", tmp_path / "o.png", cache=tmp_path, process=True),
                       "not an aelib file")
