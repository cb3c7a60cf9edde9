#!/usr/bin/python3
"""Turns an E2E screenshot (test-results/e2e/NAME.png, 1600×1000) into a README image under
docs/images: cropped to the part that shows the feature, scaled to at most --width pixels and
stored with a 256-colour palette so that it stays under --max-kb (the README's budget per image).

  /usr/bin/python3 tools/readme_screenshot.py test-results/e2e/graph-googlenet-breadcrumb.png \\
      docs/images/graph-googlenet-breadcrumb.png --crop 0,0,1600,1000 --width 1200
"""
import argparse
import pathlib
import sys

from PIL import Image


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--crop", help="left,top,right,bottom in source pixels (default: the whole image)")
    ap.add_argument("--width", type=int, default=1200, help="largest width written (default 1200)")
    ap.add_argument("--max-kb", type=int, default=150, help="fail above this size (default 150)")
    args = ap.parse_args()
    image = Image.open(args.src).convert("RGB")
    if args.crop:
        box = tuple(int(v) for v in args.crop.split(","))
        if len(box) != 4:
            print("--crop needs left,top,right,bottom", file=sys.stderr)
            return 2
        image = image.crop(box)
    if image.width > args.width:
        image = image.resize((args.width, round(image.height * args.width / image.width)), Image.LANCZOS)
    # A screenshot of a UI has few colours: a palette keeps text sharp at a fraction of the bytes.
    image = image.quantize(colors=256, method=Image.MEDIANCUT, dither=Image.NONE)
    out = pathlib.Path(args.dst)
    image.save(out, optimize=True)
    kb = out.stat().st_size / 1024
    print(f"{out}: {image.width}×{image.height}, {kb:.0f} KB")
    if kb > args.max_kb:
        print(f"{out} is over {args.max_kb} KB: crop more or lower --width", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
