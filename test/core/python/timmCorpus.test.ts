/**
 * timm (pytorch-image-models) 1.0.29's real CNN sources, each builder as a user script calls it
 * (`from timm.models.resnet import resnet50; resnet50()`, and a few through the registry,
 * `timm.create_model("resnet50")`), against PyTorch's numbers (tools/make_timm_refs.py).
 * The guarantee: no builder gets a wrong number. The ratchet: builders in EXACT must stay exact.
 */
import { resolve } from "node:path";
import { describeCorpus } from "./corpusSuite";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");

/** Builders that must be "exact" (add one as soon as it is; never remove one). */
const EXACT: readonly string[] = [
  "cspdarknet53",
  "convnext_atto",
  "convnext_tiny",
  "cspresnet50",
  "densenet121",
  "dla34",
  "dpn68",
  "efficientnet_b0",
  "ghostnet_100",
  "hrnet_w18_small",
  "inception_v3",
  "legacy_xception",
  "mnasnet_100",
  "mobilenetv2_100",
  "mobilenetv3_large_100",
  "mobilenetv3_small_100",
  "resnet18",
  "resnet50",
  "resnext50_32x4d",
  "rexnet_100",
  "seresnet50",
  "tf_efficientnet_b0",
  "vgg11",
  "vgg16_bn",
  "xception41",
];

// pythonPath: the folder holding timm/, as site-packages holds it.
describeCorpus({
  title: "timm corpus",
  expectedDir: resolve(THIRD_PARTY, "timm-expected"),
  pythonPath: THIRD_PARTY,
  exact: EXACT,
  minBuilders: 30,
});
