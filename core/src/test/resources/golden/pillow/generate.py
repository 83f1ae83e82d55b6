#!/usr/bin/python3
"""Reference data from the real Pillow for dev.perennial.image (decoder, bicubic resize, CLIP preprocessing).

Why: shared/golden/preprocessing only has the upsampling ("up", 64x45) case; the downsampling case
(400x520) and the decoder's PIL `convert("RGB")` rules need reference data too. This script makes it with
Pillow + NumPy (Debian: `apt-get install python3-pil python3-numpy`, run with /usr/bin/python3) and writes
everything into this folder, with golden.json as the index. Tests never run it; they read its outputs.

What it writes
* resize_in_*.png / resize_out_*.png: uint8 RGB input and `Image.resize((w, h), Image.BICUBIC)` output
  (reducing_gap=None, Pillow's default). PNG is lossless, so the tests compare bit for bit.
* decode_*.{png,jpg,gif} and decode_*_rgb.npy: a small file and `np.array(Image.open(f).convert("RGB"))`.
  16-bit and low-bit-depth PNGs are written by a minimal PNG writer below (Pillow cannot save them).
* preprocess_*: CLIPImageProcessor (LLaVA-1.5 settings, shortest edge and crop 64 to keep the files small)
  on the 400x520 image, with and without LLaVA's expand2square, as float32 [1, 3, 64, 64].

transformers is not installable here, so `clip_preprocess` below restates its steps
(transformers/models/clip/image_processing_clip.py and image_transforms.py, spec section "Real LLaVA-1.5
preprocessing and prompt facts"). When shared/golden/preprocessing is present, the script first checks that
this restatement reproduces the real transformers goldens bit for bit, and refuses to write anything if not.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_UP = os.path.join(HERE, "..", "preprocessing")
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


# ------------------------------------------------------------------------------------------- test images

def scene(w, h, seed):
    """Gradients, saturated blocks (bicubic overshoot -> clipping) and a noise patch; deterministic."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x * 7 + y * 3) % 256], -1)
    img[h // 5:h // 2 + 1, w // 6:w // 2 + 1] = [255, 0, 0]
    img[h // 2:h // 2 + max(1, h // 8), :] = [0, 0, 0]
    img[:, w // 3:w // 3 + max(1, w // 10)] = [255, 255, 255]
    cy, cx, r = h * 0.7, w * 0.7, min(w, h) / 5
    img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = [20, 240, 60]
    nh, nw = max(1, h // 4), max(1, w // 4)
    img[:nh, w - nw:] = rng.randint(0, 256, (nh, nw, 3))
    return img.astype(np.uint8)


def save_png(path, arr):
    Image.fromarray(arr).save(path, optimize=True)


# ------------------------------------------------------------------------------------------- CLIP steps

def resize_shortest_edge(arr, s):
    h, w = arr.shape[:2]
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(s * long / short)
    oh, ow = (new_long, s) if w <= h else (s, new_long)
    return np.array(Image.fromarray(arr).resize((ow, oh), resample=Image.BICUBIC, reducing_gap=None))


def center_crop(arr, ch, cw):
    h, w = arr.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    assert top >= 0 and left >= 0, "the cases here never need transformers' zero padding"
    return arr[top:top + ch, left:left + cw]


def clip_preprocess(arr, s):
    x = center_crop(resize_shortest_edge(arr, s), s, s)
    x = (x.astype(np.float64) * 0.00392156862745098).astype(np.float32)
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def expand2square(arr):
    h, w = arr.shape[:2]
    fill = tuple(int(m * 255) for m in MEAN)
    img = Image.fromarray(arr)
    if w == h:
        return arr
    side = max(w, h)
    out = Image.new("RGB", (side, side), fill)
    out.paste(img, ((side - w) // 2, (side - h) // 2))
    return np.array(out)


def check_against_transformers():
    src = os.path.join(SHARED_UP, "image_rgb_uint8_up.npy")
    if not os.path.exists(src):
        sys.exit("need ../preprocessing/image_rgb_uint8_up.npy (the copied transformers goldens)")
    img = np.load(src)
    for name, got in [("pixel_values_hf_processor_up", clip_preprocess(img, 336)),
                      ("pixel_values_llava_pad_up", clip_preprocess(expand2square(img), 336)),
                      ("expand2square_uint8_up", expand2square(img))]:
        want = np.load(os.path.join(SHARED_UP, name + ".npy"))
        if want.shape != got.shape or not np.array_equal(want, got):
            sys.exit("restated CLIP preprocessing differs from transformers on " + name)
    return img


# ------------------------------------------------------------------------------------------- PNG writer

def raw_png(path, samples, color_type, depth, trns=None):
    """A PNG with any bit depth (filter type 0 on every row); samples: [h, w, channels] unsigned ints;
    trns: the 16-bit sample values of a tRNS chunk (one for grey, three for RGB), or None."""
    h, w, c = samples.shape
    rows = []
    for row in samples.reshape(h, w * c):
        if depth == 16:
            data = row.astype(">u2").tobytes()
        elif depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            per = 8 // depth
            padded = np.zeros(-(-len(row) // per) * per, dtype=np.int64)
            padded[:len(row)] = row
            groups = padded.reshape(-1, per)
            data = bytes(int(sum(int(v) << (8 - depth * (i + 1)) for i, v in enumerate(g))) for g in groups)
        rows.append(b"\x00" + data)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    transparency = b"" if trns is None else chunk(b"tRNS", struct.pack(">%dH" % len(trns), *trns))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + transparency
                + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------------------------------- cases

def resize_cases(up_img, down_img):
    wide = scene(120, 40, 4)
    inputs = {"down": down_img, "up": up_img, "small": scene(37, 23, 3), "odd": scene(101, 59, 5),
              "flat": scene(90, 30, 6), "wide": wide, "column": scene(1, 50, 7), "row": scene(50, 1, 9),
              "pixel": scene(1, 1, 10)}
    cases = [  # name, input, (out_w, out_h)
        ("down336", "down", (336, 436)),        # the "down" case of golden.json: 400x520 -> shortest edge 336
        ("down_factor10", "down", (37, 48)),    # large, non-integer factor
        ("down_factor4", "down", (100, 130)),   # integer factor
        ("up336", "up", (477, 336)),            # the "up" case: 64x45 -> shortest edge 336
        ("up_odd", "small", (101, 59)),
        ("down_odd", "odd", (17, 13)),
        ("mixed", "flat", (40, 70)),            # down horizontally, up vertically
        ("horizontal_only", "wide", (45, 40)),
        ("vertical_only", "wide", (120, 97)),
        ("one_column_down", "column", (1, 17)),
        ("one_column_up", "column", (5, 200)),
        ("one_row", "row", (13, 1)),
        ("one_pixel", "pixel", (7, 3)),
    ]
    for name, img in inputs.items():
        save_png(os.path.join(HERE, "resize_in_%s.png" % name), img)
    out = []
    for name, src, (ow, oh) in cases:
        img = inputs[src]
        res = np.array(Image.fromarray(img).resize((ow, oh), resample=Image.BICUBIC))
        save_png(os.path.join(HERE, "resize_out_%s.png" % name), res)
        out.append({"name": name, "input": "resize_in_%s.png" % src, "output": "resize_out_%s.png" % name,
                    "in": [img.shape[1], img.shape[0]], "out": [ow, oh]})
    return out


def decode_cases():
    base = scene(23, 17, 11)
    cases = []

    def record(name, fname, note):
        ref = np.array(Image.open(os.path.join(HERE, fname)).convert("RGB"))
        np.save(os.path.join(HERE, "decode_%s_rgb.npy" % name), ref)
        cases.append({"name": name, "file": fname, "mode": Image.open(os.path.join(HERE, fname)).mode,
                      "note": note})

    img = Image.fromarray(base)
    rgba = np.concatenate([base, (np.arange(23 * 17) % 256).reshape(17, 23, 1).astype(np.uint8)], -1)
    gray = base[..., 0]
    img.save(os.path.join(HERE, "decode_rgb8.png")); record("rgb8", "decode_rgb8.png", "8-bit RGB")
    Image.fromarray(rgba, "RGBA").save(os.path.join(HERE, "decode_rgba8.png"))
    record("rgba8", "decode_rgba8.png", "alpha dropped, not composited")
    Image.fromarray(gray, "L").save(os.path.join(HERE, "decode_gray8.png")); record("gray8", "decode_gray8.png", "L replicated")
    Image.fromarray(np.stack([gray, base[..., 1]], -1), "LA").save(os.path.join(HERE, "decode_gray_alpha8.png"))
    record("gray_alpha8", "decode_gray_alpha8.png", "LA: L replicated, alpha dropped")
    raw_png(os.path.join(HERE, "decode_gray8_trns.png"), gray[..., None].astype(np.int64), 0, 8, trns=[int(gray[0, 0])])
    record("gray8_trns", "decode_gray8_trns.png", "8-bit grey with tRNS: L replicated, transparency ignored")
    pal = img.quantize(colors=16)
    pal.save(os.path.join(HERE, "decode_palette.png")); record("palette", "decode_palette.png", "P expanded")
    pal.save(os.path.join(HERE, "decode_palette_trns.png"), transparency=3)
    record("palette_trns", "decode_palette_trns.png", "P with a transparent index: palette colour kept")
    pal.save(os.path.join(HERE, "decode_palette.gif")); record("palette_gif", "decode_palette.gif", "GIF (P)")

    g16 = (np.arange(23 * 17).reshape(17, 23, 1) * 163).astype(np.int64)  # 0..63,000: most above 255
    raw_png(os.path.join(HERE, "decode_gray16.png"), g16, 0, 16)
    record("gray16", "decode_gray16.png", "16-bit grey: PIL mode I, clipped to 255 (not scaled)")
    raw_png(os.path.join(HERE, "decode_gray16_trns.png"), g16, 0, 16, trns=[163])
    record("gray16_trns", "decode_gray16_trns.png", "16-bit grey with tRNS: still mode I, clipped")
    rgb16 = base.astype(np.int64) * 257 + (np.arange(3) * 37)
    raw_png(os.path.join(HERE, "decode_rgb16.png"), rgb16, 2, 16)
    record("rgb16", "decode_rgb16.png", "16-bit RGB: high byte")
    raw_png(os.path.join(HERE, "decode_rgb16_trns.png"), rgb16, 2, 16, trns=[37, 74, 111])
    record("rgb16_trns", "decode_rgb16_trns.png", "16-bit RGB with tRNS: high byte, transparency ignored")
    rgba16 = np.concatenate([rgb16, g16], -1)
    raw_png(os.path.join(HERE, "decode_rgba16.png"), rgba16, 6, 16)
    record("rgba16", "decode_rgba16.png", "16-bit RGBA: high byte, alpha dropped")
    ga16 = np.concatenate([g16, g16[::-1]], -1)
    raw_png(os.path.join(HERE, "decode_gray_alpha16.png"), ga16, 4, 16)
    record("gray_alpha16", "decode_gray_alpha16.png", "16-bit grey+alpha: PIL mode LA, high byte")
    for depth in (1, 2, 4):
        raw_png(os.path.join(HERE, "decode_gray%d.png" % depth), (gray[..., None].astype(np.int64) >> (8 - depth)), 0, depth)
        record("gray%d" % depth, "decode_gray%d.png" % depth, "%d-bit grey, scaled to 0..255" % depth)

    img.save(os.path.join(HERE, "decode_rgb420.jpg"), quality=90)
    record("rgb420_jpg", "decode_rgb420.jpg", "baseline JPEG, 4:2:0")
    img.save(os.path.join(HERE, "decode_rgb444.jpg"), quality=95, subsampling=0)
    record("rgb444_jpg", "decode_rgb444.jpg", "baseline JPEG, 4:4:4")
    img.save(os.path.join(HERE, "decode_progressive.jpg"), quality=90, progressive=True)
    record("progressive_jpg", "decode_progressive.jpg", "progressive JPEG")
    Image.fromarray(gray, "L").save(os.path.join(HERE, "decode_gray.jpg"), quality=90)
    record("gray_jpg", "decode_gray.jpg", "greyscale JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; neither PIL's open nor LLaVA applies it
    img.save(os.path.join(HERE, "decode_exif_rotated.jpg"), quality=90, exif=exif.tobytes())
    record("exif_rotated_jpg", "decode_exif_rotated.jpg", "EXIF orientation 6, not applied")
    img.convert("CMYK").save(os.path.join(HERE, "decode_cmyk.jpg"), quality=95)
    record("cmyk_jpg", "decode_cmyk.jpg", "Adobe CMYK JPEG, PIL's naive CMYK->RGB")
    return cases


def main():
    up_img = check_against_transformers()
    down_img = scene(400, 520, 1)
    index = {"pillow": PIL.__version__, "numpy": np.__version__,
             "resize": resize_cases(up_img, down_img), "decode": decode_cases()}

    s = 64
    config = {"crop_size": {"height": s, "width": s}, "do_center_crop": True, "do_convert_rgb": True,
              "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN,
              "image_processor_type": "CLIPImageProcessor", "image_std": STD, "resample": 3,
              "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": s}}
    with open(os.path.join(HERE, "preprocessor_config_s64.json"), "w") as f:
        json.dump(config, f, indent=2)
    np.save(os.path.join(HERE, "preprocess_hf_down_s64.npy"), clip_preprocess(down_img, s))
    np.save(os.path.join(HERE, "preprocess_llava_pad_down_s64.npy"), clip_preprocess(expand2square(down_img), s))
    index["preprocess"] = [
        {"input": "resize_in_down.png", "config": "preprocessor_config_s64.json", "pad_to_square": False,
         "output": "preprocess_hf_down_s64.npy"},
        {"input": "resize_in_down.png", "config": "preprocessor_config_s64.json", "pad_to_square": True,
         "output": "preprocess_llava_pad_down_s64.npy"},
    ]
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
