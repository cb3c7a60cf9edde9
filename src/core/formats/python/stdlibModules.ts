/**
 * Standard-library and framework modules that training scripts use around the model, known
 * without reading them: `argparse` (an ArgumentParser whose parse_args() gives each option its
 * default, so `Net(num_classes=args.num_classes)` is followed) and Lightning's LightningModule
 * (an nn.Module for shapes: `class LitModel(pl.LightningModule)`).
 */
import { ABSTRACT_TYPES, builtin, mathModule } from "./builtins";
import { copyModule } from "./copyModule";
import { linspace } from "./initTensors";
import { reModule } from "./pyRegex";
import {
  NONE,
  iterate,
  truthy,
  unknown,
  type CallArgs,
  type PyClass,
  type PyObject,
  type PyValue,
} from "./values";

interface Option {
  readonly dest: string;
  readonly value: PyValue;
}

/** A required or positional option: its value comes with the command line, which ConvLens does not run. */
const noValue = (flag: string, kind: string): PyValue =>
  unknown(
    `the command-line argument ${flag} has no default (${kind}: its value comes when the script runs; ` +
      "a default= in its add_argument lets ConvLens follow it)",
  );

/** `--num-classes` → num_classes; `dest=` wins; positional arguments have no default. */
function option(a: CallArgs): Option | undefined {
  const flags = a.args.flatMap((v) => (v.t === "str" ? [v.v] : []));
  const dest = a.kwargs.get("dest");
  const long = flags.find((f) => f.startsWith("--")) ?? flags.find((f) => f.startsWith("-")) ?? flags[0];
  const name = dest?.t === "str" ? dest.v : long?.replace(/^-+/, "").replace(/-/g, "_");
  if (!name) return undefined;
  const action = a.kwargs.get("action");
  const actionName = action?.t === "str" ? action.v : undefined;
  let value: PyValue | undefined = a.kwargs.get("default");
  if (!value) {
    if (actionName === "store_true") value = { t: "bool", v: false };
    else if (actionName === "store_false") value = { t: "bool", v: true };
    else if (!long?.startsWith("-") || truthy(a.kwargs.get("required") ?? { t: "none" }) === true)
      value = noValue(long ?? name, long?.startsWith("-") ? "required" : "positional");
    else value = { t: "none" };
  }
  // argparse converts a string default with `type=` (type=int, default="10").
  const type = a.kwargs.get("type");
  if (value.t === "str" && type?.t === "builtin" && (type.name === "int" || type.name === "float")) {
    const n = Number(value.v);
    value = Number.isFinite(n)
      ? type.name === "int"
        ? { t: "int", v: Math.trunc(n) }
        : { t: "float", v: n }
      : value;
  }
  return { dest: name, value };
}

function argumentParser(): PyValue {
  const options: Option[] = [];
  const parser: PyValue = builtin(
    "ArgumentParser",
    () => unknown("an ArgumentParser is not callable"),
    (n) => {
      switch (n) {
        case "add_argument":
          return builtin(n, (a) => {
            const o = option(a);
            if (o) options.push(o);
            return { t: "none" };
          });
        case "add_argument_group":
        case "add_mutually_exclusive_group":
          return builtin(n, () => parser);
        case "set_defaults":
          return builtin(n, (a) => {
            for (const [dest, value] of a.kwargs) options.push({ dest, value });
            return { t: "none" };
          });
        case "parse_args":
        case "parse_known_args":
          return builtin(n, () => {
            const ns = namespace(options);
            return n === "parse_args" ? ns : { t: "tuple", items: [ns, { t: "list", items: [] }] };
          });
        default:
          return undefined;
      }
    },
  );
  return parser;
}

const NAMESPACE: PyClass = { t: "class", name: "Namespace", bases: [], attrs: new Map() };

/** What parse_args() returns when the script is run without arguments: every default. */
function namespace(options: readonly Option[]): PyObject {
  const obj: PyObject = { t: "object", cls: NAMESPACE, attrs: new Map() };
  for (const o of options) obj.attrs.set(o.dest, o.value);
  return obj;
}

export function argparseModule(): PyValue {
  return builtin(
    "argparse",
    () => unknown("argparse is a module"),
    (n) =>
      n === "ArgumentParser" ? builtin(n, () => argumentParser()) : n === "Namespace" ? NAMESPACE : undefined,
  );
}

/** pytorch_lightning / lightning / lightning.pytorch: LightningModule is an nn.Module here. */
export function lightningModule(name: string, moduleClass: PyClass): PyValue {
  const self: PyValue = builtin(
    name,
    () => unknown(`${name} is a module`),
    (n) => (n === "LightningModule" ? moduleClass : n === "pytorch" ? self : undefined),
  );
  return self;
}

/** itertools.repeat(x, n): n copies (timm's to_2tuple); without n it is endless, not followed. */
export function itertoolsModule(): PyValue {
  const repeat = builtin("itertools.repeat", (a) => {
    const [x, n] = [a.args[0], a.args[1] ?? a.kwargs.get("times")];
    if (!x || n?.t !== "int") return unknown("itertools.repeat without a constant count");
    return { t: "list", items: Array.from({ length: Number(n.v) }, () => x) };
  });
  return builtin(
    "itertools",
    () => unknown("itertools is a module"),
    (n) => (n === "repeat" ? repeat : undefined),
  );
}

/**
 * tqdm's progress bar (`tqdm`, `tqdm.auto`, `tqdm.notebook`, and torch.hub's re-export): iterating
 * `tqdm(loader, desc=…)` gives the loader's items, so the batches a training loop feeds stay known;
 * its display methods do nothing here. An iterable it cannot iterate stays unknown.
 */
function tqdmModule(name: string, builtinOf: (n: string) => PyValue | undefined): PyValue {
  const bar = (iterable: PyValue | undefined): PyValue => {
    const items = iterable ? iterate(iterable) : undefined;
    const display = (n: string): PyValue => builtin(`tqdm.${n}`, () => NONE);
    return {
      ...builtin("tqdm", () => unknown("a tqdm bar is not callable"), display),
      ...(items ? { items } : {}),
    };
  };
  const tqdm = builtin("tqdm", (a) => bar(a.args[0] ?? a.kwargs.get("iterable")));
  const range = builtinOf("range");
  const trange = builtin("trange", (a) => bar(range?.t === "builtin" ? range.call(a) : undefined));
  return moduleOf(name, (n) =>
    n === "tqdm"
      ? tqdm
      : n === "trange"
        ? trange
        : n === "auto" || n === "notebook"
          ? tqdmModule(`${name}.${n}`, builtinOf)
          : undefined,
  );
}

/** Members of standard modules that the interpreter has as builtins (read as `functools.partial`). */
const MODULE_BUILTINS: Readonly<Record<string, readonly string[]>> = {
  functools: ["partial"],
  collections: ["OrderedDict"],
};

const moduleOf = (name: string, member: (n: string) => PyValue | undefined): PyValue =>
  builtin(name, () => unknown(`${name} is a module`), member);

/**
 * The standard and framework modules above, by import name; `moduleClass` is torch.nn.Module,
 * `builtinOf` the interpreter's builtin of a name. Undefined for any other module.
 */
export function stdlibModule(
  name: string,
  moduleClass: PyClass,
  builtinOf: (n: string) => PyValue | undefined,
): PyValue | undefined {
  switch (name) {
    case "math":
      return mathModule();
    case "numpy":
      return moduleOf("numpy", (n) => (n === "linspace" ? builtin("numpy.linspace", linspace) : undefined));
    case "copy":
      return copyModule();
    case "argparse":
      return argparseModule();
    case "itertools":
      return itertoolsModule();
    case "re":
      return reModule();
    case "tqdm":
    case "tqdm.auto":
    case "tqdm.notebook":
    case "torch.hub":
      // torch.hub is known for its tqdm (the rest of it downloads)
      return tqdmModule(name, builtinOf);
    case "types":
      // FunctionType: what isinstance calls a `def` or lambda (timm's create_norm_act).
      return moduleOf(name, (n) => (n === "FunctionType" ? builtin(n, () => NONE) : undefined));
    case "pytorch_lightning":
    case "lightning":
    case "lightning.pytorch":
      return lightningModule(name, moduleClass);
    case "collections":
    case "collections.abc":
    case "functools":
    case "typing":
      // Abstract types are markers `isinstance` understands; the rest is left to the builtins.
      return moduleOf(name, (n) =>
        ABSTRACT_TYPES[n]
          ? builtin(n, () => unknown(`${n}(…) is not followed`))
          : MODULE_BUILTINS[name]?.includes(n)
            ? builtinOf(n)
            : name === "collections" && n === "abc"
              ? stdlibModule("collections.abc", moduleClass, builtinOf)
              : undefined,
      );
  }
  return undefined;
}
