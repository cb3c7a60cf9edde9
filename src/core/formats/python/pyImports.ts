/**
 * Imported modules as interpreter values: each file found by the module loader runs once per
 * analysis in its own global scope, when one of its names is first read. A package's
 * submodules are found as attributes (`torchvision.models`), as Python's import sets them.
 */
import { builtin } from "./builtins";
import { dataclassesModule } from "./dataclasses";
import { InterpError } from "./interpErrors";
import { DATA_MODULES } from "./torchData";
import type { Interpreter } from "./interpreter";
import { dirOf, resolveModule, type ModuleSpec, type ParsedModules, type SourceFiles } from "./moduleLoader";
import { Scope, str, unknown, type PyValue } from "./values";

/**
 * Libraries ConvLens knows without reading them (torch: its own table) or that are native code
 * (numpy): never interpreted from the environment, even when they are on the search path.
 */
const NOT_READ =
  /^(torch|numpy|scipy|pandas|matplotlib|PIL|cv2|sklearn|tqdm|tensorflow|jax|onnx|onnxruntime|triton)(\.|$)/;

/**
 * A module's `__dict__` (imagenet's `models.__dict__[args.arch]()`): its names, each value read only
 * when used, so listing the names does not run every module they are imported from.
 */
function moduleDict(scope: Scope): PyValue {
  const entries = new Map<string, { key: PyValue; value: PyValue }>();
  for (const name of scope.ownNames())
    entries.set(`s:${name}`, {
      key: str(name),
      get value() {
        return scope.get(name) ?? unknown(`${name} is not defined`);
      },
    });
  return { t: "dict", entries };
}

interface LoadedModule {
  readonly spec: ModuleSpec;
  readonly scope: Scope;
  readonly run: () => void;
  /**
   * What `from m import *` binds: a literal `__all__`, else (after running) `__all__` or the public names.
   */
  readonly publicNames: () => readonly string[];
}

export class ModuleSystem {
  private readonly byPath = new Map<string, PyValue>();
  private readonly loaded = new WeakMap<object, LoadedModule>();
  private readonly resolved = new Map<string, ModuleSpec | null>();

  constructor(
    private readonly files: SourceFiles,
    private readonly searchPath: readonly string[],
    private readonly parsed: ParsedModules,
    /** Builtins every module sees (a parent scope). */
    private readonly builtins: Scope,
    private readonly interp: () => Interpreter,
  ) {}

  /** The module `name` (relative to `importer` for level > 0), or undefined when no file has it. */
  import(name: string, level: number, importer: string | undefined): PyValue | undefined {
    if (level === 0 && NOT_READ.test(name)) return unknown(`module ${name} is not followed`);
    // Its replace() builds through the interpreter, which the torch host's modules have no access to.
    if (level === 0 && name === "dataclasses") return dataclassesModule(this.interp);
    // Resolved once per analysis: each lookup stats several candidate files.
    const key = `${level}:${name}:${level > 0 && importer ? dirOf(importer) : ""}`;
    let spec = this.resolved.get(key);
    if (spec === undefined) {
      spec = resolveModule(this.files, name, level, importer, this.searchPath) ?? null;
      this.resolved.set(key, spec);
    }
    return spec ? this.moduleValue(spec) : undefined;
  }

  builtin(name: string): PyValue | undefined {
    return this.builtins.has(name) ? this.builtins.get(name) : undefined;
  }

  /** `from mod import *`: each public name bound lazily (the module runs when one is used). */
  importStar(mod: PyValue, scope: Scope): void {
    const m = typeof mod === "object" ? this.loaded.get(mod) : undefined;
    if (!m || mod.t !== "builtin") return;
    for (const name of m.publicNames())
      scope.setLazy(name, () => mod.attrs?.(name) ?? unknown(`${m.spec.name}.${name} is not defined`));
  }

  private moduleValue(spec: ModuleSpec): PyValue {
    const hit = this.byPath.get(spec.path);
    if (hit) return hit;
    const text = this.files.read(spec.path) ?? "";
    const scope = new Scope(this.builtins, spec.path);
    scope.set("__name__", str(spec.name));
    let state: "new" | "running" | "done" = "new";
    const parsed = () => this.parsed.get(spec.path, text);
    const run = () => {
      if (state !== "new") return;
      // A module that imports itself back sees its names so far, as in Python.
      state = "running";
      for (const s of parsed().body) {
        try {
          this.interp().exec(s, scope);
        } catch (e) {
          if (!(e instanceof InterpError)) throw e;
        }
      }
      state = "done";
    };
    const short = spec.name.replace(/^\.+/, "");
    const value = builtin(
      `module ${short}`,
      () => unknown(`module ${short} is not callable`),
      (n) => {
        run();
        if (n === "__dict__") return moduleDict(scope);
        if (scope.has(n)) return scope.get(n);
        // torchvision.datasets / .transforms are ConvLens's own (torchData.ts), not the files.
        if (DATA_MODULES.has(`${short}.${n}`)) return this.interp().host.importModule(`${short}.${n}`, 0);
        return spec.isPackage ? this.import(n, 1, spec.path) : undefined;
      },
    );
    this.byPath.set(spec.path, value);
    const publicNames = (): readonly string[] => {
      const literal = parsed().all;
      if (literal) return literal;
      run();
      const all = scope.has("__all__") ? scope.get("__all__") : undefined;
      const listed =
        all?.t === "list" || all?.t === "tuple"
          ? all.items.map((v) => (v.t === "str" ? v.v : ""))
          : undefined;
      return listed?.every((n) => n !== "") ? listed : scope.ownNames().filter((n) => !n.startsWith("_"));
    };
    this.loaded.set(value, { spec, scope, run, publicNames });
    return value;
  }
}
