// End-to-end tests of the ConvLens inspector custom editor (viewType convlens.inspector).
// Expected numbers come from shared/fixtures/expected/*.json (PyTorch ground truth).
// Each test gets ctx = { page, expected(name), screenshot(name) } from run.mjs.
import { PATIENCE, poll } from "./editorText.mjs";
import assert from "node:assert/strict";
import fs from "node:fs";
import {
  closeAllEditors,
  openInWebview,
  pickQuickItem,
  readLayerTable,
  readTotal,
  runCommand,
  waitForInspector,
} from "./workbench.mjs";
import { sleep } from "./harness.mjs";

/** Asserts a layer's row exists and returns it, with a message that lists what rows there are. */
function row(rows, name) {
  const r = rows.find((x) => x.name === name);
  const names = rows.map((x) => x.name);
  assert.ok(
    r,
    `no row with data-layer-name="${name}" (rows: ${names.slice(0, 40).join(", ")}${names.length > 40 ? ", …" : ""})`,
  );
  return r;
}

function cell(r, col) {
  const c = r.cells[col];
  assert.ok(c, `row ${r.name} has no td[data-col="${col}"] (cols: ${Object.keys(r.cells).join(", ")})`);
  return c;
}

const shapeText = (shape) => shape.join("×");

/** Compares macs (data-value) and output-shape text of every Conv2d / Linear layer. */
function checkConvAndLinearRows(rows, layers) {
  const checked = layers.filter((l) => l.type === "Conv2d" || l.type === "Linear");
  assert.ok(checked.length > 0, "expected JSON has no Conv2d/Linear layers");
  for (const l of checked) {
    const r = row(rows, l.name);
    assert.equal(Number(cell(r, "macs").value), l.macs, `${l.name}: macs data-value`);
    assert.equal(cell(r, "shape").text, shapeText(l.output_shape), `${l.name}: shape text`);
  }
  return checked.length;
}

async function openModel(page, file, modelName) {
  await closeAllEditors(page);
  await openInWebview(page, file);
  return waitForInspector(page, modelName);
}

export const tests = [
  {
    name: "lenet5.onnx opens in the inspector with the right totals and layers",
    async run({ page, expected, screenshot }) {
      const exp = expected("lenet5");
      const frame = await openModel(page, "lenet5.onnx", "lenet5");
      assert.equal(await readTotal(frame, "total-params"), exp.totals.params, "total-params data-value");
      assert.equal(await readTotal(frame, "total-macs"), exp.totals.macs, "total-macs data-value");
      const rows = await readLayerTable(frame);
      checkConvAndLinearRows(rows, exp.layers);
      await screenshot("lenet5");
    },
  },
  {
    name: "resnet18.onnx (weightless) shows MACs and receptive fields",
    async run({ page, expected, screenshot }) {
      const exp = expected("resnet18");
      const frame = await openModel(page, "resnet18.onnx", "resnet18");
      assert.equal(await readTotal(frame, "total-macs"), exp.totals.macs, "total-macs data-value");
      const rows = await readLayerTable(frame);
      assert.equal(cell(row(rows, "conv1"), "rf-size").text, "7×7", "conv1: rf-size text");
      assert.equal(
        cell(row(rows, "layer4.1.conv2"), "rf-size").text,
        "435×435",
        "layer4.1.conv2: rf-size text",
      );
      for (const name of [
        "conv1",
        "layer1.0.conv1",
        "layer2.0.downsample.0",
        "layer3.1.conv2",
        "layer4.1.conv2",
        "fc",
      ]) {
        const l = exp.layers.find((x) => x.name === name);
        assert.equal(Number(cell(row(rows, name), "macs").value), l.macs, `${name}: macs data-value`);
      }
      await screenshot("resnet18");

      // Exporter plumbing: the Identity aliases of weights are hidden until the toggle is ticked.
      const aliases = exp.onnx.identity_nodes_aliasing_initializers;
      const allNodes = Object.values(exp.onnx.op_counts).reduce((a, b) => a + b, 0);
      const identityRows = (rs) => rs.filter((r) => cell(r, "op").text === "Identity").length;
      assert.equal(identityRows(rows), 0, "Identity rows listed by default");
      assert.equal(rows.length, allNodes - aliases, "rows listed by default");
      const toggle = frame.locator('[data-testid="table-show-plumbing"]');
      await toggle.check({ timeout: PATIENCE * 10_000 });
      let shown = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        shown = await readLayerTable(frame);
        if (shown.length === allNodes) break;
        await sleep(250);
      }
      assert.equal(shown.length, allNodes, "rows listed after showing exporter plumbing");
      assert.equal(identityRows(shown), aliases, "Identity rows listed after the toggle");
      assert.equal(await readTotal(frame, "total-macs"), exp.totals.macs, "total-macs after the toggle");
      await toggle.uncheck({ timeout: PATIENCE * 10_000 });
    },
  },
  {
    name: 'palette "ConvLens: Inspect Model" asks for a workspace model and opens it',
    async run({ page, screenshot }) {
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      // The command shows a QuickPick of the workspace's .onnx files by relative path.
      await pickQuickItem(page, "lenet5.onnx");
      const frame = await waitForInspector(page, "lenet5");
      const name = (await frame.locator('[data-testid="model-name"]').textContent()).trim();
      assert.equal(name, "lenet5", "model-name text");
      await screenshot("palette-lenet5");
    },
  },
  {
    name: "layer filter narrows the table; clicking a row shows its details",
    async run({ page, screenshot }) {
      const frame = await openModel(page, "resnet18.onnx", "resnet18");
      const all = await readLayerTable(frame);
      const filter = frame.locator('[data-testid="layer-filter"]');
      await filter.waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      // A plain <input> or a <vscode-textfield> whose <input> sits in its (open) shadow root.
      const isInput = await filter.evaluate((el) => el.tagName === "INPUT");
      const input = isInput ? filter : filter.locator("input").first();
      await input.fill("layer4");
      // Filtering may be debounced: poll until the visible set settles on names containing layer4.
      let visible = [];
      const deadline = Date.now() + 10_000;
      for (;;) {
        visible = (await readLayerTable(frame)).filter((r) => r.visible);
        if ((visible.length > 0 && visible.every((r) => r.name.includes("layer4"))) || Date.now() > deadline)
          break;
        await sleep(250);
      }
      const wrong = visible.filter((r) => !r.name.includes("layer4")).map((r) => r.name);
      assert.deepEqual(wrong, [], 'rows still visible after filtering for "layer4"');
      const want = all.filter((r) => r.name.includes("layer4")).map((r) => r.name);
      assert.deepEqual(
        visible.map((r) => r.name),
        want,
        "visible rows = all rows whose name contains layer4",
      );
      assert.ok(want.length > 0, "no layer4 rows at all");

      const target = visible.find((r) => r.name === "layer4.1.conv2") ?? visible[0];
      const opText = cell(target, "op").text;
      await frame
        .locator(`tr[data-layer-name="${target.name}"] td[data-col="name"]`)
        .click({ timeout: PATIENCE * 10_000 });
      const details = frame.locator('[data-testid="details"]');
      await details.waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      const until = Date.now() + 10_000;
      let text = "";
      while (Date.now() < until) {
        text = (await details.textContent()) ?? "";
        if (text.includes(opText)) break;
        await sleep(250);
      }
      assert.ok(
        text.includes(opText),
        `details pane shows op "${opText}" of ${target.name}: got ${JSON.stringify(text.slice(0, 200))}`,
      );
      await screenshot("filter-details");
    },
  },
  {
    name: "graph of googlenet: expand all, search, edge shapes, click selects the table row",
    async run({ page, expected, screenshot, log }) {
      const exp = expected("googlenet");
      const frame = await openModel(page, "googlenet.onnx", "googlenet");
      await frame.locator("vscode-tab-header", { hasText: "Graph" }).click({ timeout: PATIENCE * 10_000 });
      const graph = frame.locator('[data-testid="graph"]');
      const t0 = Date.now();
      await graph.locator('[data-testid="graph-expand-all"]').click({ timeout: PATIENCE * 10_000 });
      // Every ONNX node but the Identity aliases of weights (hidden as in the table), each as its own node.
      const want =
        Object.values(exp.onnx.op_counts).reduce((a, b) => a + b, 0) -
        exp.onnx.identity_nodes_aliasing_initializers;
      const count = () =>
        graph.evaluate((g) => ({
          layers: g.querySelectorAll("g.node.layer").length,
          groups: g.querySelectorAll("g.node.group").length,
        }));
      let seen = await count();
      for (const until = Date.now() + 20_000; Date.now() < until && seen.layers !== want;) {
        await sleep(200);
        seen = await count();
      }
      log(`  expand all: ${seen.layers} nodes drawn in ${Date.now() - t0} ms from click`);
      assert.deepEqual(seen, { layers: want, groups: 0 }, "layer and group nodes after Expand all");
      for (const branch of ["branch1", "branch2", "branch3", "branch4"])
        assert.equal(
          await graph.locator(`[data-cluster="inception4a.${branch}"]`).count(),
          1,
          `inception4a.${branch} drawn as a box`,
        );

      // Edge labels: conv1's output (PyTorch) and inception (4a)'s (the GoogLeNet paper, Table 1: 14×14×512).
      const labels = await graph.locator('[data-testid="edge-label"] text').allTextContents();
      const conv1 = exp.layers.find((l) => l.name === "conv1.conv");
      assert.ok(labels.includes(conv1.output_shape.slice(1).join("×")), "conv1's edge label");
      assert.ok(labels.includes("512×14×14"), "inception4a's output edge label");

      // Search marks the 14 nodes of inception4a; Enter steps to the first and centres it.
      const search = graph.locator('[data-testid="graph-search"]');
      await search.fill("inception4a");
      const status = graph.locator('[data-testid="graph-search-status"]');
      await frame
        .locator('[data-testid="graph-search-status"]', { hasText: "14 matches" })
        .waitFor({ timeout: PATIENCE * 10_000 });
      assert.equal(await graph.locator("g.node.match").count(), 14, "nodes marked by the search");
      await search.press("Enter");
      assert.equal((await status.textContent()).trim(), "1 of 14", "status after Enter");
      assert.equal(await graph.locator("g.node.current-match").count(), 1, "current match marked");

      // Clicking a node selects its row in the table (and shows it in the details pane).
      const name = "inception4a.branch2.1.conv";
      await search.fill(name);
      await search.press("Enter");
      const node = graph.locator("g.node.current-match");
      const layerIndex = await node.getAttribute("data-node-layer");
      await node
        .locator("rect")
        .first()
        .click({ timeout: PATIENCE * 10_000 });
      const details = frame.locator('[data-testid="details"]');
      await frame
        .locator('[data-testid="details"]', { hasText: name })
        .waitFor({ timeout: PATIENCE * 10_000 });
      assert.ok((await details.textContent()).includes(name), "details pane shows the clicked layer");
      await screenshot("graph-googlenet");

      // Zoomed in on inception4a.branch2.1.conv: the breadcrumb names the groups around it.
      const crumbs = graph.locator('[data-testid="graph-breadcrumb"]');
      const groups = () =>
        crumbs.locator("a[data-group]").evaluateAll((as) => as.map((a) => a.dataset.group));
      const crumbPath = (await poll(groups, (g) => g?.includes("inception4a.branch2"), 10_000)) ?? [];
      assert.deepEqual(
        crumbPath.slice(0, 3),
        ["", "inception4a", "inception4a.branch2"],
        "breadcrumb: Model › inception4a › branch2",
      );
      assert.ok(await crumbs.isVisible(), "the breadcrumb is shown");
      // Its inception4a crumb shows that group alone: every other group collapsed to one node, its
      // branches still open, the view fitted on its box (the whole box in view).
      await crumbs.locator('a[data-group="inception4a"]').click();
      const focused = () =>
        graph.evaluate((g) => {
          const canvas = g.querySelector(".graph-canvas").getBoundingClientRect();
          const box = g.querySelector('[data-cluster="inception4a"] rect')?.getBoundingClientRect();
          const clusters = [...g.querySelectorAll("[data-cluster]")].map((c) => c.dataset.cluster);
          return {
            whole:
              box !== undefined &&
              box.left >= canvas.left - 1 &&
              box.top >= canvas.top - 1 &&
              box.right <= canvas.right + 1 &&
              box.bottom <= canvas.bottom + 1,
            outside: clusters.filter((c) => c !== "inception4a" && !c.startsWith("inception4a.")),
            collapsed: [...g.querySelectorAll("g.node.group")].map((n) => n.dataset.nodeGroup),
          };
        });
      const after = await poll(focused, (v) => v?.whole === true && v.outside.length === 0, 5000);
      assert.deepEqual(after?.outside, [], "no group outside inception4a stays expanded");
      assert.equal(after?.whole, true, "inception4a's whole box in view after its crumb");
      for (const group of ["inception3a", "inception4b", "inception5b"])
        assert.ok(after.collapsed.includes(group), `${group} collapsed to one node: ${after.collapsed}`);
      for (const branch of ["branch1", "branch4"])
        assert.equal(
          await graph.locator(`[data-cluster="inception4a.${branch}"]`).count(),
          1,
          `inception4a.${branch} still open`,
        );
      await screenshot("graph-googlenet-breadcrumb");
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      const selected = frame.locator('tr[aria-selected="true"]');
      await selected.waitFor({ timeout: PATIENCE * 10_000 });
      assert.equal(
        await selected.getAttribute("data-layer-index"),
        layerIndex,
        "table row selected by the click",
      );
      assert.equal(await selected.getAttribute("data-layer-name"), name, "selected row's name");
    },
  },
  {
    name: "quantized ResNet-18 (QDQ): the header shows its weight bytes, a conv's details int8 and its scale",
    async run({ page, expected, screenshot }) {
      const exp = expected("resnet18");
      const frame = await openModel(page, "resnet18_qdq.onnx", "resnet18_qdq");
      assert.equal(await readTotal(frame, "total-macs"), exp.totals.macs, "total-macs data-value");
      // int8 conv weights (1 byte), int32 conv biases and the float fc (4 bytes): BatchNorm is folded
      // into the convs, so the float file's initializers are the parameters.
      const convs = exp.layers.filter((l) => l.type === "Conv2d");
      const four = 512 * 1000 + 1000 + convs.reduce((n, l) => n + l.output_shape[1], 0);
      const params = exp.onnx.initializer_elements_incl_identity_aliases;
      assert.equal(await readTotal(frame, "total-weight-bytes"), params - four + 4 * four, "weight bytes");
      // conv1's weight scale as the onnx package reads it (test/fixtures/quantized/quant_params.json).
      const weightScale = 0.0015660971403121948;
      // The row of the Conv node itself (its QuantizeLinear / DequantizeLinear share the module path).
      await frame
        .locator('tr[data-layer-name="conv1"] td[data-col="name"][title$="node: /conv1/Conv"]')
        .click({ timeout: PATIENCE * 10_000 });
      const quant = frame.locator('[data-testid="details-quantization"]');
      await quant.waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      const text = (await quant.textContent()) ?? "";
      const want = `int8 · scale ${Number(weightScale.toPrecision(4))} · zero point 0`;
      assert.ok(text.includes(want), `conv1 details: ${JSON.stringify(want)} in ${JSON.stringify(text)}`);
      await screenshot("quantized-details");
    },
  },
  {
    name: "inspector header and rows: a Loop counts its body's MACs times the trip count",
    async run({ page, screenshot }) {
      // tools/make_control_flow_models.py: 2 iterations of an 8→8 3×3 conv on 16×16 (PyTorch's module).
      const ref = JSON.parse(
        fs.readFileSync(new URL("../fixtures/controlflow/loop_conv.json", import.meta.url), "utf8"),
      );
      const frame = await openModel(page, "loop_conv.onnx", "loop_conv");
      assert.equal(await readTotal(frame, "total-macs"), ref.macs, "total-macs data-value");
      const loop = (await readLayerTable(frame)).find((r) => cell(r, "op").text === "Loop");
      assert.ok(loop, "a Loop row");
      assert.equal(Number(cell(loop, "macs").value), ref.macs, "Loop row: macs data-value");
      assert.equal(cell(loop, "shape").text, shapeText(ref.outputs[0]), "Loop row: shape text");
      // Its details list the body's nodes: the conv with its MACs for one iteration.
      await frame
        .locator(`tr[data-layer-index="${loop.index}"] td[data-col="name"]`)
        .click({ timeout: PATIENCE * 10_000 });
      const body = frame.locator('[data-testid="details-body"]');
      await body.waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      const text = (await body.textContent()) ?? "";
      assert.ok(text.includes("Conv 1×8×16×16"), `body rows: ${JSON.stringify(text.slice(0, 300))}`);
      await screenshot("loop-conv");
    },
  },
  {
    name: "inspector header: a symbolic batch says its counts are per sample",
    async run({ page, screenshot }) {
      const frame = await openModel(page, "resnet18_dynamic.onnx", "resnet18_dynamic");
      const badge = frame.locator('[data-testid="per-sample"]');
      await badge.waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      assert.equal((await badge.textContent()).trim(), "per sample (batch assumed 1)", "badge text");
      const labels = await frame.locator(".totals dt").allTextContents();
      assert.ok(labels.includes("MACs per sample"), `MACs label: ${JSON.stringify(labels)}`);
      await screenshot("per-sample");
    },
  },
];
