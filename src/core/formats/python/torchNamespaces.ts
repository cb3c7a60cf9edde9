/**
 * The torch module tree as the interpreter sees it: `torch`, `torch.nn`, `torch.nn.functional`,
 * `torch.nn.init`, `torch.nn.parameter`, `torch.jit`, `torch.autograd` and the recorders of
 * `torch.onnx`, built on what the TorchHost knows (its nn classes, parameters, functions and data modules).
 */
import { builtin } from "./builtins";
import type { InstanceRecorder } from "./instances";
import { inputRecorders } from "./inputRecorders";
import { NONE, str, unknown, type PyClass, type PyValue } from "./values";

/** What the namespaces look names up in (the TorchHost). */
export interface TorchNamespaceSite {
  /** A torch.nn class with a table entry, or a container. */
  nnClass(n: string): PyValue | undefined;
  /** nn.Parameter and its kin (registeredParams.ts). */
  paramMember(n: string): PyValue | undefined;
  /** Any other capitalised torch.nn name: a prelude class or an opaque module class. */
  otherNnClass(n: string): PyValue | undefined;
  /** `namespace`: how the source spells the module ("torch" or "F"). */
  torchFunction(n: string, namespace?: string): PyValue | undefined;
  /** torchvision's datasets and transforms, torch.utils.data. */
  data(name: string): PyValue | undefined;
  readonly instances: InstanceRecorder;
  readonly tensorClass: PyClass;
}

function namespace(name: string, member: (n: string) => PyValue | undefined): PyValue {
  return builtin(name, () => unknown(`${name} is a module`), member);
}

/** The namespaces, built anew for each import statement (TorchHost.importModule). */
export function torchNamespaces(site: TorchNamespaceSite): {
  torch: PyValue;
  nn: PyValue;
  functional: PyValue;
  init: PyValue;
  autograd: PyValue;
  recorderModule: (n: string) => PyValue | undefined;
} {
  const nn = namespace(
    "torch.nn",
    (n) =>
      site.nnClass(n) ??
      (n === "functional"
        ? functional
        : n === "init"
          ? init
          : n === "parameter"
            ? parameter
            : (site.paramMember(n) ?? site.otherNnClass(n))),
  );
  const parameter = namespace("torch.nn.parameter", (n) => site.paramMember(n));
  const functional = namespace("torch.nn.functional", (n) => site.torchFunction(n, "F"));
  const init = namespace("torch.nn.init", () => builtin("init", () => NONE));
  // torch.jit: never scripting or tracing here; its decorators leave functions as they are, and a
  // ScriptModule subclass (weiaicunzai/pytorch-cifar100's stochastic depth blocks) is an nn.Module.
  const jit = namespace("torch.jit", (n) =>
    n === "is_scripting" || n === "is_tracing"
      ? builtin(n, () => ({ t: "bool", v: false }))
      : n === "ScriptModule"
        ? site.nnClass("Module")
        : builtin(n, (a) => a.args[0] ?? NONE),
  );
  // torch.autograd.Variable(x, requires_grad=…): since PyTorch 0.4 it returns the tensor x itself
  // (2017-era scripts wrap every batch in it); the rest of autograd is not followed.
  const autograd = namespace("torch.autograd", (n) =>
    n === "Variable" ? builtin(n, (a) => a.args[0] ?? a.kwargs.get("data") ?? NONE) : undefined,
  );
  const recorders = inputRecorders(site.instances);
  const recorderModule = (n: string): PyValue | undefined => {
    const member = recorders[n];
    return member ? namespace(n, member) : undefined;
  };
  const torchMember = (n: string): PyValue | undefined => {
    if (n === "nn") return nn;
    if (n === "onnx") return recorderModule("torch.onnx");
    if (n === "jit") return jit;
    if (n === "autograd") return autograd;
    if (n === "utils") return site.data("torch.utils");
    if (n === "Tensor") return site.tensorClass;
    if (n === "_assert") return builtin(n, () => NONE);
    // Dtypes (torch.float, torch.long) are their names; torch.float is not the tensor method.
    if (/^(float|int|bool|long|double|half|uint|bfloat)\d*$/.test(n)) return str(n);
    return site.torchFunction(n);
  };
  const torch = namespace("torch", torchMember);
  return { torch, nn, functional, init, autograd, recorderModule };
}
