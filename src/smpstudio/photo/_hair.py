"""Hair against everything else, by a trained model: MediaPipe's hair segmentation network.

The model (``data/hair_segmentation.tflite``, 780 KB, Apache 2.0, from the MediaPipe
repository; origin and checksum in ``data/SOURCE.md``) ships inside this package: nothing is
downloaded. It takes a 512 × 512 RGB image plus the previous frame's hair mask as a fourth
channel (zero here: one still photo) and gives each pixel the probability of being hair. It
sees hair by its texture and shape, not by a colour relative to the skin, so brown or shaded
bald scalp is not hair and blond hair on fair skin is.

It runs on a square crop around the head (:func:`hair_probability`), through MediaPipe's own
calculator graph (tensor conversion, the TFLite interpreter with MediaPipe's custom
operators on XNNPACK, one thread), about 0.02 s of CPU per photo. Deterministic: the same
pixels give the same probabilities.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from typing import Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._types import Float32Array, UInt8Array
from smpstudio.photo._cv import opencv

__all__ = ["HAIR_MODEL", "HAIR_MODEL_SHA256", "hair_probability", "load_hair_model"]

HAIR_MODEL = "mediapipe-hair-segmentation"
"""Name of the model, as reported in the analysis."""

HAIR_MODEL_SHA256 = "d2c940c4fd80edeaf38f5d7387d1b4235ee320ed120080df67c663e749e77633"
"""Checksum of the shipped model file (checked when it is loaded)."""

_SIDE = 512
_LOCK = threading.Lock()
_GRAPH: list[Any] = []
_OUT: list[Float32Array] = []
_TICK = [0]


def hair_probability(pixels: UInt8Array, box: tuple[int, int, int, int]) -> Float32Array:
    """Probability (0–1) that each pixel of ``pixels`` (RGB) is hair, judged on the square
    crop ``box`` = ``(x0, y0, side, side)`` (it may leave the image: the outside is
    repeated from the edge); 0 outside the crop.

    Examples
    --------
    >>> from skimage import data
    >>> p = hair_probability(data.astronaut(), (100, 0, 260, 260))
    >>> bool(p[40, 220] > 0.8), bool(p[130, 220] < 0.1), bool(p[20, 480] == 0.0)
    (True, True, True)
    """
    cv2 = opencv()
    rows, cols = pixels.shape[:2]
    x0, y0, side, _ = box
    # the crop, resampled to the model's input in one warp (area-like: pre-blur when shrinking)
    scale = _SIDE / side
    src = np.ascontiguousarray(pixels)
    if scale < 0.5:
        sigma = 0.5 / scale
        src = cv2.GaussianBlur(src, (0, 0), sigma)
    warp = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]], dtype=np.float64)
    crop = cv2.warpAffine(
        src, warp, (_SIDE, _SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    rgba = np.zeros((_SIDE, _SIDE, 4), dtype=np.uint8)
    rgba[:, :, :3] = crop
    with _LOCK:
        _load()
        small = _run(rgba)
    back = cv2.warpAffine(
        small,
        warp,
        (cols, rows),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    return np.asarray(np.clip(back, 0.0, 1.0), dtype=np.float32)


def load_hair_model() -> None:
    """Load the hair model now (once per process)."""
    with _LOCK:
        _load()


def _run(rgba: UInt8Array) -> Float32Array:
    from mediapipe.python import packet_creator
    from mediapipe.python._framework_bindings import image_frame

    graph = _GRAPH[0]
    _OUT.clear()
    _TICK[0] += 1
    packet = packet_creator.create_image_frame(
        image_format=image_frame.ImageFormat.SRGBA, data=rgba
    )
    graph.add_packet_to_input_stream("image", packet.at(_TICK[0]))
    graph.wait_until_idle()
    if not _OUT:
        raise PhotoError("the hair model gave no output")
    return np.asarray(_OUT[0], dtype=np.float32).reshape(_SIDE, _SIDE)


def _model_path() -> str:
    path = resources.files("smpstudio.photo") / "data" / "hair_segmentation.tflite"
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != HAIR_MODEL_SHA256:
        raise PhotoError("the shipped hair model file is damaged (checksum mismatch)")
    return str(path)


def _load() -> None:
    if _GRAPH:
        return
    from google.protobuf import text_format  # type: ignore[import-untyped]
    from mediapipe.calculators.tensor import (  # noqa: F401  (registers the options)
        inference_calculator_pb2,
        tensor_converter_calculator_pb2,
        tensors_to_segmentation_calculator_pb2,
    )
    from mediapipe.framework import calculator_pb2
    from mediapipe.python import packet_getter
    from mediapipe.python._framework_bindings import calculator_graph

    config = text_format.Parse(_GRAPH_TEXT % _model_path(), calculator_pb2.CalculatorGraphConfig())
    graph = calculator_graph.CalculatorGraph(graph_config=config)

    def _keep(_stream: str, packet: Any) -> None:
        frame = packet_getter.get_image_frame(packet)
        _OUT.append(np.array(frame.numpy_view(), dtype=np.float32, copy=True))

    graph.observe_output_stream("mask", _keep)
    graph.start_run()
    _GRAPH.append(graph)


_GRAPH_TEXT = """
input_stream: "image"
output_stream: "mask"
node {
  calculator: "TensorConverterCalculator"
  input_stream: "IMAGE:image"
  output_stream: "TENSORS:tensors"
  options { [mediapipe.TensorConverterCalculatorOptions.ext] {
    zero_center: false max_num_channels: 4 } }
}
node { calculator: "TfLiteCustomOpResolverCalculator" output_side_packet: "OP_RESOLVER:ops" }
node {
  calculator: "InferenceCalculatorCpu"
  input_stream: "TENSORS:tensors"
  output_stream: "TENSORS:logits"
  input_side_packet: "OP_RESOLVER:ops"
  options { [mediapipe.InferenceCalculatorOptions.ext] {
    model_path: "%s" delegate { xnnpack { num_threads: 1 } } } }
}
node {
  calculator: "TensorsToSegmentationCalculator"
  input_stream: "TENSORS:logits"
  output_stream: "MASK:mask_image"
  options { [mediapipe.TensorsToSegmentationCalculatorOptions.ext] {
    activation: SOFTMAX output_layer_index: 1 } }
}
node {
  calculator: "FromImageCalculator"
  input_stream: "IMAGE:mask_image"
  output_stream: "IMAGE_CPU:mask"
}
"""
