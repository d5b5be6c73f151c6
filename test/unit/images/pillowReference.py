# The reference for pillowReference.test.ts: Debian's python3-pil (Pillow 9.4, the version Meta's
# reference code used). Reads a JSON list of jobs, writes each result as raw RGB bytes.
#   {"op": "resize", "src": raw RGB file, "w", "h", "ow", "oh", "out"}  Image.resize(LANCZOS)
#   {"op": "decode", "src": image file, "out"}                           decode + _whiten_transparency
#   {"op": "vqgan", "src": image file, "t", "out"}                       decode + whiten + _vqgan_input_from
import json
import sys

from PIL import Image


def whiten(img):
    # Meta's _whiten_transparency (numpy there; the same float64 maths per pixel here): RGB as is;
    # otherwise composite on white, (1 - a) * 255 + a * c with a = alpha / 255, truncated.
    if img.mode == "RGB":
        return img
    rgba = img.convert("RGBA").tobytes()
    if all(a == 255 for a in rgba[3::4]):
        return img.convert("RGB")
    out = bytearray(len(rgba) // 4 * 3)
    for i in range(len(rgba) // 4):
        a = rgba[4 * i + 3] / 255.0
        for c in range(3):
            out[3 * i + c] = int((1 - a) * 255 + a * rgba[4 * i + c])
    return Image.frombytes("RGB", img.size, bytes(out))


def vqgan_input(img, t):
    # Meta's _vqgan_input_from up to the crop: shortest side to t (Python's round), centre crop.
    s = min(img.size)
    scale = t / s
    img = img.resize((round(scale * img.size[0]), round(scale * img.size[1])), Image.LANCZOS)
    x0 = (img.width - t) // 2
    y0 = (img.height - t) // 2
    return img.crop((x0, y0, x0 + t, y0 + t))


for job in json.load(open(sys.argv[1])):
    if job["op"] == "resize":
        src = Image.frombytes("RGB", (job["w"], job["h"]), open(job["src"], "rb").read())
        out = src.resize((job["ow"], job["oh"]), Image.LANCZOS)
    elif job["op"] == "decode":
        out = whiten(Image.open(job["src"]))
    else:
        out = vqgan_input(whiten(Image.open(job["src"])), job["t"])
    open(job["out"], "wb").write(out.tobytes())
