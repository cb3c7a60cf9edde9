/**
 * A small Python AST: the subset of Python that model definitions use, with
 * source offsets on every node (for hints, hovers and diagnostics). Produced
 * from @lezer/python's tree by parse.ts; consumed by the interpreter.
 * Anything the converter does not understand becomes an `Unsupported` node,
 * so a half-typed file still yields every class it can.
 */

/** Character offsets into the source, [from, to). */
export interface Span {
  readonly from: number;
  readonly to: number;
}

export type Expr =
  | { readonly kind: "Name"; readonly id: string; readonly span: Span }
  | { readonly kind: "Num"; readonly value: number; readonly isFloat: boolean; readonly span: Span }
  | { readonly kind: "Str"; readonly value: string; readonly span: Span }
  | { readonly kind: "Bool"; readonly value: boolean; readonly span: Span }
  | { readonly kind: "NoneLit"; readonly span: Span }
  | { readonly kind: "EllipsisLit"; readonly span: Span }
  | { readonly kind: "Attribute"; readonly value: Expr; readonly attr: string; readonly span: Span }
  | { readonly kind: "Subscript"; readonly value: Expr; readonly index: Expr; readonly span: Span }
  /** `a:b:c` inside a subscript; absent parts are undefined. */
  | {
      readonly kind: "Slice";
      readonly lower?: Expr;
      readonly upper?: Expr;
      readonly step?: Expr;
      readonly span: Span;
    }
  | { readonly kind: "Call"; readonly func: Expr; readonly args: readonly Arg[]; readonly span: Span }
  | {
      readonly kind: "BinOp";
      readonly op: string;
      readonly left: Expr;
      readonly right: Expr;
      readonly span: Span;
    }
  | { readonly kind: "UnaryOp"; readonly op: string; readonly operand: Expr; readonly span: Span }
  /** and / or */
  | {
      readonly kind: "BoolOp";
      readonly op: "and" | "or";
      readonly values: readonly Expr[];
      readonly span: Span;
    }
  /** a < b < c, a is not None, x in y: ops[i] compares comparators[i] with the previous operand. */
  | {
      readonly kind: "Compare";
      readonly left: Expr;
      readonly ops: readonly string[];
      readonly comparators: readonly Expr[];
      readonly span: Span;
    }
  | {
      readonly kind: "IfExp";
      readonly test: Expr;
      readonly body: Expr;
      readonly orelse: Expr;
      readonly span: Span;
    }
  | { readonly kind: "Tuple"; readonly elts: readonly Expr[]; readonly span: Span }
  | { readonly kind: "List"; readonly elts: readonly Expr[]; readonly span: Span }
  | {
      readonly kind: "Dict";
      readonly keys: readonly (Expr | null)[];
      readonly values: readonly Expr[];
      readonly span: Span;
    }
  /** `*x` in a call, list or tuple. */
  | { readonly kind: "Starred"; readonly value: Expr; readonly span: Span }
  | {
      readonly kind: "ListComp";
      readonly elt: Expr;
      readonly generators: readonly Comprehension[];
      readonly isGenerator: boolean;
      /** `{x for …}`: read as a list of its distinct items (membership, len, iteration as a set's). */
      readonly isSet?: boolean;
      readonly span: Span;
    }
  | {
      readonly kind: "DictComp";
      readonly key: Expr;
      readonly value: Expr;
      readonly generators: readonly Comprehension[];
      readonly span: Span;
    }
  | { readonly kind: "Lambda"; readonly params: readonly Param[]; readonly body: Expr; readonly span: Span }
  /** f-strings and other things we keep only as "some string". */
  | { readonly kind: "FString"; readonly span: Span }
  | { readonly kind: "Unsupported"; readonly what: string; readonly span: Span };

export interface Comprehension {
  readonly target: Expr;
  readonly iter: Expr;
  readonly ifs: readonly Expr[];
}

/** A call argument: positional (name undefined), keyword, `*args` or `**kwargs`. */
export interface Arg {
  readonly name?: string;
  readonly star?: "*" | "**";
  readonly value: Expr;
}

export interface Param {
  readonly name: string;
  readonly default?: Expr;
  /** "*" for *args, "**" for **kwargs; a bare `*` separator is not listed. */
  readonly star?: "*" | "**";
  readonly keywordOnly?: boolean;
}

export type Stmt =
  | { readonly kind: "Expr"; readonly value: Expr; readonly span: Span }
  /** a = b = value; targets may be tuples, attributes or subscripts. */
  | { readonly kind: "Assign"; readonly targets: readonly Expr[]; readonly value: Expr; readonly span: Span }
  | { readonly kind: "AnnAssign"; readonly target: Expr; readonly value?: Expr; readonly span: Span }
  | {
      readonly kind: "AugAssign";
      readonly target: Expr;
      readonly op: string;
      readonly value: Expr;
      readonly span: Span;
    }
  | { readonly kind: "Return"; readonly value?: Expr; readonly span: Span }
  | {
      readonly kind: "If";
      readonly test: Expr;
      readonly body: readonly Stmt[];
      readonly orelse: readonly Stmt[];
      readonly span: Span;
    }
  | {
      readonly kind: "For";
      readonly target: Expr;
      readonly iter: Expr;
      readonly body: readonly Stmt[];
      readonly orelse: readonly Stmt[];
      readonly span: Span;
    }
  | { readonly kind: "While"; readonly test: Expr; readonly body: readonly Stmt[]; readonly span: Span }
  | { readonly kind: "FunctionDef"; readonly def: FunctionDef }
  | { readonly kind: "ClassDef"; readonly def: ClassDef }
  | {
      readonly kind: "Import";
      readonly names: readonly { readonly name: string; readonly asname?: string }[];
      readonly span: Span;
    }
  | {
      readonly kind: "ImportFrom";
      readonly module: string;
      readonly level: number;
      readonly names: readonly { readonly name: string; readonly asname?: string }[];
      readonly span: Span;
    }
  | { readonly kind: "Pass" | "Break" | "Continue"; readonly span: Span }
  | { readonly kind: "Raise" | "Assert" | "Del" | "Global"; readonly span: Span }
  /** `del d[k]` / `del a, b`: the target (a tuple for several). */
  | { readonly kind: "Delete"; readonly target: Expr; readonly span: Span }
  /** try/with: their bodies run (handlers and finally are kept for completeness). */
  | {
      readonly kind: "Block";
      readonly body: readonly Stmt[];
      readonly span: Span;
      /** A `try:` statement's blocks: what raises there may be caught (except clauses are not followed). */
      readonly handled?: true;
    }
  | { readonly kind: "Unsupported"; readonly what: string; readonly span: Span };

export interface FunctionDef {
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
  readonly decorators: readonly Expr[];
  /** The whole `def …` statement, and the name alone. */
  readonly span: Span;
  readonly nameSpan: Span;
}

export interface ClassDef {
  readonly name: string;
  readonly bases: readonly Expr[];
  readonly body: readonly Stmt[];
  readonly decorators: readonly Expr[];
  readonly span: Span;
  readonly nameSpan: Span;
}

export interface PyModule {
  readonly body: readonly Stmt[];
  /** Parse errors the converter skipped (for diagnostics), at most a few. */
  readonly errors: readonly Span[];
}
