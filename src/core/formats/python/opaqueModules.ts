/**
 * Modules the analyser cannot follow. A torch.nn class with no entry in the layer table, or a
 * value put into a container that is not a module object (an unavailable import, a user class
 * that failed), becomes an *opaque* module: it keeps its place (container indices do not
 * shift) and calling it gives an unknown value carrying the reason, so nothing downstream is
 * a confident guess.
 */
import { mro } from "./pyClasses";
import { describe, type PyClass, type PyObject, type PyValue } from "./values";

/** The nn classes that hold other modules rather than emit nodes themselves. */
export const CONTAINER_KINDS: readonly string[] = ["Module", "Sequential", "ModuleList", "ModuleDict"];

export function isContainerKind(kind: string): boolean {
  return CONTAINER_KINDS.includes(kind);
}

/** The reason a torch.nn class name cannot be followed. */
export function missingLayerReason(name: string): string {
  return `nn.${name} has no entry in ConvLens's layer table`;
}

/**
 * Why instances of `cls` are opaque: the first class in its MRO that defines forward or is a
 * torch.nn class decides. A user subclass with its own forward is followed as usual.
 */
export function opaqueReason(cls: PyClass, hasLayer: (name: string) => boolean): string | undefined {
  for (const c of mro(cls)) {
    if (c.attrs.has("forward")) return undefined;
    if (c.nn !== undefined)
      return isContainerKind(c.nn) || hasLayer(c.nn) ? undefined : missingLayerReason(c.nn);
  }
  return undefined;
}

const OPAQUE_CLASS: PyClass = { t: "class", name: "OpaqueModule", bases: [], attrs: new Map(), nn: "Module" };

/**
 * A container item or added module: a module object as it is, anything else an opaque child saying what it
 * was.
 */
export function asChild(v: PyValue): PyObject {
  if (v.t === "object" && v.children) return v;
  const why = v.t === "unknown" ? v.reason : `${describe(v)} is not a module`;
  return { t: "object", cls: OPAQUE_CLASS, attrs: new Map(), children: new Map(), opaque: why };
}
