"""Caffe's protobuf text format as nested dicts of lists, torch-free: shared by the Caffe reference tools."""
import re


def parse(text):
    tokens = re.findall(r'"[^"]*"|[{}:]|[^\s{}:"]+', re.sub(r"#.*", "", text))
    pos = 0

    def block():
        nonlocal pos
        out = {}
        while pos < len(tokens) and tokens[pos] != "}":
            key = tokens[pos]; pos += 1
            if tokens[pos] == ":":
                pos += 1
            if tokens[pos] == "{":
                pos += 1
                val = block(); pos += 1
            else:
                val = tokens[pos].strip('"'); pos += 1
            out.setdefault(key, []).append(val)
        return out
    return block()


def one(d, key, default=None):
    return d.get(key, [default])[0]


def pair(p, single, h, w, default):
    s = [int(v) for v in p.get(single, [])]
    return int(one(p, h, s[0] if s else default)), int(one(p, w, s[1] if len(s) > 1 else (s[0] if s else default)))
