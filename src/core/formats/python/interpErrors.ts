/**
 * Why the interpreter stopped following the code. Kept apart from the interpreter so the
 * expression evaluator, the torch host and tensor indexing can throw them without
 * importing the interpreter itself (no import cycle).
 */
export class InterpError extends Error {}
/** Out of steps or too deep: stops everything, never swallowed by a statement. */
export class BudgetError extends InterpError {}

const RAISES = "PyTorch raises ";

/**
 * The code certainly raises when Python runs it (a float channel count, `if` on a tensor of many
 * values): the model cannot be built or run at all, so no number may be given for it. It goes up
 * through every __init__ and statement that would swallow an ordinary InterpError (the failure is
 * the model's, not the analyser's); a `try:` block turns it back into one.
 */
export class PyRaises extends InterpError {
  constructor(exception: string) {
    super(RAISES + exception);
  }
}

/** An unknown value's reason that says PyTorch itself raises (its PyRaises message). */
export function raisedInPython(reason: string): boolean {
  return reason.startsWith(RAISES);
}
