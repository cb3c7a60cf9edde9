#!/usr/bin/env bash
# Runs the WebGPU benchmark on the GPU machine, from the repo root, with .gl and .gpu carried
# (tools/gpu/prepare.sh builds both; it copies this script into .gpu/). The device command line
# is limited to 2,000 characters, so the set-up lives here:
#   bash .gpu/run-on-device.sh [gpuBench flags, e.g. --quick]
# Writes gpu-bench.{json,md} and run-log.txt to $OUT. Locally (no GPU, nothing unpacked into /):
#   GL_ROOT=/tmp/glroot VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
#     OUT=/tmp/gpu-out bash .gpu/run-on-device.sh --quick
set -u
REPO=$(pwd)
SRC=${GPU_SRC:-$REPO/.gpu}
WORK=${GPU_WORK:-/tmp/convlens-gpu}
GL_ROOT=${GL_ROOT:-/}
OUT=${OUT:-$WORK/out}
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/run-log.txt") 2>&1
t0=$(date +%s)
echo "== $(date -u +%FT%TZ) $(uname -m) $(cat "$SRC/VERSIONS" 2>/dev/null)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# 1. Vulkan loader and GL dispatch libraries: with libvulkan1 alone NVIDIA's driver was refused
#    (VK_ERROR_INCOMPATIBLE_DRIVER); with all seven it worked. Only these go into /.
if [ "$GL_ROOT" = / ]; then
  for f in "$REPO"/.gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
else
  mkdir -p "$GL_ROOT"
  for f in "$REPO"/.gl/*.deb; do dpkg -x "$f" "$GL_ROOT"; done
  export LD_LIBRARY_PATH="$GL_ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# 2. Unpack .gpu into $WORK/b: xz if present, else Python's lzma (the machine may lack xz).
B="$WORK/b"
rm -rf "$B" && cp -r "$SRC" "$B"
find "$B" -name '*.xz' | while read -r f; do
  if command -v xz >/dev/null; then
    xz -d "$f"
  else
    python3 -c 'import lzma, shutil, sys, os
with lzma.open(sys.argv[1]) as i, open(sys.argv[1][:-3], "wb") as o: shutil.copyfileobj(i, o, 1 << 20)
os.remove(sys.argv[1])' "$f"
  fi
done
chmod +x "$B/node"
(cd "$B" && sha256sum -c --quiet SHA256SUMS) || echo "WARNING: checksums differ (see above)"
echo "== unpacked in $(($(date +%s) - t0)) s"

# 3. Find a real GPU adapter: the default driver search first, then NVIDIA's ICD file.
export XDG_RUNTIME_DIR=/tmp # only silences warnings
NODE=("$B/node" --expose-gc)
probe() { "${NODE[@]}" "$B/gpuBench.mjs" --probe; }
probe
rc=$?
if [ $rc -ne 0 ]; then
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] || icd=$(find /usr /etc -name nvidia_icd.json 2>/dev/null | head -1)
  if [ -n "$icd" ]; then
    echo "== probe gave $rc (3: no adapter, 4: fallback only); trying VK_DRIVER_FILES=$icd"
    export VK_DRIVER_FILES=$icd
    egl=${icd%/vulkan/icd.d/nvidia_icd.json}/glvnd/egl_vendor.d/10_nvidia.json
    [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
    if ! probe; then
      VK_LOADER_DEBUG=error,warn probe
      echo "== still no real GPU adapter: back to the default search; the report says what ran"
      unset VK_DRIVER_FILES __EGL_VENDOR_LIBRARY_FILENAMES
    fi
  else
    echo "== probe gave $rc and no nvidia_icd.json was found; going on with what Dawn sees"
  fi
fi

# 4. The benchmark: it saves its report after every step, so a timeout still leaves results.
timeout "${BENCH_TIMEOUT:-540}" "${NODE[@]}" "$B/gpuBench.mjs" --out "$OUT" "$@"
rc=$?
echo "== gpuBench exit $rc after $(($(date +%s) - t0)) s in all"
exit $rc
