/**
 * PyTorch `.pth` / `.pt` state_dicts as written by `torch.save` (PyTorch ≥ 1.6): a zip archive
 * with `<archive>/data.pkl` (a protocol-2 pickle), one `<archive>/data/<key>` file per storage
 * and `<archive>/version`. The pickle is read by the stack machine in pickle.ts, which knows the few
 * callables torch uses to describe tensors (`_rebuild_tensor_v2`, `_rebuild_parameter`,
 * `OrderedDict`, the storage classes); every other class is kept as an inert record and
 * nothing is ever imported or called. Tensors are gathered from storage + offset + size +
 * stride into contiguous little-endian data (torchStorage.ts); floating-point ones become float32.
 */
import { bad, PyGlobal, PyObject, PyStorage, PyTensor, unpickle, type PyValue } from "./pickle";
import type { StoredTensor } from "./safetensors";
import { materialize } from "./torchStorage";
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from "./zip";

const decoder = new TextDecoder();

// ---- finding the state dict

const WRAPPER_KEYS = ["state_dict", "model_state_dict", "model"];
const PREFIXES = ["module.", "_orig_mod."];

function wholeModelError(obj: PyObject): never {
  return bad(
    `the file holds a whole pickled object of class ${obj.cls} (torch.save(model)), not a state_dict. ` +
      `ConvLens reads tensors only and never runs pickled code: save the weights with torch.save(model.state_dict(), path) instead.`,
  );
}

function findStateDict(value: PyValue): Map<string, PyTensor> {
  if (value instanceof PyObject) wholeModelError(value);
  if (!(value instanceof Map)) return bad("the file holds no dictionary of tensors (a state_dict).");
  for (const key of WRAPPER_KEYS) {
    const inner = value.get(key);
    if (inner instanceof Map || inner instanceof PyObject) return findStateDict(inner);
  }
  let tensors = new Map<string, PyTensor>();
  for (const [k, v] of value) if (typeof k === "string" && v instanceof PyTensor) tensors.set(k, v);
  if (tensors.size === 0) {
    const keys = [...value.keys()].map(String).slice(0, 8);
    return bad(
      `no tensors found (top-level keys: ${keys.join(", ") || "none"}); expected a state_dict, or one under "state_dict", "model_state_dict" or "model".`,
    );
  }
  // DataParallel / torch.compile wrappers prefix every key.
  for (const prefix of PREFIXES) {
    if ([...tensors.keys()].every((k) => k.startsWith(prefix)))
      tensors = new Map([...tensors].map(([k, v]) => [k.slice(prefix.length), v]));
  }
  return tensors;
}

// ---- the file

/**
 * torch.save's magic number, pickled first in the legacy (pre-1.6) format: PROTO 2, LONG1
 * 0x1950a86a20f9469cfc6c.
 */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** The legacy (`_use_new_zipfile_serialization=False`) format: pickles one after another, no zip. */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

export function isPytorchCheckpoint(bytes: Uint8Array): boolean {
  return isZip(bytes) || isLegacyTorchFile(bytes);
}

export function readPytorchCheckpoint(bytes: Uint8Array): Map<string, StoredTensor> {
  if (isLegacyTorchFile(bytes))
    bad(
      "this is the legacy (pre-1.6) torch.save format (_use_new_zipfile_serialization=False), which ConvLens does not read. " +
        "Re-save it with a current PyTorch: torch.save(torch.load(path), path).",
    );
  if (!isZip(bytes)) bad("not a torch.save file (it is not a zip archive).");
  const entries = readZipDirectory(bytes);
  const pkl = [...entries.values()]
    .filter((e) => e.name === "data.pkl" || e.name.endsWith("/data.pkl"))
    .sort((a, b) => a.name.length - b.name.length)[0];
  if ([...entries.keys()].some((n) => n.endsWith("constants.pkl") || n.includes("/code/")))
    bad(
      "this is a TorchScript archive (torch.jit.save), not a state_dict. Save the weights with torch.save(model.state_dict(), path).",
    );
  if (!pkl) return bad("a zip archive without data.pkl: not a torch.save file.");
  const prefix = pkl.name.slice(0, pkl.name.length - "data.pkl".length);
  const entry = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  const order = entry("byteorder");
  const littleEndian = order ? decoder.decode(readZipEntry(bytes, order)).trim() !== "big" : true;

  const top = unpickle(readZipEntry(bytes, pkl), (pid) => {
    if (!Array.isArray(pid) || pid[0] !== "storage") return bad("an unknown persistent id in data.pkl.");
    const [, type, key] = pid;
    if (!(type instanceof PyGlobal)) return bad("a storage without a type.");
    return new PyStorage(type.name, String(key));
  });
  const stateDict = findStateDict(top);
  const storages = new Map<string, Uint8Array>();
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of stateDict) {
    const key = t.storage.key;
    let data = storages.get(key);
    if (!data) {
      const e = entry(`data/${key}`);
      if (!e) return bad(`the data of "${name}" (data/${key}) is missing from the archive.`);
      data = readZipEntry(bytes, e);
      storages.set(key, data);
    }
    out.set(name, materialize(name, t, data, littleEndian));
  }
  return out;
}
