#!/usr/bin/python3
"""Ground truth for Caffe's region pooling layers: Fast/Faster R-CNN's ROIPooling
(rbgirshick/caffe-fast-rcnn roi_pooling_layer.cpp) and R-FCN's PSROIPooling (daijifeng001/caffe-rfcn
psroi_pooling_layer.cpp), whose forward passes torchvision.ops.roi_pool and ps_roi_pool reproduce
(same rounding of the region to the feature map, same bins). Writes test/fixtures/caffe/roi_pooling.prototxt
and its .expected.json: every layer's output shape from PyTorch's forward pass, learned params (the
torch modules' parameters) and MACs (output elements × input channels × kernel area for convolutions,
output elements × input features for InnerProduct; 0 for ReLU and the pooling layers, which compare
or sum without multiplying, as Pooling counts 0). The region layers' receptive field is unknown:
their windows are the rois' values.

    /usr/bin/python3 tools/make_caffe_roi_refs.py   # Debian's python3-torch / torchvision
"""
import json
import pathlib

import torch
from torchvision.ops import ps_roi_pool, roi_pool

ROOT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "caffe"

PROTOTXT = """name: "roi_pooling"
# Fast R-CNN's test-time inputs: the image and R regions (image index, x1, y1, x2, y2) in image pixels.
input: "data"
input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
input: "rois"
input_shape { dim: 4 dim: 5 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 3 pad: 1 stride: 2 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "roi_pool" type: "ROIPooling" bottom: "conv1" bottom: "rois" top: "roi_pool"
  roi_pooling_param { pooled_h: 3 pooled_w: 2 spatial_scale: 0.5 } }
layer { name: "fc" type: "InnerProduct" bottom: "roi_pool" top: "fc" inner_product_param { num_output: 10 } }
# R-FCN's head: position-sensitive score maps (output_dim × group_size² channels), pooled per region.
layer { name: "score_maps" type: "Convolution" bottom: "conv1" top: "score_maps"
  convolution_param { num_output: 18 kernel_size: 1 } }
layer { name: "psroi" type: "PSROIPooling" bottom: "score_maps" bottom: "rois" top: "psroi"
  psroi_pooling_param { spatial_scale: 0.5 output_dim: 2 group_size: 3 } }
layer { name: "vote" type: "Pooling" bottom: "psroi" top: "vote" pooling_param { pool: AVE kernel_size: 3 stride: 3 } }
"""

RF_UNKNOWN = "pools the regions its rois input names"


@torch.no_grad()
def main():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 32, 32)
    rois = torch.tensor([[0, 0, 0, 31, 31], [0, 4, 4, 20, 12], [0, 10, 2, 30, 30], [0, 0, 16, 15, 31]],
                        dtype=torch.float32)
    rows = []

    def row(name, typ, y, params=0, macs=0, rf_unknown=None):
        rows.append(dict(name=name, type=typ, output_shape=list(y.shape), params=params, macs=macs,
                         **({"rf_unknown": rf_unknown} if rf_unknown else {})))

    conv1 = torch.nn.Conv2d(3, 8, 3, 2, 1)
    y = conv1(x)
    row("conv1", "Convolution", y, sum(p.numel() for p in conv1.parameters()), y.numel() * 3 * 9)
    y = torch.relu(y)
    row("relu1", "ReLU", y)
    r = roi_pool(y, rois, (3, 2), 0.5)
    row("roi_pool", "ROIPooling", r, rf_unknown=RF_UNKNOWN)
    fc = torch.nn.Linear(r[0].numel(), 10)
    f = fc(r.flatten(1))
    row("fc", "InnerProduct", f, sum(p.numel() for p in fc.parameters()), f.numel() * fc.in_features)
    score = torch.nn.Conv2d(8, 18, 1)
    s = score(y)
    row("score_maps", "Convolution", s, sum(p.numel() for p in score.parameters()), s.numel() * 8)
    ps = ps_roi_pool(s, rois, 3, 0.5)
    row("psroi", "PSROIPooling", ps, rf_unknown=RF_UNKNOWN)
    v = torch.nn.functional.avg_pool2d(ps, 3, 3, ceil_mode=True)
    row("vote", "Pooling", v)
    ref = dict(model="roi_pooling", totals=dict(params=sum(l["params"] for l in rows),
                                                 macs=sum(l["macs"] for l in rows)), layers=rows)
    (ROOT / "roi_pooling.prototxt").write_text(PROTOTXT)
    (ROOT / "roi_pooling.expected.json").write_text(json.dumps(ref, indent=1) + "\n")
    print(ref["totals"])


if __name__ == "__main__":
    main()
