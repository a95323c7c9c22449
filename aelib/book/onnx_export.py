"""A PyTorch module to one self-contained ONNX file for the browser, checked against PyTorch.

The live demos run the book's models with onnxruntime-web. Each export is run here with
onnxruntime (the same operator kernels, compiled for the CPU instead of WebAssembly) on fixed
inputs and compared with the module's own output; an export that differs by more than
`TOLERANCE` is an error, never a silent demo of some other function.

Weights are stored as float16 with a Cast to float32 in front of the graph when that keeps the
difference within the tolerance (half the download; onnxruntime folds the casts once, when the
session is created), and as float32 otherwise.
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

TOLERANCE = 1e-3  # max abs difference from PyTorch, on [0, 1] pixels (issue 17's budget)


class ExportMismatch(ValueError):
    """onnxruntime's output for an exported model differs from PyTorch's beyond the tolerance."""


@dataclass(frozen=True)
class Exported:
    name: str  # what the model is, for messages and the page ("draw-mlp")
    onnx: bytes  # the whole model: graph and weights in one file
    weights: str  # "float16" (cast to float32 on load) or "float32"
    max_abs_diff: float  # largest |onnxruntime - PyTorch| over every checked input and output value
    n_checked: int  # how many inputs were compared
    input_shape: tuple[int, ...]  # one example, batch of 1: (1, 1, 28, 28) or (1, latent)

    def record(self) -> dict:
        """What a page or a result file keeps of it (no bytes)."""
        return {"name": self.name, "weights": self.weights, "max_abs_diff": self.max_abs_diff,
                "n_checked": self.n_checked, "bytes": len(self.onnx)}


class _Decoder(nn.Module):
    """The decoder of an autoencoder as a module of its own: code (1, latent) -> image (1, 1, 28, 28)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.model.decode(y)


def decoder(model: nn.Module) -> nn.Module:
    return _Decoder(model)


def export(module: nn.Module, inputs: torch.Tensor, name: str, tol: float = TOLERANCE,
           float16: bool = True) -> Exported:
    """Export `module` for inputs shaped like one row of `inputs` (batch 1, fixed shape), check it
    on every row of `inputs` and return the smallest export within `tol`: float16 weights if
    allowed and close enough, else float32. Raises ExportMismatch, naming `name`, otherwise."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"{name}: expected a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2 or len(inputs) == 0 or not inputs.is_floating_point():
        raise ValueError(f"{name}: the check inputs must be a non-empty float tensor with a batch dimension, "
                         f"got {_describe(inputs)}")
    module = copy.deepcopy(module).cpu().float().eval()  # the caller's model keeps its device and mode
    inputs = inputs.detach().cpu().float()
    with torch.inference_mode():
        expected = torch.cat([module(x[None]) for x in inputs]).numpy()  # batch 1, as the page runs it
    proto = _to_onnx(module, inputs[:1], name, "y" if isinstance(module, _Decoder) else "x")
    diff32 = _max_abs_diff(proto, inputs.numpy(), expected)
    if float16:
        proto16 = _float16_weights(proto)
        diff16 = _max_abs_diff(proto16, inputs.numpy(), expected)
        if diff16 <= tol:
            return Exported(name, proto16.SerializeToString(), "float16", diff16, len(inputs), tuple(inputs[:1].shape))
    if diff32 > tol:
        raise ExportMismatch(f"{name}: the ONNX export's output differs from PyTorch's by {diff32:.3g} (max abs over "
                             f"{len(inputs)} inputs), above the limit {tol:g}: the exported graph does not compute "
                             f"what the module does (an operator exported wrongly, or a forward that depends on "
                             f"Python state)")
    return Exported(name, proto.SerializeToString(), "float32", diff32, len(inputs), tuple(inputs[:1].shape))


def _describe(t) -> str:
    if not isinstance(t, torch.Tensor):
        return type(t).__name__
    return f"a {t.dtype} tensor of shape {tuple(t.shape)}"


def _to_onnx(module: nn.Module, example: torch.Tensor, name: str, input_name: str):
    import onnx

    with warnings.catch_warnings():  # exporter chatter would land in the page's stderr and fail the -W build
        warnings.simplefilter("ignore")
        try:
            program = torch.onnx.export(module, (example,), dynamo=True, external_data=False, verbose=False,
                                        input_names=[input_name], output_names=["x_hat"])
        except Exception as e:  # the exporter's own errors are long; say which model first
            raise RuntimeError(f"{name}: torch.onnx.export failed: {type(e).__name__}: {e}") from e
    proto = program.model_proto
    onnx.checker.check_model(proto)
    return proto


def _float16_weights(proto):
    """A copy of `proto` whose float32 initializers are stored as float16, each cast back to
    float32 by a Cast node at the start of the graph (so every operator still runs in float32)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out = onnx.ModelProto()
    out.CopyFrom(proto)
    casts = []
    for init in out.graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        original = init.name
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), original + ".float16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [original], to=TensorProto.FLOAT, name=f"cast {original}"))
    nodes = casts + list(out.graph.node)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    onnx.checker.check_model(out)
    return out


def session(onnx_bytes: bytes):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only: onnxruntime's warnings go to fd 2, which the page would show
    return ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])


def _max_abs_diff(proto, inputs: np.ndarray, expected: np.ndarray) -> float:
    sess = session(proto.SerializeToString())
    name = sess.get_inputs()[0].name
    got = np.concatenate([sess.run(None, {name: x[None]})[0] for x in inputs])
    if got.shape != expected.shape:
        return float("inf")
    return float(np.abs(got.astype(np.float64) - expected).max())
