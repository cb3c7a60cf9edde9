#!/usr/bin/env bash
# The host engine (onnxruntime-node) on the GPU machine: its WebGPU provider vs its CPU provider.
# Run after .gpu/run-on-device.sh (which unpacks .gl into / and Node into $GPU_WORK/b), with .gpun
# carried (ortnode.tar.xz: onnxruntime-node's linux-x64 files; nativeGpuBench.cjs: tools/gpu/nativeGpuBench.ts
# bundled). Writes native-gpu.{json,md} to $OUT.
set -u
WORK=${GPU_WORK:-/tmp/convlens-gpu}
N="$WORK/native"
mkdir -p "$N/node_modules"
python3 -c 'import lzma, tarfile, sys
with lzma.open(sys.argv[1]) as f: tarfile.open(fileobj=f).extractall(sys.argv[2])' .gpun/ortnode.tar.xz "$N/node_modules"
export XDG_RUNTIME_DIR=/tmp
"$WORK/b/node" .gpun/nativeGpuBench.cjs "$WORK/b/fixtures" "$N/node_modules" "${OUT:-$WORK}"
