// End-to-end test of the Run tab's Explain view: the trained shapes_cnn runs in the webview, the
// host builds the backward graphs (prepareExplain) and onnxruntime-web runs them. Grad-CAM at relu3,
// saliency and deconvnet on the bundled sample shape_6_stripes.png (the same file as
// shared/fixtures/images/shape_6_stripes.png) must match PyTorch's maps in
// shared/fixtures/expected/backward/shapes_cnn.json; the effective receptive field must report its
// share. Workspace: shapes_cnn.onnx (copied by run.mjs).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "../../scripts/ensure-tools.mjs";
import { closeAllEditors, openInWebview, openRunTab, selectSample, waitForInspector } from "./workbench.mjs";
import { poll, PATIENCE } from "./editorText.mjs";

const fixturesDir = path.resolve(repoRoot, "../shared/fixtures");

/** A raw little-endian float32 file of the fixtures. */
function readBin(rel) {
  const buf = fs.readFileSync(path.join(fixturesDir, rel));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

const text = (frame, id) =>
  frame
    .locator(`[data-testid="${id}"]`)
    .first()
    .textContent({ timeout: PATIENCE * 1000 })
    .then((t) => t.trim())
    .catch(() => "(none)");

/** Max |got − want| against max |want|. */
function compare(got, want) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { diff, scale };
}

/** Picks a method, presses Run and waits for that method's map; returns its data attributes. */
async function explain(frame, method, { log, screenshot }) {
  await frame.locator('[data-testid="explain-method"]').selectOption(method);
  const t0 = Date.now();
  await frame.locator('[data-testid="explain-run"]').click();
  const map = frame.locator(`[data-testid="explain-map"][data-method="${method}"]`);
  const ok = await map.waitFor({ state: "attached", timeout: PATIENCE * 30_000 }).then(
    () => true,
    () => false,
  );
  if (!ok) {
    await screenshot(`explain-${method}-missing`);
    assert.fail(`no ${method} map; status: ${await text(frame, "explain-status")}`);
  }
  const attrs = await map.evaluate((el) => ({
    shape: JSON.parse(el.getAttribute("data-shape")),
    values: el.hasAttribute("data-values") ? JSON.parse(el.getAttribute("data-values")) : null,
    head: JSON.parse(el.getAttribute("data-head")),
  }));
  const backend = await text(frame, "explain-backend");
  const ms = await frame.locator('[data-testid="explain-ms"]').getAttribute("data-ms");
  log(`  ${method}: ${backend}, graph ${Number(ms).toFixed(1)} ms, ${Date.now() - t0} ms from click`);
  assert.equal(backend, "native", `${method} backend (auto without a real GPU: the host engine)`);
  return attrs;
}

export const tests = [
  {
    name: "Explain: shapes_cnn Grad-CAM (relu3), saliency, guided backprop and deconvnet match PyTorch; ERF, Guided Grad-CAM, activation maximisation, Deep Dream (cancelled) run",
    async run({ page, expected, screenshot, log }) {
      const ref = expected("backward/shapes_cnn").images.find((i) => i.image.endsWith("shape_6_stripes.png"));
      assert.ok(ref, "shape_6_stripes.png missing from backward/shapes_cnn.json");

      const frame = await openRunTab(page, "shapes_cnn.onnx", "shapes_cnn", { log });
      // The fixture's preprocessing is pixel / 255; a 64×64 colour input starts from ImageNet mean/std.
      await frame.locator('[data-testid="norm-preset"]').selectOption("[0,1]");
      // The forward pass on shape_0_circle: class 0 (circle).
      await selectSample(frame, "shape_0_circle");
      await frame.locator('[data-testid="run-button"]').click();
      const top = frame.locator('[data-testid="prediction"]').first();
      await top.waitFor({ state: "attached", timeout: PATIENCE * 30_000 });
      assert.equal(await top.getAttribute("data-class"), "0", "top prediction for shape_0_circle");

      // Layer relu3 from the table, then Run ▸ Explain on shape_6_stripes.
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      await frame
        .locator('tr[data-layer-name="relu3"] td[data-col="name"]')
        .click({ timeout: PATIENCE * 10_000 });
      await frame.locator('[data-testid="tab-run"]').click();
      await frame.locator('[data-testid="run-view-explain"]').click();
      await frame
        .locator('[data-testid="explain"]')
        .waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      await selectSample(frame, "shape_6_stripes");

      // Grad-CAM at relu3: 16×16, all values within 1e-3 of the map's max.
      const cam = await explain(frame, "gradcam", { log, screenshot });
      assert.deepEqual(cam.shape, [16, 16], "Grad-CAM shape");
      const wantCam = readBin(ref.maps.gradcam.file);
      assert.equal(cam.values?.length, wantCam.length, "Grad-CAM data-values length");
      const c = compare(cam.values, wantCam);
      assert.ok(c.diff <= 1e-3 * c.scale, `Grad-CAM differs from PyTorch by ${c.diff} (max ${c.scale})`);
      assert.match(await text(frame, "explain-summary"), /Layer relu3 · class 3 \(predicted\)/);
      await screenshot("explain-gradcam");

      // Saliency: [1, 3, 64, 64], the first values against PyTorch's.
      const sal = await explain(frame, "saliency", { log, screenshot });
      assert.deepEqual(sal.shape, [1, 3, 64, 64], "saliency shape");
      const wantSal = readBin(ref.maps.saliency.file);
      const s = compare(sal.head, wantSal.subarray(0, sal.head.length));
      const salMax = Math.max(Math.abs(ref.maps.saliency.min), Math.abs(ref.maps.saliency.max));
      assert.ok(
        s.diff <= 1e-3 * salMax,
        `saliency's first values differ from PyTorch by ${s.diff} (max ${salMax})`,
      );
      await screenshot("explain-saliency");

      // Deconvnet: the strongest relu3 unit (PyTorch: channel 20 at (4, 7)) projected back.
      const dec = await explain(frame, "deconvnet", { log, screenshot });
      assert.deepEqual(dec.shape, [1, 3, 64, 64], "deconvnet shape");
      const u = ref.deconvnet_unit;
      assert.match(
        await text(frame, "explain-summary"),
        new RegExp(`channel ${u.channel} at \\(${u.index.join(", ")}\\)`),
        "deconvnet unit",
      );
      const wantDec = readBin(ref.maps.deconvnet.file);
      const d = compare(dec.head, wantDec.subarray(0, dec.head.length));
      const decMax = Math.max(Math.abs(ref.maps.deconvnet.min), Math.abs(ref.maps.deconvnet.max));
      assert.ok(d.diff <= 1e-3 * decMax, `deconvnet's first values differ by ${d.diff} (max ${decMax})`);
      await screenshot("explain-deconvnet");

      // Effective receptive field of relu3's centre unit: a share of the 20×20 theoretical field.
      await explain(frame, "erf", { log, screenshot });
      const erf = frame.locator('[data-testid="explain-erf"]');
      const share = Number(await erf.getAttribute("data-share"));
      assert.equal(await erf.getAttribute("data-area"), "400", "theoretical field of relu3's centre unit");
      assert.ok(share > 0 && share <= 1, `ERF share ${share}`);
      log(
        `  ERF: 95 % of the mass in ${await erf.getAttribute("data-pixels")} px = ${(share * 100).toFixed(1)} %`,
      );
      await screenshot("explain-erf");

      // Guided backprop against PyTorch, then Guided Grad-CAM (guided × upsampled CAM) in the input's shape.
      const gb = await explain(frame, "guided", { log, screenshot });
      const wantGb = readBin(ref.maps.guided_backprop.file);
      const g = compare(gb.head, wantGb.subarray(0, gb.head.length));
      const gbMax = Math.max(Math.abs(ref.maps.guided_backprop.min), Math.abs(ref.maps.guided_backprop.max));
      assert.ok(g.diff <= 1e-3 * gbMax, `guided backprop's first values differ by ${g.diff} (max ${gbMax})`);
      const ggc = await explain(frame, "guidedGradcam", { log, screenshot });
      assert.deepEqual(ggc.shape, [1, 3, 64, 64], "Guided Grad-CAM shape");
      await screenshot("explain-guided-gradcam");

      // Activation maximisation of relu3's channel 20, 8 steps: the picture evolves step by step.
      await frame.locator('[data-testid="explain-method"]').selectOption("activationMax");
      await frame.locator('[data-testid="explain-channel"]').fill("20");
      await frame.locator('[data-testid="explain-channel"]').dispatchEvent("change");
      await frame.locator('[data-testid="explain-steps"]').fill("8");
      await frame.locator('[data-testid="explain-steps"]').dispatchEvent("change");
      const t0 = Date.now();
      await frame.locator('[data-testid="explain-run"]').click();
      const last = frame.locator('[data-testid="explain-map"][data-method="activationMax"][data-step="8"]');
      const done = await last.waitFor({ state: "attached", timeout: PATIENCE * 30_000 }).then(
        () => true,
        () => false,
      );
      if (!done) await screenshot("explain-activation-max-missing");
      assert.ok(done, `activation maximisation did not reach step 8: ${await text(frame, "explain-status")}`);
      const ms = await frame.locator('[data-testid="explain-ms"]').getAttribute("data-ms");
      log(
        `  activationMax: 8 steps, graph ${Number(ms).toFixed(1)} ms in all, ${Date.now() - t0} ms from click`,
      );
      assert.deepEqual(
        JSON.parse(await last.getAttribute("data-shape")),
        [1, 3, 64, 64],
        "ascent picture shape",
      );
      await screenshot("explain-activation-max");

      // Deep Dream from the current image: cancelled after its first pictures.
      await frame.locator('[data-testid="explain-method"]').selectOption("deepDream");
      await frame.locator('[data-testid="explain-steps"]').fill("5000");
      await frame.locator('[data-testid="explain-steps"]').dispatchEvent("change");
      await frame.locator('[data-testid="explain-run"]').click();
      const dream = frame.locator('[data-testid="explain-map"][data-method="deepDream"]');
      const started = await poll(
        () => dream.getAttribute("data-step", { timeout: PATIENCE * 500 }).then(Number),
        (n) => n >= 8,
        20_000,
        50,
      );
      assert.ok(started >= 8, `Deep Dream pictures: ${started} (${await text(frame, "explain-status")})`);
      await frame.locator('[data-testid="explain-cancel"]').click();
      const cancelled = await poll(
        () => text(frame, "explain-status"),
        (t) => t === "Cancelled.",
        10_000,
      );
      assert.equal(cancelled, "Cancelled.", "Deep Dream status after Cancel");
      const stopped = Number(await dream.getAttribute("data-step"));
      assert.ok(stopped < 5000, `Deep Dream stopped at step ${stopped}`);
      log(`  deepDream: cancelled at step ${stopped}`);
      await screenshot("explain-deep-dream");
      assert.equal(
        await frame.locator('[data-testid="explain-status"][data-error]').count(),
        0,
        "no error shown",
      );
    },
  },
  {
    name: "Explain: a channels-last TFLite model is explained through its channels-first wrapper",
    async run({ page, screenshot, log }) {
      // Its 1×32×32×3 (NHWC) image is fed channels first: the maps are the NCHW image's and the layer's.
      await closeAllEditors(page);
      await openInWebview(page, "mobilenet_block.tflite", { log });
      const frame = await waitForInspector(page, "mobilenet_block", 30_000);
      await frame.locator('[data-testid="tab-run"]').click({ timeout: 10_000 });
      await frame.locator('[data-testid="run-view-explain"]').click({ timeout: PATIENCE * 10_000 });
      await frame
        .locator('[data-testid="explain"]')
        .waitFor({ state: "visible", timeout: PATIENCE * 10_000 });
      const sal = await explain(frame, "saliency", { log, screenshot });
      assert.deepEqual(sal.shape, [1, 3, 32, 32], "saliency: the gradient of the image, channels first");
      assert.ok(
        sal.head.some((v) => v !== 0),
        "saliency is not all zero",
      );
      const cam = await explain(frame, "gradcam", { log, screenshot });
      assert.equal(cam.shape.length, 2, `Grad-CAM: one map over the layer's H×W (${cam.shape})`);
      assert.equal(
        await frame.locator('[data-testid="explain-status"][data-error]').count(),
        0,
        "no error shown",
      );
      await screenshot("explain-channels-last");
    },
  },
];
