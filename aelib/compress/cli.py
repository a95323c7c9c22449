"""Command line: compress images with an autoencoder codec, and back.

    python -m aelib encode IN.png OUT.ael        # the codec the book chose (05b_real_compression)
    python -m aelib encode IN.png OUT.ael --codec conv-16 [--step 0.2 | --lambda 1e-4 for rate-N]
    python -m aelib encode DIR/ OUT.ael          # every image in DIR, one file, one stream
    python -m aelib decode OUT.ael OUT.png       # a file of several images -> OUT.png/00000.png, ...
    python -m aelib info OUT.ael

Images are read with aelib.images (any format Pillow reads, made to look like MNIST: greyscale,
fitted into 20x20 and centred in 28x28). The networks come from the cache (`--cache-dir`),
trained by the book's pages; which codecs the book built, and its choice, come from the record
the real-compression page leaves there (aelib.compress.defaults): every default is the book's.
`encode --train` trains a missing network. Every failure is one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

EXIT_ERROR = 2
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
HOW_TO_TRAIN = ("train it with `python -m aelib encode ... --train` (the same options), or build the "
                "real-compression page, which trains the codecs it shows (`make 05b_real_compression`)")
RECIPE = {"dataset": str, "epochs": int, "lr": float, "batch_size": int, "seed": int, "train_size": int}


class CliError(Exception):
    """A failure to report in one line."""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m aelib", description="Autoencoder image codec for MNIST-like digits.")
    sub = ap.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encode", help="images -> one .ael file")
    enc.add_argument("inputs", nargs="+", type=Path, help="image files or directories, then the output .ael")
    enc.add_argument("--codec", default=None,
                     help="MODEL-LATENT, MODEL one of mlp, conv, rate (default: the codec the book chose)")
    enc.add_argument("--step", type=float, default=None,
                     help="mlp/conv: quantization step, a fraction of the latents' std (default: the book's)")
    enc.add_argument("--lambda", dest="lam", type=float, default=None,
                     help="rate: the lambda the model was trained with (default: the book's)")
    enc.add_argument("--train", action="store_true", help="train the model if the cache does not have it")
    for name, kind in RECIPE.items():
        enc.add_argument("--" + name.replace("_", "-"), type=kind, default=None,
                         help="training recipe (default: the book's; without a book, TrainConfig's)"
                         + ("; 0: the whole training split" if name == "train_size" else ""))
    dec = sub.add_parser("decode", help="one .ael file -> PNG image(s)")
    dec.add_argument("input", type=Path)
    dec.add_argument("output", type=Path, help="a .png for a one-image file, else a directory")
    info = sub.add_parser("info", help="print a file's header")
    info.add_argument("input", type=Path)
    for p in (enc, dec, info):
        p.add_argument("--cache-dir", default=".cache", help="where the datasets, the models and codec tables are kept")
    return ap


def _spec(args):
    from aelib.compress import defaults
    recipe = {name: getattr(args, name) for name in RECIPE}
    try:
        return defaults.resolve(defaults.read(args.cache_dir), args.codec, args.step, args.lam, **recipe)
    except defaults.NoDefault as e:
        raise CliError(str(e)) from None
    except (ValueError, TypeError) as e:
        raise CliError(f"bad codec options: {e}") from None


def _read_images(paths: list[Path]):
    import torch
    from aelib.images import load_image, to_mnist
    files = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise CliError(f"{p}: the directory holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
            files += found
        else:
            files.append(p)
    return torch.stack([to_mnist(load_image(f)) for f in files]), files  # (N, 1, 28, 28)


def _codec_for_encoding(args):
    from aelib.compress import codec as C
    from aelib.data import load_dataset
    from aelib.runs import cached_run, load_run, run_path
    spec = _spec(args)
    data = load_dataset(spec.config.dataset, root=Path(args.cache_dir) / "datasets")
    path = run_path(args.cache_dir, spec.config, data.sha256)
    run = cached_run(spec.config, data, args.cache_dir) if args.train else load_run(path, spec.config, data.sha256)
    if run is None:
        raise CliError(f"codec {spec.name} needs the trained model {path}, which is not in the cache: {HOW_TO_TRAIN}")
    return C.for_spec(spec, run, data, args.cache_dir)


def encode(args) -> str:
    from aelib.store import atomic_write
    *ins, out = args.inputs
    if not ins:
        raise CliError("encode needs at least one input image and an output file")
    x, files = _read_images(ins)
    codec = _codec_for_encoding(args)
    blob = codec.compress(x)
    with atomic_write(out) as tmp:
        tmp.write_bytes(blob)
    return (f"{out}: {len(files)} image(s), {len(blob)} bytes ({8 * len(blob) / (784 * len(files)):.3f} bits per "
            f"pixel), codec {codec.spec.name}, key {codec.key.hex()}")


def decode(args) -> str:
    from PIL import Image
    from aelib.compress import codec as C
    from aelib.compress.fileformat import MissingModel
    from aelib.compress.rd import to_uint8
    from aelib.store import atomic_write
    blob = _read_file(args.input)
    try:
        codec, q = C.for_file(blob, args.cache_dir)
    except MissingModel as e:
        raise MissingModel(f"{e}: encode the image again with this cache, or point --cache-dir at the "
                             f"cache that encoded it; if that cache lost the model, {HOW_TO_TRAIN}") from None
    x_hat = codec.synthesis(q)
    pixels = to_uint8(x_hat).numpy()  # (N, 28, 28)
    targets = [args.output] if len(pixels) == 1 else [args.output / f"{i:05d}.png" for i in range(len(pixels))]
    if len(pixels) > 1 and args.output.exists() and not args.output.is_dir():
        raise CliError(f"{args.output}: the file holds {len(pixels)} images: give a directory, not a file")
    for target, img in zip(targets, pixels):
        with atomic_write(target) as tmp:
            Image.fromarray(img, mode="L").save(tmp, format="PNG")
    where = args.output if len(pixels) == 1 else f"{args.output}/00000.png ... {targets[-1].name}"
    return f"{where}: {len(pixels)} image(s) decoded with codec {codec.spec.name}"


def info(args) -> str:
    from aelib.compress.fileformat import read_header
    blob = _read_file(args.input)
    h = read_header(blob)
    return (f"{args.input}: aelib format {h.version}, model key {h.key.hex()}, {h.count} image(s), "
            f"{len(blob)} bytes = {h.size} header + {len(blob) - h.size} payload")


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise CliError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    return path.read_bytes()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from aelib.compress.fileformat import CodecError
    subject = args.input if args.command != "encode" else args.inputs[-1]
    with warnings.catch_warnings(record=True) as caught:  # e.g. the cache's "corrupt file" warnings
        warnings.simplefilter("always")
        try:
            message = {"encode": encode, "decode": decode, "info": info}[args.command](args)
            status = 0
        except CodecError as e:  # the file's own problems: name the file
            message, status = f"aelib: {subject}: {e}", EXIT_ERROR
        except (CliError, FileNotFoundError, ValueError, OSError) as e:  # their messages name the path
            message, status = f"aelib: {e}", EXIT_ERROR
        except Exception as e:  # a bug: still one line, no traceback
            message, status = f"aelib: unexpected error ({type(e).__name__}: {e}); please report it", 1
    for w in caught:
        if "cache file" in str(w.message):
            print(f"aelib: note: {w.message}", file=sys.stderr)
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
