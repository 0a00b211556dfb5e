#!/usr/bin/python3
"""Check the converted ONNX models against the original tfjs models on real
face photos, running the same cascade human uses:

  photo -> blazeface-back (256, [-1,1]) -> face crop -> facemesh (192, [0,1])
        -> two eye crops -> iris (64, [0,1])

Every model input is fed to
  * the tfjs graph model (tools/tfjs-reference/run-tfjs.mjs, CPU backend),
  * the ONNX model via OpenCV's dnn module (python3-opencv), and
  * optionally the ONNX model via ONNX Runtime (onnxruntime-node, --ort-module),
and the max abs difference per model/output is reported. The cascade itself is
driven by the tfjs outputs; sanity checks (detector score, mesh inside the
crop, iris inside the eye) are printed as well.

  /usr/bin/python3 tools/tfjs2onnx/verify.py [--ort-module /tmp/ort/node_modules/onnxruntime-node]
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
RUN_TFJS = os.path.join(REPO, "tools", "tfjs-reference", "run-tfjs.mjs")
RUN_ORT = os.path.join(HERE, "run-onnx.mjs")

DEFAULT_IMAGES = [
    "/work/shared/data/makeup/images/non-makeup/*.png",
    os.path.join(REPO, "tools", "tfjs-reference", "node_modules", "@vladmandic", "face-api", "demo", "sample*.jpg"),
]

# MediaPipe mesh indices (see human src/face/facemeshcoords.ts)
EYE_IMAGE_LEFT = {"corners": (33, 133), "lower0": [33, 7, 163, 144, 145, 153, 154, 155, 133],
                  "upper0": [246, 161, 160, 159, 158, 157, 173]}
EYE_IMAGE_RIGHT = {"corners": (362, 263), "lower0": [263, 249, 390, 373, 374, 380, 381, 382, 362],
                   "upper0": [466, 388, 387, 386, 385, 384, 398]}


def anchors_256():
    out = []
    for stride, per_cell in ((16, 2), (32, 6)):
        grid = 256 // stride
        for y in range(grid):
            for x in range(grid):
                for _ in range(per_cell):
                    out.append(((x + 0.5) * stride, (y + 0.5) * stride))
    return np.array(out, np.float32)


ANCHORS = anchors_256()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -100, 100)))


def decode_blazeface(outs, min_score=0.5, iou=0.3, max_faces=8):
    logits = np.concatenate([outs["classificators_1"].reshape(-1), outs["classificators_2"].reshape(-1)])
    reg = np.concatenate([outs["regressors_1"].reshape(-1, 16), outs["regressors_2"].reshape(-1, 16)])
    scores = sigmoid(logits)
    centre = ANCHORS + reg[:, 0:2]
    half = reg[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kps = ANCHORS[:, None, :] + reg[:, 4:16].reshape(-1, 6, 2)
    order = np.argsort(-scores)
    keep = []
    for i in order:
        if scores[i] < min_score or len(keep) >= max_faces:
            break
        ok = True
        for j in keep:
            a, b = boxes[i], boxes[j]
            iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            inter = iw * ih
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            if union > 0 and inter / union > iou:
                ok = False
                break
        if ok:
            keep.append(i)
    return [(float(scores[i]), boxes[i], kps[i]) for i in keep]


def crop_square(img, cx, cy, size, out):
    """Bilinear crop of the square [cx-size/2, cx+size/2]^2 resized to out x out
    (pixels outside the image are 0, like tf.image.cropAndResize)."""
    s = out / size
    m = np.array([[s, 0, out / 2 - cx * s], [0, s, out / 2 - cy * s]], np.float64)
    return cv2.warpAffine(img, m, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def write_f32(path, arr):
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)


def run_node(cmd):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit("command failed: %s" % " ".join(cmd))


def load_results(out_dir):
    with open(os.path.join(out_dir, "results.json")) as f:
        res = json.load(f)
    runs = []
    for r in res["runs"]:
        runs.append({o["name"]: np.fromfile(os.path.join(out_dir, o["file"]), "<f4").reshape(o["shape"]) for o in r["outputs"]})
    return runs


def run_cv2(onnx_path, inputs):
    net = cv2.dnn.readNetFromONNX(onnx_path)
    names = list(net.getUnconnectedOutLayersNames())
    runs = []
    for x in inputs:
        net.setInput(x)
        outs = net.forward(names)
        runs.append({n: np.array(o) for n, o in zip(names, outs)})
    return runs


def stage(name, shape, inputs, work, onnx_dir, ort_module, diffs):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    files = []
    for i, x in enumerate(inputs):
        p = os.path.join(d, "in%04d.f32" % i)
        write_f32(p, x)
        files.append(p)
    lst = os.path.join(d, "inputs.txt")
    with open(lst, "w") as f:
        f.write("\n".join(files) + "\n")
    shape_s = ",".join(str(v) for v in shape)
    run_node(["node", RUN_TFJS, "--model", name, "--shape", shape_s, "--input-list", lst, "--out", os.path.join(d, "tfjs")])
    ref = load_results(os.path.join(d, "tfjs"))
    onnx_path = os.path.join(onnx_dir, name + ".onnx")
    engines = {"opencv-dnn": run_cv2(onnx_path, inputs)}
    if ort_module:
        run_node(["node", RUN_ORT, "--ort-module", ort_module, "--model", onnx_path, "--shape", shape_s,
                  "--input-list", lst, "--out", os.path.join(d, "ort")])
        engines["onnxruntime"] = load_results(os.path.join(d, "ort"))
    for engine, runs in engines.items():
        for r_ref, r_got in zip(ref, runs):
            if sorted(r_ref) != sorted(r_got):
                raise SystemExit("%s/%s: output names differ: %s vs %s" % (name, engine, sorted(r_ref), sorted(r_got)))
            for out_name, a in r_ref.items():
                b = r_got[out_name]
                if tuple(a.shape) != tuple(b.shape):
                    raise SystemExit("%s/%s/%s: shape %s vs %s" % (name, engine, out_name, a.shape, b.shape))
                key = (name, out_name, engine)
                cur = diffs.get(key, (0.0, 0.0, 0.0, 0))
                err = np.abs(a.astype(np.float64) - b)
                rel = err / np.maximum(1.0, np.abs(a))
                diffs[key] = (max(cur[0], float(err.max())), max(cur[1], float(rel.max())),
                              max(cur[2], float(np.abs(a).max())), cur[3] + 1)
                if out_name.startswith("classificators"):
                    # what a decoder uses: the sigmoid score
                    skey = (name, out_name + " (sigmoid)", engine)
                    cur = diffs.get(skey, (0.0, 0.0, 0.0, 0))
                    serr = float(np.abs(sigmoid(a) - sigmoid(b)).max())
                    diffs[skey] = (max(cur[0], serr), max(cur[1], serr), 1.0, cur[3] + 1)
    return ref


def main():
    ap = argparse.ArgumentParser(description="tfjs vs ONNX equivalence check on real faces")
    ap.add_argument("--images", nargs="*", default=DEFAULT_IMAGES, help="image files or globs")
    ap.add_argument("--onnx-dir", default=os.path.join(REPO, "onnx-models"))
    ap.add_argument("--ort-module", help="path to an installed onnxruntime-node package (optional)")
    ap.add_argument("--work", help="keep intermediate files here (default: temp dir, removed)")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--verbose", action="store_true", help="print one line per face")
    ap.add_argument("--save-overlay", help="write a PNG with the first face crops and their mesh/iris points")
    args = ap.parse_args()

    paths = []
    for pat in args.images:
        paths.extend(sorted(glob.glob(pat)) if any(c in pat for c in "*?[") else [pat])
    if not paths:
        raise SystemExit("no images")
    work = args.work or tempfile.mkdtemp(prefix="tfjs2onnx-verify-")
    os.makedirs(work, exist_ok=True)
    diffs = {}
    try:
        # ---- stage 1: detector ----------------------------------------
        images, det_inputs, geo = [], [], []
        for p in paths:
            bgr = cv2.imread(p, cv2.IMREAD_COLOR)
            if bgr is None:
                raise SystemExit("cannot read %s" % p)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
            h, w = rgb.shape[:2]
            side = max(h, w)
            # pad to a centred square (as human's detector.square option), resize to 256
            sq = crop_square(rgb, w / 2, h / 2, side, 256)
            det_inputs.append((sq / 127.5 - 1.0).reshape(1, 256, 256, 3))
            images.append(rgb)
            geo.append((w / 2 - side / 2, h / 2 - side / 2, side / 256.0))
        det = stage("blazeface-back", (1, 256, 256, 3), det_inputs, work, args.onnx_dir, args.ort_module, diffs)

        faces, mesh_inputs = [], []
        no_face = []
        for k, outs in enumerate(det):
            found = decode_blazeface(outs)
            if not found:
                no_face.append(paths[k])
            for score, box, kps in found:
                ox, oy, s = geo[k]
                b = box * s + np.array([ox, oy, ox, oy])
                kp = kps * s + np.array([ox, oy])
                cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                size = max(b[2] - b[0], b[3] - b[1]) * 1.4
                crop = crop_square(images[k], cx, cy, size, 192)
                faces.append({"image": k, "score": score, "cx": cx, "cy": cy, "size": size, "kp": kp, "crop": crop / 255.0})
                mesh_inputs.append((crop / 255.0).reshape(1, 192, 192, 3).astype(np.float32))
        print("images: %d, faces found: %d, images without a face (score>=0.5): %d" % (len(paths), len(faces), len(no_face)))
        for p in no_face:
            print("  no face:", p)

        # ---- stage 2: mesh -----------------------------------------------
        mesh = stage("facemesh", (1, 192, 192, 3), mesh_inputs, work, args.onnx_dir, args.ort_module, diffs)
        eye_inputs, eye_meta = [], []
        kp_err, flags, inside = [], [], []
        for f, outs in zip(faces, mesh):
            pts = outs["output_mesh"].reshape(468, 3)
            f["mesh"] = pts
            flags.append(float(outs["output_faceflag"].reshape(-1)[0]))
            inside.append(float(np.mean((pts[:, 0] >= 0) & (pts[:, 0] < 192) & (pts[:, 1] >= 0) & (pts[:, 1] < 192))))
            # detector eye keypoints mapped into the crop vs mesh eye centres
            scale = 192.0 / f["size"]
            to_crop = lambda p: (p - np.array([f["cx"], f["cy"]])) * scale + 96.0
            errs = []
            for kp_idx, eye in ((0, EYE_IMAGE_LEFT), (1, EYE_IMAGE_RIGHT)):
                centre = pts[list(eye["corners"]), :2].mean(axis=0)
                errs.append(float(np.linalg.norm(to_crop(f["kp"][kp_idx]) - centre)))
            kp_err.extend(errs)
            if args.verbose:
                print("  %-28s det %.3f faceflag %.3f crop (%.0f,%.0f) size %.0f eye kp err %.1f/%.1f px" % (
                    os.path.basename(paths[f["image"]]), f["score"], flags[-1], f["cx"], f["cy"], f["size"], errs[0], errs[1]))
            for flip, eye in ((False, EYE_IMAGE_LEFT), (True, EYE_IMAGE_RIGHT)):
                a, b = pts[eye["corners"][0], :2], pts[eye["corners"][1], :2]
                c = (a + b) / 2
                size = float(max(abs(a[0] - b[0]), abs(a[1] - b[1]))) * 2.3
                crop = crop_square(f["crop"].astype(np.float32), float(c[0]), float(c[1]), size, 64)
                if flip:
                    crop = crop[:, ::-1, :]
                eye_inputs.append(np.ascontiguousarray(crop).reshape(1, 64, 64, 3).astype(np.float32))
                eye_meta.append((f, eye, flip, c, size))
        if faces:
            print("facemesh: faceflag min/median %.3f/%.3f; fraction of mesh points inside the crop min %.3f; "
                  "detector eye keypoint vs mesh eye centre: median %.2f px, max %.2f px (192px crop)" % (
                      min(flags), float(np.median(flags)), min(inside), float(np.median(kp_err)), max(kp_err)))

        # ---- stage 3: iris -----------------------------------------------
        iris = stage("iris", (1, 64, 64, 3), eye_inputs, work, args.onnx_dir, args.ort_module, diffs)
        contour_err, iris_inside = [], []
        for (f, eye, flip, c, size), outs in zip(eye_meta, iris):
            p = outs["concatenate_eyes_contours_and_brows_and_iris"].reshape(76, 3)[:, :2].copy()
            if flip:
                p[:, 0] = 64.0 - p[:, 0]
            p = (p - 32.0) * (size / 64.0) + c  # back to 192 face-crop pixels
            model_pts = np.concatenate([p[0:9], p[9:16]])
            mesh_pts = f["mesh"][eye["lower0"] + eye["upper0"], :2]
            contour_err.append(float(np.mean(np.linalg.norm(model_pts - mesh_pts, axis=1))))
            lo, hi = mesh_pts.min(axis=0), mesh_pts.max(axis=0)
            iris_inside.append(bool(np.all(p[71] >= lo) and np.all(p[71] <= hi)))
        if eye_meta:
            print("iris: mean distance model EyeLower0/EyeUpper0 vs mesh points: median %.2f px, max %.2f px; "
                  "iris centre inside the mesh eye outline: %d/%d" % (
                      float(np.median(contour_err)), max(contour_err), sum(iris_inside), len(iris_inside)))

        if args.save_overlay and faces:
            tiles = []
            for f in faces[:8]:
                t = cv2.cvtColor((f["crop"] * 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
                for x, y, _ in f["mesh"]:
                    cv2.circle(t, (int(round(x)), int(round(y))), 1, (0, 255, 0), -1)
                tiles.append(t)
            cv2.imwrite(args.save_overlay, np.concatenate(tiles, axis=1))

        print("\nper model/output/engine: max |tfjs - onnx|, max |tfjs - onnx| / max(1, |tfjs|), max |tfjs|, runs")
        worst = 0.0
        for (model, out, engine), (d, rel, mag, n) in sorted(diffs.items()):
            worst = max(worst, rel)
            print("  %-15s %-46s %-11s abs %-9.3g rel %-9.3g |x|max %-9.4g %d" % (model, out, engine, d, rel, mag, n))
        ok = worst <= args.tolerance
        print("\nRESULT: %s (worst scaled error %.3g, tolerance %.3g)" % ("PASS" if ok else "FAIL", worst, args.tolerance))
        return 0 if ok else 1
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
