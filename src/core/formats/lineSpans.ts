/** Start and end offsets of each line (index 0 = line 1), for placing hints in text model files. */
export function lineSpans(text: string): { from: number; to: number }[] {
  const spans: { from: number; to: number }[] = [];
  let from = 0;
  for (const line of text.split("\n")) {
    spans.push({ from, to: from + line.replace(/\r$/, "").length });
    from += line.length + 1;
  }
  return spans;
}
