/**
 * The data a script feeds its model: torchvision's datasets (the shape of their samples, known
 * from the dataset itself: MNIST's 28×28 grey images, CIFAR's 32×32 RGB), its transforms (how
 * each changes that shape: Resize, CenterCrop, ToTensor, Normalize, Compose…) and
 * torch.utils.data's DataLoader, whose batches are tensors made here. `for data, target in
 * loader: model(data)` then gives the model its input as the script runs. A dataset whose
 * samples are not known (a custom Dataset reading files, an ImageFolder without a crop) gives
 * batches that are unknown with the reason, never a guessed size.
 */
import type { DType } from "../../ir/types";
import { builtin } from "./builtins";
import { transformMember, transformOf, type Sample } from "./torchTransforms";
import { describe, iterate, num, tuple, unknown, type CallArgs, type PyClass, type PyValue } from "./values";

/** What a dataset gives per index: the sample, its target, and where that is known from. */
interface DatasetInfo {
  readonly sample: Sample;
  /**
   * The sample's other items (a class index, int64 []; CelebA's 40 attributes; a TensorDataset's
   * other tensors): the loader yields (data, *rest). Undefined: the sample alone.
   */
  readonly rest?: readonly Part[];
  /** "MNIST", "ImageFolder": the hover says where the input came from. */
  readonly name: string;
}

type Part = { readonly shape: readonly number[]; readonly dtype: DType } | { readonly why: string };

const CLASS_INDEX: readonly Part[] = [{ shape: [], dtype: "int64" }];

/** Makes a tensor outside forward (the torch host's constants). */
export type MakeTensor = (shape: readonly number[], dtype: DType) => PyValue;

/** The batch tensor's origin, keyed by its IR value (the hover says the input came from the loader). */
export type Origins = Map<string, string>;

/** Names of modules this file gives, as `import torchvision.datasets` spells them. */
export const DATA_MODULES: ReadonlySet<string> = new Set([
  "torchvision.datasets",
  "torchvision.transforms",
  "torch.utils.data",
]);

const GREY = (h: number, w: number): Sample => ({ pil: true, c: 1, h, w });
const RGB = (h?: number, w?: number): Sample => ({
  pil: true,
  c: 3,
  ...(h ? { h } : {}),
  ...(w ? { w } : {}),
});

/** torchvision datasets: their samples (PIL images, as torchvision documents them) and transform's index. */
const DATASETS: Readonly<Record<string, { sample: Sample; transformAt: number }>> = {
  MNIST: { sample: GREY(28, 28), transformAt: 2 },
  FashionMNIST: { sample: GREY(28, 28), transformAt: 2 },
  KMNIST: { sample: GREY(28, 28), transformAt: 2 },
  QMNIST: { sample: GREY(28, 28), transformAt: 2 },
  EMNIST: { sample: GREY(28, 28), transformAt: 99 },
  CIFAR10: { sample: RGB(32, 32), transformAt: 2 },
  CIFAR100: { sample: RGB(32, 32), transformAt: 2 },
  SVHN: { sample: RGB(32, 32), transformAt: 2 },
  STL10: { sample: RGB(96, 96), transformAt: 3 },
  // Image files of any size: only a transform that crops or resizes to a fixed size makes it known.
  ImageFolder: { sample: RGB(), transformAt: 1 },
  ImageNet: { sample: RGB(), transformAt: 2 },
  LSUN: { sample: RGB(), transformAt: 2 },
  // 178 wide, 218 high (aligned and cropped); its target is checked apart (target_type).
  CelebA: { sample: RGB(218, 178), transformAt: 3 },
};

/** CelebA's target: 40 attributes by default; the other target types are not followed. */
function celebaTarget(a: CallArgs): readonly Part[] {
  const t = a.kwargs.get("target_type") ?? a.args[2];
  return !t || (t.t === "str" && t.v === "attr")
    ? [{ shape: [40], dtype: "int64" }]
    : [{ why: `CelebA's target_type ${describe(t)} is not followed` }];
}

const datasets = new WeakMap<object, DatasetInfo>();

function datasetValue(info: DatasetInfo): PyValue {
  const v = builtin(`${info.name} dataset`, () => unknown(`a ${info.name} dataset is not callable`));
  datasets.set(v, info);
  return v;
}

function datasetMember(n: string): PyValue | undefined {
  if (n === "FakeData")
    return builtin("datasets.FakeData", (a) => {
      const size = iterate(
        a.args[1] ?? a.kwargs.get("image_size") ?? tuple([3, 224, 224].map((v) => ({ t: "int", v }))),
      );
      const [c, h, w] = size?.map(num) ?? [];
      const sample: Sample =
        c === 3 || c === 1
          ? { pil: true, c, ...(h ? { h } : {}), ...(w ? { w } : {}) }
          : { why: "FakeData's image_size is not known" };
      const f = transformOf(a.kwargs.get("transform") ?? a.args[3]);
      return datasetValue({ sample: f(sample), rest: CLASS_INDEX, name: "FakeData" });
    });
  const known = DATASETS[n];
  if (!known)
    return /^[A-Z]/.test(n)
      ? builtin(`datasets.${n}`, () =>
          datasetValue({
            sample: { why: `the samples of datasets.${n} are not known here` },
            name: n,
          }),
        )
      : undefined;
  return builtin(`datasets.${n}`, (a) => {
    const f = transformOf(a.kwargs.get("transform") ?? a.args[known.transformAt]);
    return datasetValue({
      sample: f(known.sample),
      rest: n === "CelebA" ? celebaTarget(a) : CLASS_INDEX,
      name: n,
    });
  });
}

/** Why a dataset's samples are not known: a class of the script's own (its __getitem__ is not followed). */
function datasetOf(v: PyValue | undefined, datasetClass: PyClass): DatasetInfo {
  const info = v && typeof v === "object" ? datasets.get(v) : undefined;
  if (info) return info;
  if (v?.t === "object" && derivesFrom(v.cls, datasetClass))
    return {
      sample: { why: `the samples of ${v.cls.name} come from its __getitem__, which is not followed` },
      name: v.cls.name,
    };
  const why = v?.t === "unknown" ? v.reason : "a dataset that is not known";
  return {
    sample: { why: `the loader's dataset is not known (${why})` },
    name: "dataset",
  };
}

function derivesFrom(cls: PyClass, base: PyClass): boolean {
  return cls === base || cls.bases.some((b) => derivesFrom(b, base));
}

/** TensorDataset(x, y): each sample is a row of each tensor. */
function tensorDataset(a: CallArgs): PyValue {
  const rows: Part[] = a.args.map((t) => {
    const shape = t.t === "tensor" ? t.state.shape?.slice(1) : undefined;
    return t.t === "tensor" && shape?.every((d): d is number => typeof d === "number")
      ? { shape, dtype: t.state.dtype }
      : { why: "TensorDataset of tensors whose shape is not known" };
  });
  const [first, ...rest] = rows;
  const sample: Sample =
    first && "shape" in first ? { pil: false, ...first } : (first ?? { why: "an empty TensorDataset" });
  return datasetValue({ sample, rest, name: "TensorDataset" });
}

/**
 * DataLoader(dataset, batch_size=1, …): iterating it gives one batch (the loop body runs once:
 * every batch has this shape but the last, which drop_last would leave out).
 */
function dataLoader(a: CallArgs, make: MakeTensor, origins: Origins, datasetClass: PyClass): PyValue {
  const info = datasetOf(a.args[0] ?? a.kwargs.get("dataset"), datasetClass);
  const bs = a.kwargs.get("batch_size") ?? a.args[1] ?? { t: "int", v: 1 };
  const batch = bs.t === "none" ? [] : num(bs) !== undefined ? [num(bs) as number] : undefined;
  const sample = info.sample;
  let item: PyValue;
  if ("why" in sample) item = unknown(sample.why);
  else if (sample.pil)
    item = unknown(`the ${info.name} samples are PIL images (no ToTensor): the loader cannot batch them`);
  else if (!batch)
    item = unknown(
      `the loader's batch size is not known (${bs.t === "unknown" ? bs.reason : "not a number"})`,
    );
  else {
    const data = make([...batch, ...sample.shape], sample.dtype);
    const shape = [...batch, ...sample.shape].join("×");
    const batchText = batch.length ? `in batches of ${batch[0]}` : "unbatched";
    if (data.t === "tensor")
      origins.set(data.value, `${info.name} samples ${sample.shape.join("×")} ${batchText} (${shape})`);
    const part = (p: Part): PyValue => ("why" in p ? unknown(p.why) : make([...batch, ...p.shape], p.dtype));
    item = info.rest ? tuple([data, ...info.rest.map(part)]) : data;
  }
  const loader = builtin(
    "DataLoader",
    () => unknown("a DataLoader is not callable"),
    (n) => (n === "dataset" ? datasetValue(info) : n === "batch_size" ? bs : undefined),
  );
  return { ...loader, items: [item] };
}

/** torch.utils.data: DataLoader, Dataset (a base class), TensorDataset, Subset, random_split. */
function utilsDataMember(
  n: string,
  make: MakeTensor,
  origins: Origins,
  datasetClass: PyClass,
): PyValue | undefined {
  switch (n) {
    case "DataLoader":
      return builtin("DataLoader", (a) => dataLoader(a, make, origins, datasetClass));
    case "Dataset":
    case "IterableDataset":
      return datasetClass;
    case "TensorDataset":
      return builtin(n, tensorDataset);
    case "Subset":
      return builtin(n, (a) => datasetValue(datasetOf(a.args[0], datasetClass)));
    case "random_split":
      return builtin(n, (a) => {
        const parts = iterate(a.args[1] ?? a.kwargs.get("lengths") ?? { t: "none" });
        const info = datasetOf(a.args[0], datasetClass);
        return parts
          ? { t: "list", items: parts.map(() => datasetValue(info)) }
          : unknown("random_split into parts that are not known");
      });
    default:
      return undefined;
  }
}

/** The modules of DATA_MODULES, made for one analysis (`make` and `origins` are its torch host's). */
export function dataModules(make: MakeTensor, origins: Origins): (name: string) => PyValue | undefined {
  const datasetClass: PyClass = { t: "class", name: "Dataset", bases: [], attrs: new Map() };
  const mod = (name: string, member: (n: string) => PyValue | undefined): PyValue =>
    builtin(name, () => unknown(`${name} is a module`), member);
  const data = mod("torch.utils.data", (n) => utilsDataMember(n, make, origins, datasetClass));
  const all: Record<string, PyValue> = {
    "torchvision.datasets": mod("torchvision.datasets", datasetMember),
    "torchvision.transforms": mod("torchvision.transforms", (n) =>
      n === "functional" ? undefined : transformMember(n),
    ),
    "torch.utils.data": data,
    "torch.utils": mod("torch.utils", (n) => (n === "data" ? data : undefined)),
  };
  return (name) => all[name];
}

/** Ops that move or retype a batch without changing what it holds. */
const SAME_DATA = new Set([
  "to",
  "cuda",
  "cpu",
  "float",
  "double",
  "half",
  "type",
  "contiguous",
  "detach",
  "clone",
]);

/** A loader's batch through `data.to(device)` / `data.view(-1, 784)` outside forward keeps its origin. */
export function carryOrigin(origins: Origins, from: PyValue | undefined, out: PyValue, op: string): void {
  const origin = from?.t === "tensor" ? origins.get(from.value) : undefined;
  if (!origin || out.t !== "tensor" || (from?.t === "tensor" && out.value === from.value)) return;
  origins.set(out.value, SAME_DATA.has(op) ? origin : `${origin}, then ${op}`);
}
