/**
 * parsePython: lezer tree → ast.ts. Structure is compared with spans stripped;
 * spans are checked separately by slicing the source with them.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Expr, PyModule } from "../../../src/core/formats/python/ast";
import { parsePython } from "../../../src/core/formats/python/parse";
import { RESNET_SOURCE, THREE_CLASSES, classes, functions, method, only, strip } from "./pyFixtures";

const CUSTOM_MODELS = resolve(__dirname, "../../../../shared/fixtures/definitions/custom_models.py");

/** The value of `x = <src>`. */
function value(src: string): Expr {
  const s = only(parsePython(`x = ${src}\n`).body);
  if (s.kind !== "Assign") throw new Error(`expected Assign, got ${s.kind}`);
  return s.value;
}

const n = (id: string): unknown => ({ kind: "Name", id });
const num = (v: number, isFloat = false): unknown => ({ kind: "Num", value: v, isFloat });
const attr = (value: unknown, a: string): unknown => ({ kind: "Attribute", value, attr: a });

describe("parsePython expressions", () => {
  it("reads literals", () => {
    expect(strip(value("1e-5"))).toEqual(num(1e-5, true));
    expect(strip(value("0.5"))).toEqual(num(0.5, true));
    expect(strip(value("0x1F"))).toEqual(num(31));
    expect(strip(value("1_000"))).toEqual(num(1000));
    expect(strip(value("3j"))).toEqual(num(3, true));
    expect(strip(value("255."))).toEqual(num(255, true));
    expect(strip(value("True"))).toEqual({ kind: "Bool", value: true });
    expect(strip(value("None"))).toEqual({ kind: "NoneLit" });
    expect(strip(value("..."))).toEqual({ kind: "EllipsisLit" });
    expect(strip(value(`"a\\tb\\x41"`))).toEqual({ kind: "Str", value: "a\tbA" });
    expect(strip(value(`r"a\\tb"`))).toEqual({ kind: "Str", value: "a\\tb" });
    expect(strip(value(`b'\\101'`))).toEqual({ kind: "Str", value: "A" });
    expect(strip(value(`"""tri\nple"""`))).toEqual({ kind: "Str", value: "tri\nple" });
    expect(strip(value(`("con" 'cat')`))).toEqual({ kind: "Str", value: "concat" });
    expect(strip(value(`f"conv{i}"`))).toEqual({ kind: "FString" });
    expect(strip(value(`"a" f"{b}"`))).toEqual({ kind: "FString" });
  });

  it("keeps operators as Python spells them", () => {
    for (const op of ["+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^"]) {
      expect(strip(value(`a ${op} b`))).toEqual({ kind: "BinOp", op, left: n("a"), right: n("b") });
    }
    for (const op of ["-", "+", "~", "not"]) {
      expect(strip(value(`${op} a`))).toEqual({ kind: "UnaryOp", op, operand: n("a") });
    }
  });

  it("builds comparison chains and flat boolean operations", () => {
    expect(strip(value("a is not None"))).toEqual({
      kind: "Compare",
      left: n("a"),
      ops: ["is not"],
      comparators: [{ kind: "NoneLit" }],
    });
    expect(strip(value("a not in b"))).toEqual({
      kind: "Compare",
      left: n("a"),
      ops: ["not in"],
      comparators: [n("b")],
    });
    expect(strip(value("0 <= i < n"))).toEqual({
      kind: "Compare",
      left: num(0),
      ops: ["<=", "<"],
      comparators: [n("i"), n("n")],
    });
    // A parenthesised comparison is an operand, not part of the chain.
    const paren = value("(a < b) == c");
    expect(paren.kind === "Compare" && paren.ops).toEqual(["=="]);
    expect(strip(value("a and b and c or d"))).toEqual({
      kind: "BoolOp",
      op: "or",
      values: [{ kind: "BoolOp", op: "and", values: [n("a"), n("b"), n("c")] }, n("d")],
    });
    expect(strip(value("a if c else b"))).toEqual({
      kind: "IfExp",
      test: n("c"),
      body: n("a"),
      orelse: n("b"),
    });
  });

  it("reads calls with keyword, star and generator arguments", () => {
    expect(strip(value("f(x, *y, k=1, **z)"))).toEqual({
      kind: "Call",
      func: n("f"),
      args: [
        { value: n("x") },
        { star: "*", value: n("y") },
        { name: "k", value: num(1) },
        { star: "**", value: n("z") },
      ],
    });
    const gen = value("sum(p.numel() for p in ps if p)");
    expect(gen.kind === "Call" && strip(gen.args)).toEqual([
      {
        value: {
          kind: "ListComp",
          isGenerator: true,
          elt: { kind: "Call", func: attr(n("p"), "numel"), args: [] },
          generators: [{ target: n("p"), iter: n("ps"), ifs: [n("p")] }],
        },
      },
    ]);
    expect(strip(value("super(ResNet, self).__init__()"))).toEqual({
      kind: "Call",
      args: [],
      func: attr(
        { kind: "Call", func: n("super"), args: [{ value: n("ResNet") }, { value: n("self") }] },
        "__init__",
      ),
    });
  });

  it("reads subscripts, slices and ellipsis indexes", () => {
    expect(strip(value("out[:, -1, :]"))).toEqual({
      kind: "Subscript",
      value: n("out"),
      index: {
        kind: "Tuple",
        elts: [{ kind: "Slice" }, { kind: "UnaryOp", op: "-", operand: num(1) }, { kind: "Slice" }],
      },
    });
    expect(strip(value("x[..., 0]"))).toEqual({
      kind: "Subscript",
      value: n("x"),
      index: { kind: "Tuple", elts: [{ kind: "EllipsisLit" }, num(0)] },
    });
    expect(strip(value("x[1:n:2]"))).toEqual({
      kind: "Subscript",
      value: n("x"),
      index: { kind: "Slice", lower: num(1), upper: n("n"), step: num(2) },
    });
    expect(strip(value("x[::2]"))).toEqual({
      kind: "Subscript",
      value: n("x"),
      index: { kind: "Slice", step: num(2) },
    });
    expect(strip(value("layers[0]"))).toEqual({ kind: "Subscript", value: n("layers"), index: num(0) });
  });

  it("reads displays and comprehensions", () => {
    expect(strip(value("(1,)"))).toEqual({ kind: "Tuple", elts: [num(1)] });
    expect(strip(value("()"))).toEqual({ kind: "Tuple", elts: [] });
    expect(strip(value("[*a, b]"))).toEqual({
      kind: "List",
      elts: [{ kind: "Starred", value: n("a") }, n("b")],
    });
    expect(strip(value(`{"a": 1, **d}`))).toEqual({
      kind: "Dict",
      keys: [{ kind: "Str", value: "a" }, null],
      values: [num(1), n("d")],
    });
    expect(strip(value("[f(k) for k in ks if k for j in k]"))).toEqual({
      kind: "ListComp",
      isGenerator: false,
      elt: { kind: "Call", func: n("f"), args: [{ value: n("k") }] },
      generators: [
        { target: n("k"), iter: n("ks"), ifs: [n("k")] },
        { target: n("j"), iter: n("k"), ifs: [] },
      ],
    });
    expect(strip(value("{k: v for k, v in d}"))).toEqual({
      kind: "DictComp",
      key: n("k"),
      value: n("v"),
      generators: [{ target: { kind: "Tuple", elts: [n("k"), n("v")] }, iter: n("d"), ifs: [] }],
    });
    expect(strip(value("lambda a, b=2: a"))).toEqual({
      kind: "Lambda",
      params: [{ name: "a" }, { name: "b", default: num(2) }],
      body: n("a"),
    });
  });

  it("marks what it does not model as Unsupported", () => {
    // A set comprehension is a list of its distinct items (evalExpression), marked isSet.
    expect(value("{x for x in y}")).toMatchObject({ kind: "ListComp", isSet: true });
    // A set display is its items (membership as Python: `weights in {"imagenet", None}`).
    expect(value("{1, 2}")).toMatchObject({ kind: "Tuple", elts: [{ kind: "Num" }, { kind: "Num" }] });
    expect(value("(n := 3)")).toMatchObject({ kind: "Unsupported", what: "NamedExpression" });
    expect(value("await f()")).toMatchObject({ kind: "Unsupported", what: "AwaitExpression" });
    expect(only(parsePython("print 'py2'\n").body)).toMatchObject({
      kind: "Unsupported",
      what: "PrintStatement",
    });
  });
});

describe("boolean operators and floats lezer misreads", () => {
  const show = (e: Expr): string =>
    e.kind === "BoolOp"
      ? `(${e.values.map(show).join(` ${e.op} `)})`
      : e.kind === "UnaryOp"
        ? `(${e.op} ${show(e.operand)})`
        : e.kind === "Name"
          ? e.id
          : e.kind;
  it("gives `not` a higher precedence than `and` / `or`, as Python", () => {
    // Lezer reads `not a and b` as `not (a and b)`.
    expect(show(value("not a and b or c"))).toBe("(((not a) and b) or c)");
    expect(show(value("a and not b or c"))).toBe("((a and (not b)) or c)");
    expect(show(value("not a and (b or c)"))).toBe("((not a) and (b or c))");
    expect(value("not a is not b")).toMatchObject({ kind: "UnaryOp", operand: { kind: "Compare" } });
  });
  it("reads `0. else` as a float, not the attribute `else` of 0", () => {
    expect(value("1 if r > 0. else 'v 2. if'")).toMatchObject({
      kind: "IfExp",
      test: { comparators: [{ kind: "Num", value: 0, isFloat: true }] },
      orelse: { kind: "Str", value: "v 2. if" },
    });
  });
});

describe("parsePython statements", () => {
  it("reads assignments", () => {
    const [tuple, chain, ann, bare, aug] = parsePython(
      "a, b = f()\nself.x = y = 3\nx: int = 3\ny: float\nx //= 2\n",
    ).body;
    expect(strip(tuple)).toEqual({
      kind: "Assign",
      targets: [{ kind: "Tuple", elts: [n("a"), n("b")] }],
      value: { kind: "Call", func: n("f"), args: [] },
    });
    expect(strip(chain)).toEqual({ kind: "Assign", targets: [attr(n("self"), "x"), n("y")], value: num(3) });
    expect(strip(ann)).toEqual({ kind: "AnnAssign", target: n("x"), value: num(3) });
    expect(strip(bare)).toEqual({ kind: "AnnAssign", target: n("y") });
    expect(strip(aug)).toEqual({ kind: "AugAssign", target: n("x"), op: "//", value: num(2) });
  });

  it("reads control flow", () => {
    const src = [
      "for i, (a, b) in enumerate(z):",
      "    break",
      "else:",
      "    pass",
      "if a:",
      "    pass",
      "elif b:",
      "    continue",
      "else:",
      "    x = 1",
      "while n > 0:",
      "    n -= 1",
      "else:",
      "    done = True",
      "try:",
      "    import foo",
      "except ImportError:",
      "    foo = None",
      "else:",
      "    a = 1",
      "finally:",
      "    b = 2",
      "with torch.no_grad():",
      "    y = model(x)",
      "",
    ].join("\n");
    const [loop, cond, wloop, welse, tryBlock, withBlock] = parsePython(src).body;
    expect(strip(loop)).toMatchObject({
      kind: "For",
      target: { kind: "Tuple", elts: [n("i"), { kind: "Tuple", elts: [n("a"), n("b")] }] },
      iter: { kind: "Call", func: n("enumerate") },
      body: [{ kind: "Break" }],
      orelse: [{ kind: "Pass" }],
    });
    expect(strip(cond)).toEqual({
      kind: "If",
      test: n("a"),
      body: [{ kind: "Pass" }],
      orelse: [
        {
          kind: "If",
          test: n("b"),
          body: [{ kind: "Continue" }],
          orelse: [{ kind: "Assign", targets: [n("x")], value: num(1) }],
        },
      ],
    });
    expect(wloop).toMatchObject({
      kind: "While",
      test: { kind: "Compare", ops: [">"] },
      body: [{ kind: "AugAssign", op: "-" }],
    });
    expect(welse).toMatchObject({ kind: "Block", body: [{ kind: "Assign" }] });
    // Handlers are left out; try, else and finally bodies run in order.
    expect(strip(tryBlock)).toMatchObject({
      kind: "Block",
      body: [
        { kind: "Import" },
        { kind: "Assign", targets: [n("a")] },
        { kind: "Assign", targets: [n("b")] },
      ],
    });
    expect(withBlock).toMatchObject({
      kind: "Block",
      body: [{ kind: "Assign", targets: [{ kind: "Name", id: "y" }] }],
    });
  });

  it("reads imports", () => {
    const body = parsePython(
      "import torch.nn as nn, os\nfrom ..models.resnet import (ResNet as R, conv3x3,)\nfrom . import x\nfrom m import *\n",
    ).body;
    expect(strip(body)).toEqual([
      { kind: "Import", names: [{ name: "torch.nn", asname: "nn" }, { name: "os" }] },
      {
        kind: "ImportFrom",
        module: "models.resnet",
        level: 2,
        names: [{ name: "ResNet", asname: "R" }, { name: "conv3x3" }],
      },
      { kind: "ImportFrom", module: "", level: 1, names: [{ name: "x" }] },
      { kind: "ImportFrom", module: "m", level: 0, names: [{ name: "*" }] },
    ]);
  });

  it("reads simple statements and groups", () => {
    const kinds = parsePython(
      "pass; a = 1\nraise E\nassert x, 'm'\ndel a[0]\nglobal g\nreturn\nyield x\n",
    ).body.map((s) => s.kind);
    expect(kinds).toEqual(["Pass", "Assign", "Raise", "Assert", "Delete", "Global", "Return", "Unsupported"]);
  });

  it("reads definitions with decorators, parameters and spans", () => {
    const src =
      "@torch.no_grad()\n@staticmethod\ndef f(self, a, b: int = 3, *args, c=1, d: float, **kw) -> int:\n    return a\n" +
      "def g(a, *, b=2):\n    pass\n" +
      "class Net(nn.Module, metaclass=Meta):\n    expansion = 1\n";
    const m = parsePython(src);
    const [f, g] = functions(m.body);
    expect(strip(f?.decorators)).toEqual([
      { kind: "Call", func: attr(n("torch"), "no_grad"), args: [] },
      n("staticmethod"),
    ]);
    expect(strip(f?.params)).toEqual([
      { name: "self" },
      { name: "a" },
      { name: "b", default: num(3) },
      { name: "args", star: "*" },
      { name: "c", default: num(1), keywordOnly: true },
      { name: "d", keywordOnly: true },
      { name: "kw", star: "**" },
    ]);
    expect(strip(g?.params)).toEqual([{ name: "a" }, { name: "b", default: num(2), keywordOnly: true }]);
    const net = only(classes(m.body));
    expect(strip(net.bases)).toEqual([attr(n("nn"), "Module")]);
    expect(strip(net.body)).toEqual([{ kind: "Assign", targets: [n("expansion")], value: num(1) }]);
    const slice = (s: { from: number; to: number } | undefined): string => (s ? src.slice(s.from, s.to) : "");
    expect(slice(f?.nameSpan)).toBe("f");
    expect(slice(f?.span).startsWith("@torch.no_grad()")).toBe(true);
    expect(slice(f?.span).endsWith("return a")).toBe(true);
    expect(slice(net.nameSpan)).toBe("Net");
    expect(slice(net.span)).toBe("class Net(nn.Module, metaclass=Meta):\n    expansion = 1");
  });

  it("gives every node a span that slices its own text", () => {
    const src = "y = self.fc(out[:, -1, :]) + 2 ** k\n";
    const s = only(parsePython(src).body);
    const at = (e: { span: { from: number; to: number } }): string => src.slice(e.span.from, e.span.to);
    if (s.kind !== "Assign" || s.value.kind !== "BinOp" || s.value.left.kind !== "Call")
      throw new Error("shape");
    expect(at(s)).toBe("y = self.fc(out[:, -1, :]) + 2 ** k");
    expect(at(s.value.left)).toBe("self.fc(out[:, -1, :])");
    expect(at(s.value.left.func)).toBe("self.fc");
    const arg = s.value.left.args[0]?.value;
    if (arg?.kind !== "Subscript" || arg.index.kind !== "Tuple") throw new Error("shape");
    expect(at(arg)).toBe("out[:, -1, :]");
    expect(arg.index.elts.map(at)).toEqual([":", "-1", ":"]);
    expect(at(s.value.right)).toBe("2 ** k");
  });
});

describe("parsePython on real model code", () => {
  it("reads a torchvision-style ResNet", () => {
    const m = parsePython(RESNET_SOURCE);
    expect(m.errors).toEqual([]);
    expect(classes(m.body).map((c) => c.name)).toEqual(["BasicBlock", "Bottleneck", "ResNet"]);
    expect(functions(m.body).map((f) => f.name)).toEqual([
      "conv3x3",
      "conv1x1",
      "_resnet",
      "resnet18",
      "resnet50",
    ]);
    const [basic, bottleneck, resnet] = classes(m.body);
    expect(strip(basic?.body[0])).toEqual({ kind: "AnnAssign", target: n("expansion"), value: num(1) });
    expect(strip(bottleneck?.body[0])).toEqual({ kind: "Assign", targets: [n("expansion")], value: num(4) });
    expect(strip(method(basic, "forward").body.find((s) => s.kind === "If"))).toMatchObject({
      test: {
        kind: "Compare",
        left: attr(n("self"), "downsample"),
        ops: ["is not"],
        comparators: [{ kind: "NoneLit" }],
      },
    });
    const init = method(resnet, "__init__");
    expect(init.params.map((p) => p.name)).toEqual([
      "self",
      "block",
      "layers",
      "num_classes",
      "zero_init_residual",
      "width_per_group",
    ]);
    expect(init.params[5]).toMatchObject({ keywordOnly: true, default: { kind: "Num", value: 64 } });
    const stem = init.body.find(
      (s) => s.kind === "Assign" && s.targets[0]?.kind === "Attribute" && s.targets[0].attr === "stem",
    );
    expect(strip(stem)).toMatchObject({
      value: {
        kind: "Call",
        func: attr(n("nn"), "Sequential"),
        args: [{ value: { kind: "Call", func: n("OrderedDict"), args: [{ value: { kind: "List" } }] } }],
      },
    });
    const make = method(resnet, "_make_layer");
    expect(make.body.map((s) => s.kind)).toEqual([
      "Assign",
      "If",
      "Assign",
      "Expr",
      "Assign",
      "For",
      "Return",
    ]);
    expect(strip(make.body[6])).toEqual({
      kind: "Return",
      value: { kind: "Call", func: attr(n("nn"), "Sequential"), args: [{ star: "*", value: n("layers") }] },
    });
    expect(strip(make.body[5])).toMatchObject({
      kind: "For",
      target: n("_"),
      iter: { kind: "Call", func: n("range") },
    });
    expect(strip(method(resnet, "_forward_impl").body[6])).toEqual({
      kind: "Assign",
      targets: [n("x")],
      value: {
        kind: "Call",
        func: attr(n("torch"), "flatten"),
        args: [{ value: n("x") }, { value: num(1) }],
      },
    });
    const feat = method(resnet, "feature_sizes");
    expect(strip(feat.decorators)).toEqual([{ kind: "Call", func: attr(n("torch"), "no_grad"), args: [] }]);
    expect(feat.body[0]).toMatchObject({ kind: "Return", value: { kind: "ListComp", isGenerator: false } });
    // `base_width / 64.` is a float literal, not an attribute of 64.
    expect(JSON.stringify(strip(method(bottleneck, "__init__").body[1]))).toContain(
      '{"kind":"Num","value":64,"isFloat":true}',
    );
  });

  it("reads the shared custom_models.py fixture", () => {
    const m = parsePython(readFileSync(CUSTOM_MODELS, "utf8"));
    expect(m.errors).toEqual([]);
    const names = [
      "LeNet5",
      "AlphaGoPolicy",
      "TextCNN",
      "UNetSmall",
      "DilatedNet",
      "LSTMClassifier",
      "ShapesCNN",
    ];
    expect(classes(m.body).map((c) => c.name)).toEqual(names);
    for (const c of classes(m.body)) {
      expect(functions(c.body).map((f) => f.name)).toEqual(["__init__", "forward"]);
      expect(strip(c.bases)).toEqual([attr(n("nn"), "Module")]);
    }
    const [lenet, alphago, textcnn, , , lstm, shapes] = classes(m.body);
    expect(strip(method(lenet, "forward").body[0])).toEqual({
      kind: "Assign",
      targets: [n("x")],
      value: {
        kind: "Call",
        func: attr(n("self"), "s2"),
        args: [
          {
            value: {
              kind: "Call",
              func: attr(n("self"), "act1"),
              args: [{ value: { kind: "Call", func: attr(n("self"), "c1"), args: [{ value: n("x") }] } }],
            },
          },
        ],
      },
    });
    const lstmFwd = method(lstm, "forward").body;
    expect(strip(lstmFwd[0])).toMatchObject({
      kind: "Assign",
      targets: [{ kind: "Tuple", elts: [n("out"), n("_")] }],
    });
    expect(strip(lstmFwd[1])).toMatchObject({
      kind: "Return",
      value: {
        args: [
          {
            value: {
              kind: "Subscript",
              value: n("out"),
              index: {
                kind: "Tuple",
                elts: [{ kind: "Slice" }, { kind: "UnaryOp", op: "-" }, { kind: "Slice" }],
              },
            },
          },
        ],
      },
    });
    const loop = method(alphago, "__init__").body.find((s) => s.kind === "For");
    expect(strip(loop)).toMatchObject({
      target: n("i"),
      iter: {
        kind: "Call",
        func: n("range"),
        args: [{ value: num(2) }, { value: { kind: "BinOp", op: "+", left: n("hidden"), right: num(2) } }],
      },
      body: [
        { kind: "Assign", targets: [{ kind: "Subscript", value: n("layers"), index: { kind: "FString" } }] },
        { kind: "Assign" },
      ],
    });
    expect(method(textcnn, "__init__").params.find((p) => p.name === "kernel_sizes")).toMatchObject({
      default: { kind: "Tuple", elts: [{ value: 3 }, { value: 4 }, { value: 5 }] },
    });
    expect(strip(method(shapes, "__init__").body[1])).toEqual({
      kind: "Assign",
      targets: [{ kind: "Tuple", elts: [n("w1"), n("w2"), n("w3")] }],
      value: n("widths"),
    });
    expect(functions(m.body).map((f) => f.name)).toEqual(["_double_conv"]);
    expect(m.body[m.body.length - 1]).toMatchObject({ kind: "Assign", value: { kind: "List" } });
  });
});

function outline(m: PyModule): Record<string, string[]> {
  return Object.fromEntries(classes(m.body).map((c) => [c.name, functions(c.body).map((f) => f.name)]));
}

describe("parsePython error tolerance", () => {
  const all = { A: ["__init__", "forward"], B: ["__init__", "forward"], C: ["__init__", "forward"] };

  it("keeps every class when a method header lost its colon", () => {
    const m = parsePython(
      THREE_CLASSES(
        [
          "    def __init__(self):",
          "        super().__init__()",
          "        self.conv = nn.Conv2d(3, 8, 3)",
          "",
          "    def forward(self, x)",
          "        x = self.conv(x)",
          "        return x",
        ].join("\n"),
      ),
    );
    expect(outline(m)).toEqual(all);
    expect(m.errors.length).toBeGreaterThan(0);
    expect(method(classes(m.body)[1], "forward").body.map((s) => s.kind)).toEqual(["Assign", "Return"]);
  });

  it("keeps the next method when a call is left open (x = self.conv()", () => {
    const src = THREE_CLASSES(
      [
        "    def __init__(self):",
        "        super().__init__()",
        "        self.conv = nn.Conv2d(3, 8,",
        "",
        "    def forward(self, x):",
        "        x = self.conv(",
        "        return x",
      ].join("\n"),
    );
    const m = parsePython(src);
    expect(outline(m)).toEqual(all);
    const b = classes(m.body)[1];
    expect(method(b, "__init__").body.map((s) => s.kind)).toEqual(["Expr"]);
    expect(method(b, "forward").body.map((s) => s.kind)).toEqual(["Return"]);
    // The blanked lines are reported.
    const texts = m.errors.map((e) => src.slice(e.from, e.to));
    expect(texts).toContain("self.conv = nn.Conv2d(3, 8,");
    expect(texts).toContain("x = self.conv(");
  });

  it("adopts the indented block of a class whose header is cut short", () => {
    const m = parsePython(
      THREE_CLASSES(
        [
          "    def __init__(self, c=nn.Conv2d(3, 8, 3):",
          "        super().__init__()",
          "",
          "    def forward(self, x):",
          "        return x",
        ].join("\n"),
      ).replace("class B(nn.Module):", "class B(nn.Module"),
    );
    expect(outline(m)).toEqual(all);
    expect(strip(classes(m.body)[1]?.bases)).toEqual([attr(n("nn"), "Module")]);
  });

  it("turns half-typed expressions into Unsupported holes", () => {
    const m = parsePython(
      "class A:\n    def f(self):\n        self.a = nn.\n        self.b = \n        return self.a\n",
    );
    const body = method(classes(m.body)[0], "f").body;
    expect(body.map((s) => s.kind)).toEqual(["Assign", "Assign", "Return"]);
    expect(body[0]).toMatchObject({ value: { kind: "Unsupported" } });
    expect(body[1]).toMatchObject({ value: { kind: "Unsupported", what: "⚠" } });
    expect(m.errors.length).toBeGreaterThan(0);
  });

  it("never throws on any prefix of a real file, and keeps the classes before the cut", () => {
    for (let cut = 0; cut <= RESNET_SOURCE.length; cut += 37) {
      const src = RESNET_SOURCE.slice(0, cut);
      const m = parsePython(src);
      expect(m.errors.length).toBeLessThanOrEqual(20);
      if (src.includes("class ResNet"))
        expect(
          classes(m.body)
            .slice(0, 2)
            .map((c) => c.name),
        ).toEqual(["BasicBlock", "Bottleneck"]);
    }
  });

  it("survives absurd nesting", () => {
    for (const src of ["x = " + "(".repeat(3000) + "1" + ")".repeat(3000), "x = " + "[".repeat(3000)]) {
      expect(only(parsePython(src).body)).toMatchObject({
        kind: "Assign",
        targets: [{ kind: "Name", id: "x" }],
      });
    }
  });

  it("reports at most 20 errors", () => {
    const m = parsePython(Array.from({ length: 60 }, (_, i) => `x${i} = (]\n`).join(""));
    expect(m.errors.length).toBe(20);
  });
});

describe("parsePython on a big file", () => {
  it("converts a 2,000+ line file", () => {
    const block = (i: number): string =>
      [
        `class Block${i}(nn.Module):`,
        "    def __init__(self, c):",
        "        super().__init__()",
        "        self.conv = nn.Conv2d(c, c, 3, padding=1)",
        "        self.bn = nn.BatchNorm2d(c)",
        "",
        "    def forward(self, x):",
        "        y = self.bn(self.conv(x))",
        "        if self.training and y is not None:",
        "            y = y[:, :, 1:-1]",
        "        return torch.relu(x + y)",
        "",
        "",
      ].join("\n");
    const src = Array.from({ length: 175 }, (_, i) => block(i)).join("");
    expect(src.split("\n").length).toBeGreaterThan(2000);
    const m = parsePython(src);
    expect(classes(m.body)).toHaveLength(175);
    expect(m.errors).toEqual([]);
  });
});
