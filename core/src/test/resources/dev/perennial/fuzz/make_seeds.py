#!/usr/bin/env python3
"""Writes the hand-made seed inputs of ParserFuzzTest (docs/reliability.md, "Fuzzing the file parsers").

Run from this folder with the system python3 (numpy for the .npy seeds): python3 make_seeds.py
Each fuzz test reads its seeds from ParserFuzzTestInputs/<method>/ (Jazzer's regression layout). Golden files
that are already small are copied from core/src/test/resources; the rest is built here: a few valid files of
each format and a few malformed ones. Files named regression-* are not written here: each holds the input
of a finding and is committed with its fix.
"""
import io
import json
import os
import shutil
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "ParserFuzzTestInputs")
RESOURCES = os.path.normpath(os.path.join(HERE, "..", "..", ".."))   # core/src/test/resources


def put(method, name, data):
    d = os.path.join(INPUTS, method)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def copy(method, name, source):
    with open(os.path.join(RESOURCES, source), "rb") as f:
        put(method, name, f.read())


# ------------------------------------------------------------------------------------------ safetensors
def safetensors(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes); offsets assigned in order."""
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


F32_2x3 = np.arange(6, dtype="<f4").tobytes()
I64_2 = np.array([7, -1], dtype="<i8").tobytes()
put("safetensors", "two-tensors", safetensors([("a", "F32", [2, 3], F32_2x3), ("b", "I64", [2], I64_2)], {"format": "pt"}))
put("safetensors", "half-types", safetensors([("h", "F16", [3], b"\x00\x3c" * 3), ("bf", "BF16", [1, 1], b"\x80\x3f"),
                                              ("u", "U8", [4], b"\x01\x02\x03\x04"), ("z", "F32", [0, 5], b"")]))
put("safetensors", "scalar", safetensors([("s", "F64", [], struct.pack("<d", 1.5))]))
put("safetensors", "empty-header", safetensors([]))
put("safetensors", "overlap", struct.pack("<Q", 96) + json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}).encode().ljust(96) + b"\0" * 8)
put("safetensors", "huge-length", struct.pack("<Q", 1 << 62) + b"{}")

# ------------------------------------------------------------------------------------------ shard index
# The fuzz test writes shard-a.safetensors (tensors "a", "b") and shard-b.safetensors ("c") next to the index.
put("shardIndex", "valid", json.dumps({"metadata": {"total_size": 40},
                                       "weight_map": {"a": "shard-a.safetensors", "b": "shard-a.safetensors", "c": "shard-b.safetensors"}}))
put("shardIndex", "missing-tensor", json.dumps({"weight_map": {"a": "shard-a.safetensors", "c": "shard-b.safetensors"}}))
put("shardIndex", "wrong-shard", json.dumps({"weight_map": {"a": "shard-b.safetensors", "b": "shard-a.safetensors", "c": "shard-b.safetensors"}}))
put("shardIndex", "outside", json.dumps({"weight_map": {"a": "../shard-a.safetensors"}}))
put("shardIndex", "absent-shard", json.dumps({"weight_map": {"a": "shard-c.safetensors"}}))
put("shardIndex", "index-as-shard", json.dumps({"weight_map": {"a": "model.safetensors.index.json"}}))

# ------------------------------------------------------------------------------------------ .npy
def npy(array, version=None, fortran=False):
    buf = io.BytesIO()
    if fortran:
        array = np.asfortranarray(array)
    if version is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


put("npy", "f4-2x3", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put("npy", "i8-fortran", npy(np.arange(6, dtype="<i8").reshape(2, 3), fortran=True))
put("npy", "bool-v2", npy(np.array([True, False, True]), version=(2, 0)))
put("npy", "f2-scalar", npy(np.array(1.5, dtype="<f2")))
put("npy", "u1-empty", npy(np.zeros((0, 4), dtype="|u1")))
put("npy", "i4-3d", npy(np.arange(24, dtype="<i4").reshape(2, 3, 4)))
put("npy", "big-endian", npy(np.arange(3, dtype=">f4")))
put("npy", "object", b"\x93NUMPY\x01\x00" + struct.pack("<H", 54) + b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".ljust(53) + b"\n")

# ------------------------------------------------------------------------------------------ tokenizer.json
copy("tokenizerJson", "tiny-llama", "tiny-tokenizer/tokenizer.json")
tiny = json.load(open(os.path.join(RESOURCES, "tiny-tokenizer/tokenizer.json"), encoding="utf-8"))
metaspace = dict(tiny, normalizer=None, pre_tokenizer={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False})
put("tokenizerJson", "tiny-metaspace", json.dumps(metaspace, ensure_ascii=False))
pairs = dict(tiny)
pairs["model"] = dict(tiny["model"], merges=[m.split(" ") if isinstance(m, str) else m for m in tiny["model"]["merges"]])
put("tokenizerJson", "tiny-merge-arrays", json.dumps(pairs, ensure_ascii=False))
put("tokenizerJson", "not-bpe", json.dumps({"model": {"type": "Unigram", "vocab": []}}))

# ------------------------------------------------------------------------------------------ tokenizer.model
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 5:
        return key + struct.pack("<f", payload)
    return key + varint(len(payload)) + payload


def piece(text, score, kind):
    return field(1, 2, field(1, 2, text.encode()) + field(2, 5, score) + field(3, 0, kind))


def sentencepiece(normal, user_defined=(), trainer_extra=b"", normalizer=None):
    p = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3)
    for b in range(256):
        p += piece("<0x%02X>" % b, 0, 6)
    for i, t in enumerate(normal):
        p += piece(t, -float(i), 1)
    for t in user_defined:
        p += piece(t, 0, 4)
    trainer = field(3, 0, 2) + field(35, 0, 1) + trainer_extra
    if normalizer is None:
        normalizer = field(1, 2, b"identity") + field(3, 0, 1) + field(4, 0, 0)
    return p + field(2, 2, trainer) + field(3, 2, normalizer)


NORMAL = ["\u2581", "a", "b", "c", "\u2581a", "ab", "\u2581ab", "\u2581c", "h", "e", "l", "o", "he", "ll", "llo", "hello", "\u2581hello"]
put("sentencePiece", "tiny-bpe", sentencepiece(NORMAL))
put("sentencePiece", "user-defined", sentencepiece(NORMAL, ["<image>", "<pad>"]))
put("sentencePiece", "no-dummy-prefix", sentencepiece(NORMAL, normalizer=field(3, 0, 0) + field(4, 0, 0)))
put("sentencePiece", "unigram", sentencepiece(NORMAL, trainer_extra=field(3, 0, 1)))
put("sentencePiece", "nfkc", sentencepiece(NORMAL, normalizer=field(1, 2, b"nmt_nfkc") + field(2, 2, b"\x00\x01")))

# ------------------------------------------------------------------------------------------ CLIP vocab.json + merges.txt
# One input = vocab.json, a NUL byte, merges.txt (the fuzz test splits at the first NUL).
def gpt2_symbols():
    out, nxt = [], 256
    for b in range(256):
        printable = ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or b >= 0xAE
        out.append(chr(b) if printable else chr(nxt))
        if not printable:
            nxt += 1
    return out


def clip(merges, extra=()):
    symbols = gpt2_symbols()
    vocab = symbols + [s + "</w>" for s in symbols]
    for left, right in merges:
        if left + right not in vocab:
            vocab.append(left + right)
    vocab += list(extra) + ["<|startoftext|>", "<|endoftext|>"]
    text = json.dumps({p: i for i, p in enumerate(vocab)}, ensure_ascii=False)
    return text.encode() + b"\0" + ("#version: 0.2\n" + "".join(f"{l} {r}\n" for l, r in merges)).encode()


MERGES = [("p", "h"), ("o", "t"), ("ph", "ot"), ("o", "</w>"), ("pho", "t"), ("phot", "o</w>"), ("a", "</w>"), ("c", "a"), ("t", "</w>"), ("ca", "t</w>")]
put("clipTokenizer", "tiny", clip(MERGES))
put("clipTokenizer", "no-merges", clip([]))
put("clipTokenizer", "bad-merge-line", clip(MERGES)[:-1] + b" extra\n")

# ------------------------------------------------------------------------------------------ config.json, both dialects
copy("llavaHfConfig", "tiny-llava-hf", "golden/tiny-llava-hf/config.json")
hf = json.load(open(os.path.join(RESOURCES, "golden/tiny-llava-hf/config.json")))
put("llavaHfConfig", "full-features", json.dumps(dict(hf, vision_feature_select_strategy="full", vision_feature_layer=-1)))
put("llavaHfConfig", "bad-layer", json.dumps(dict(hf, vision_feature_layer=[-2, -1])))
put("llavaHfConfig", "minimal", json.dumps({"model_type": "llava"}))
copy("originalConfig", "tiny-llava-orig", "golden/tiny-llava-orig/config.json")
orig = json.load(open(os.path.join(RESOURCES, "golden/tiny-llava-orig/config.json")))
put("originalConfig", "linear-square", json.dumps(dict(orig, mm_projector_type="linear", image_aspect_ratio="square",
                                                       mm_vision_select_feature="cls_patch")))
put("originalConfig", "remote-tower", json.dumps(dict(orig, mm_vision_tower="openai/clip-vit-large-patch14-336")))
put("originalConfig", "mismatched-hidden", json.dumps(dict(orig, mm_hidden_size=1024)))

# ------------------------------------------------------------------------------------------ LLaVA-JSON records
put("llavaJson", "conversations", json.dumps([
    {"id": "000000033471", "image": "coco/train2017/000000033471.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhat are the colors of the bus in the image?"},
        {"from": "gpt", "value": "The bus in the image is white and red."},
        {"from": "human", "value": "What feature can be seen on the back of the bus?"},
        {"from": "gpt", "value": "The back of the bus features an advertisement."}]},
    {"id": 7, "conversations": [{"from": "human", "value": "Text only?"}, {"from": "gpt", "value": "Yes."}]}], indent=1))
put("llavaJson", "coin-test-records", json.dumps([
    {"question_id": 1, "image": "a.jpg", "text": "What color?", "answer": "red"},
    {"question_id": "q2", "image": ["b.jpg"], "text": "<image>\nHow many?", "answers": [{"answer": "2"}, {"answer": "two"}]},
    {"question_id": 3, "image": "c.jpg", "text": "Where is the cat?", "answer_bbox": "[0.1, 0.2, 0.5, 0.6]"}]))
put("llavaJson", "invalid-samples", json.dumps([
    {"id": "no-conv"}, {"id": "bad-role", "conversations": [{"from": "system", "value": "x"}]},
    {"id": "empty", "conversations": []}, {"id": "ok", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
    {"id": {"nested": 1}, "image": 5, "conversations": [1, {"from": "gpt"}]}]))
put("llavaJson", "empty-array", "[]")
put("llavaJson", "truncated", '[{"id": "a", "conversations": [{"from": "human", "value": "hi')

# ------------------------------------------------------------------------------------------ run files
put("runFile", "list", json.dumps({
    "model": "model", "tokenizer": "model/tokenizer.json", "template": "vicuna_v1", "max_length": 512, "out": "out",
    "tasks": {"list": [{"name": "A", "train": "a/train.json", "test": "a/test.json", "images": "img", "scorer": "exact"},
                       {"name": "B", "train": "b/train.json", "test": "b/test.json", "images": "img"}]},
    "strategies": ["sequential", "replay", "multitask", "adapt-inf", "modalprompt"],
    "budget": 100, "epochs": 2, "batch": 4, "lr": 1e-4, "seed": 3, "lora": {"rank": 4, "alpha": 8, "dropout": 0.0},
    "test_limit": 10, "evaluate_future": True, "answer_batch": 4, "max_new_tokens": 16,
    "replay": {}, "adapt_inf": {"clusters": 4, "dim": 64, "pool_cap": 200},
    "modalprompt": {"clip": "clip", "prompts": 4, "prompt_length": 2, "lambda": 0.1, "lr": 0.01}}, indent=1))
put("runFile", "coin", json.dumps({"model": "m", "out": "o", "tasks": {"coin": {"root": "coin", "images": "images", "order": ["ScienceQA"]}}}))
put("runFile", "shapes", json.dumps({"model": "m", "out": "o", "tasks": {"shapes": "bench"}, "strategies": ["sequential"]}))
put("runFile", "unknown-key", json.dumps({"model": "m", "out": "o", "tasks": {"list": [{"trian": "x"}]}}))

# ------------------------------------------------------------------------------------------ images
for name in sorted(os.listdir(os.path.join(RESOURCES, "golden/pillow"))):
    if name.startswith("decode_") and name.endswith((".png", ".jpg", ".gif")):
        copy("image", name, "golden/pillow/" + name)
put("image", "bmp-2x1", b"BM" + struct.pack("<IHHI", 62, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 2, 1, 1, 24, 0, 8, 2835, 2835, 0, 0)
    + b"\x00\x00\xff\x00\xff\x00\x00\x00")
with open(os.path.join(RESOURCES, "golden/pillow/decode_rgb8.png"), "rb") as f:
    png = f.read()
put("image", "png-truncated", png[: len(png) // 2])
