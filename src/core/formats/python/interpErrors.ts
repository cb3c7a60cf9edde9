/**
 * Why the interpreter stopped following the code. Kept apart from the interpreter so the
 * expression evaluator, the torch host and tensor indexing can throw them without
 * importing the interpreter itself (no import cycle).
 */
export class InterpError extends Error {}
/** Out of steps or too deep: stops everything, never swallowed by a statement. */
export class BudgetError extends InterpError {}
