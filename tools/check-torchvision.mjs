#!/usr/bin/env node
/**
 * Robustness check on torchvision's real model sources (not part of CI: the
 * sources are not committed). Fetch them from Debian and run:
 *   cd /tmp && apt-get download python3-torchvision && dpkg-deb -x python3-torchvision_*.deb tv
 *   npm run check:torchvision -- /tmp/tv/usr/lib/python3/dist-packages/torchvision/models
 * Each file's default-constructible model classes are traced (imports from sibling
 * files followed) and compared layer by layer with shared/fixtures/expected where one applies.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error("usage: node tools/check-torchvision.mjs <torchvision/models folder>");
  process.exit(2);
}
const { analyzePythonSource, jsonReport } = require(resolve(import.meta.dirname, "../dist/pythonCheck.js"));
const EXPECTED = resolve(import.meta.dirname, "../../shared/fixtures/expected");
const CASES = {
  "alexnet.py": { AlexNet: "alexnet" },
  "densenet.py": { DenseNet: "densenet121" },
  "mobilenetv2.py": { MobileNetV2: "mobilenet_v2" },
  "googlenet.py": { GoogLeNet: "googlenet" },
};

for (const [file, classes] of Object.entries(CASES)) {
  const path = join(dir, file);
  const files = { read: (f) => (existsSync(f) ? readFileSync(f, "utf8") : undefined) };
  const result = analyzePythonSource(readFileSync(path, "utf8"), { fileName: path, files });
  for (const [cls, exp] of Object.entries(classes)) {
    const c = result.classes.find((x) => x.name === cls);
    const expected = JSON.parse(readFileSync(join(EXPECTED, `${exp}.json`), "utf8"));
    if (!c?.analysis) {
      console.log(`${file} ${cls}: FAILED ${c?.error ?? "not found"}`);
      continue;
    }
    const byName = new Map();
    for (const l of jsonReport(c.analysis).layers) if (!byName.has(l.name)) byName.set(l.name, l);
    const bad = expected.layers.filter((e) => {
      const g = byName.get(e.name);
      return (
        !g ||
        JSON.stringify(g.output_shape) !== JSON.stringify(e.output_shape) ||
        g.macs !== e.macs ||
        (e.rf && JSON.stringify(g.rf) !== JSON.stringify(e.rf))
      );
    });
    console.log(
      `${file} ${cls}: ${expected.layers.length - bad.length}/${expected.layers.length} layers match; MACs ${c.analysis.totals.macs} (expected ${expected.totals.macs})`,
    );
  }
}
