/**
 * Python's `type(x)` with one argument: the builtin type of a number, string or container (so that
 * `type(obj) is str` is decided, as torchvision's Weights.verify asks), the class of an object. Of
 * anything else (a tensor, a function, a library value) it is unknown with the reason, never a
 * made-up type.
 */
import { describe, unknown, type PyValue } from "./values";

const BUILTIN_TYPE: Readonly<Partial<Record<PyValue["t"], string>>> = {
  int: "int",
  float: "float",
  str: "str",
  bool: "bool",
  list: "list",
  tuple: "tuple",
  dict: "dict",
};

export function typeBuiltin(builtinOf: (name: string) => PyValue | undefined): PyValue {
  // Built here, not with builtins.ts's builtin(), which would make the two modules import each other.
  return {
    t: "builtin",
    name: "type",
    call: (a) => {
      const v = a.args[0];
      if (!v || a.args.length !== 1) return unknown("type() with other than one argument is not followed");
      if (v.t === "object") return v.cls;
      const name = BUILTIN_TYPE[v.t];
      return (name && builtinOf(name)) || unknown(`type of ${describe(v)} is not followed`);
    },
  };
}
