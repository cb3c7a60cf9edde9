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
const EXACT: readonly string[] = [
  "ACN",
  "DLA",
  "DPN26",
  "DPN92",
  "DenseNet121",
  "DenseNet161",
  "DenseNet169",
  "DenseNet201",
  "EfficientNetB0",
  "GoogLeNet",
  "LeNet",
  "MobileNet",
  "MobileNetV2",
  "PNASNetA",
  "PNASNetB",
  "PreActResNet101",
  "PreActResNet152",
  "PreActResNet18",
  "PreActResNet34",
  "PreActResNet50",
  "RegNetX_200MF",
  "RegNetX_400MF",
  "RegNetY_400MF",
  "ResNeXt29",
  "ResNet101",
  "ResNet152",
  "ResNet18",
  "ResNet34",
  "ResNet50",
  "SENet18",
  "ShuffleNetG2",
  "ShuffleNetG3",
  "ShuffleNetV2_net_size_0.5",
  "ShuffleNetV2_net_size_1",
  "ShuffleNetV2_net_size_1.5",
  "ShuffleNetV2_net_size_2",
  "SimpleDLA",
  "VGG_VGG11",
  "VGG_VGG13",
  "VGG_VGG16",
  "VGG_VGG19",
  "densenet_cifar",
  "xception",
];

// pythonPath: the repository root, where `import models` finds models/__init__.py.
describeCorpus({
  title: "pytorch-cifar corpus",
  expectedDir: resolve(THIRD_PARTY, "pytorch-cifar-expected"),
  pythonPath: resolve(THIRD_PARTY, "pytorch-cifar"),
  exact: EXACT,
  minBuilders: 40,
});
