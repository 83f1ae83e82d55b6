"""Writes tokenizer.json: a LLaMA-style byte-fallback BPE tokenizer whose ids fit the tiny test model's
320-row vocabulary (<unk>, <s>, </s>, the 256 byte pieces, the dummy-prefix piece, a few letters and merges,
then <image> = 300 and <pad> = 301 as added tokens, like llava-hf). Used to run `perennial chat` end to end on
the tiny checkpoint; the answers are gibberish because the weights are random. Run: python3 make_tokenizer.py"""
import json

vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
for b in range(256):
    vocab["<0x%02X>" % b] = 3 + b
vocab["\u2581"] = 259
for c in "etaoinshrdlucmfwypvbgk":
    vocab[c] = len(vocab)
merges = []
for a, b in [("\u2581", "t"), ("\u2581", "a"), ("t", "h"), ("h", "e"), ("i", "n"), ("e", "r"), ("a", "n"),
             ("r", "e"), ("o", "n"), ("\u2581t", "he"), ("\u2581", "i"), ("\u2581", "w"), ("\u2581", "s"),
             ("\u2581", "c"), ("o", "u"), ("i", "s"), ("\u2581", "o"), ("\u2581", "b")]:
    vocab[a + b] = len(vocab)
    merges.append(a + " " + b)
assert len(vocab) == 300, len(vocab)

special = dict(single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [dict(id=0, content="<unk>", **special), dict(id=1, content="<s>", **special),
                     dict(id=2, content="</s>", **special), dict(id=300, content="<image>", **special),
                     dict(id=301, content="<pad>", **special)],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                       {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": None,
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                       "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                 {"type": "ByteFallback"}, {"type": "Fuse"},
                                                 {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "vocab": vocab, "merges": merges},
}
with open("tokenizer.json", "w", encoding="utf-8") as f:
    json.dump(tokenizer, f, ensure_ascii=False, indent=1)
