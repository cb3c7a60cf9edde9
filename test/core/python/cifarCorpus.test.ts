/**
 * kuangliu/pytorch-cifar's models/*.py, code nobody on this team wrote, every builder as the
 * repository's main.py calls it (`from models.vgg import VGG`, `VGG('VGG19')`), against PyTorch's
 * numbers (tools/make_cifar_refs.py). Builders PyTorch 1.13 itself refuses (code for Python 2 or
 * an older PyTorch) must not get numbers. The ratchet: builders in EXACT must stay exact.
 */
import { resolve } from "node:path";
import { describeCorpus } from "./corpusSuite";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");

/** Builders that must be "exact" (add one as soon as it is; never remove one). */
const EXACT: readonly string[] = [];

// pythonPath: the repository root, where `import models` finds models/__init__.py.
describeCorpus({
  title: "pytorch-cifar corpus",
  expectedDir: resolve(THIRD_PARTY, "pytorch-cifar-expected"),
  pythonPath: resolve(THIRD_PARTY, "pytorch-cifar"),
  exact: EXACT,
  minBuilders: 40,
});
