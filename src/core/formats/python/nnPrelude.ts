/**
 * torch.nn modules that are themselves made of other modules (the Transformer family, the
 * DataParallel wrapper), written as the Python PyTorch runs: same sub-module names, same call
 * order, so their leaves (self_attn, linear1, norm1, ...) are the layers PyTorch reports, each
 * counted by its own table entry.
 * Masks and the fused inference fast path change no shape, so they are left out.
 */
import type { Span } from "./ast";
import { builtin, makeBuiltins } from "./builtins";
import { Interpreter, type Host } from "./interpreter";
import { InterpError } from "./interpErrors";
import { parsePython } from "./parse";
import { NONE, Scope, type PyClass, type PyObject, type PyValue } from "./values";

const SOURCE = `
import torch.nn as nn
import torch.nn.functional as F


class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x))
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x):
        x = self.self_attn(x, x, x, need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x))
            x = x + self._mha_block(self.norm2(x), memory)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x))
            x = self.norm2(x + self._mha_block(x, memory))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x):
        x = self.self_attn(x, x, x, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem):
        x = self.multihead_attn(x, mem, mem, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


class TransformerEncoder(nn.Module):
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        self.layers = nn.ModuleList([_clone(encoder_layer) for i in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for mod in self.layers:
            output = mod(output)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(nn.Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        self.layers = nn.ModuleList([_clone(decoder_layer) for i in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(nn.Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
            encoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
            decoder_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None, memory_is_causal=False):
        memory = self.encoder(src)
        return self.decoder(tgt, memory)


class DataParallel(nn.Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        self.module = module

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
`;

/** Past every imported file's span base (pythonModel's FOREIGN_SPAN_BASE · k): never this file's text. */
const PRELUDE_SPAN_BASE = 1e15;

function shifted<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n: unknown) => shifted(n)) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = shifted(v);
  const span = out as Partial<Span>;
  if (typeof span.from === "number" && typeof span.to === "number") {
    out["from"] = span.from + PRELUDE_SPAN_BASE;
    out["to"] = span.to + PRELUDE_SPAN_BASE;
  }
  return out as T;
}

let parsed: ReturnType<typeof parsePython>["body"] | undefined;

/** copy.deepcopy of a module, as _get_clones does: fresh objects, same constructor arguments. */
export function cloneModule(v: PyValue): PyValue {
  if (v.t !== "object") return v;
  const copy: PyObject = {
    t: "object",
    cls: v.cls,
    attrs: new Map([...v.attrs].map(([k, x]) => [k, cloneModule(x)])),
    ...(v.children
      ? { children: new Map([...v.children].map(([k, c]) => [k, cloneModule(c) as PyObject])) }
      : {}),
    ...(v.leaf ? { leaf: v.leaf } : {}),
    ...(v.defSpan ? { defSpan: v.defSpan } : {}),
    ...(v.opaque !== undefined ? { opaque: v.opaque } : {}),
  };
  return copy;
}

/** The prelude's classes, defined once per host (their methods run in whichever interpreter calls them). */
export function loadPrelude(host: Host): Map<string, PyClass> {
  parsed ??= shifted(parsePython(SOURCE).body);
  const interp = new Interpreter(host);
  const scope = new Scope();
  for (const [k, v] of makeBuiltins(() => interp)) scope.set(k, v);
  const functional = host.importModule("torch.nn.functional", 0);
  const fn = (name: string): PyValue =>
    host.getAttr(functional, name, interp, { from: PRELUDE_SPAN_BASE, to: PRELUDE_SPAN_BASE });
  // _get_activation_fn: "relu" / "gelu" name F's functions; anything else is used as given.
  scope.set(
    "_activation",
    builtin("_activation", (a) => {
      const v = a.args[0] ?? NONE;
      return v.t === "str" && (v.v === "relu" || v.v === "gelu") ? fn(v.v) : v;
    }),
  );
  scope.set(
    "_clone",
    builtin("_clone", (a) => cloneModule(a.args[0] ?? NONE)),
  );
  for (const s of parsed) {
    try {
      interp.exec(s, scope);
    } catch (e) {
      if (!(e instanceof InterpError)) throw e;
    }
  }
  const classes = new Map<string, PyClass>();
  for (const s of parsed) {
    const v = s.kind === "ClassDef" ? scope.get(s.def.name) : undefined;
    if (v?.t === "class") classes.set(v.name, v);
  }
  return classes;
}
