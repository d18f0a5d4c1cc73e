import type { Expr } from "./rules";

/** Half-open range of word indexes (English) or character offsets (Chinese). */
export interface Span {
  start: number;
  end: number;
}

/** A compiled expression; `L` is a language's compiled phrase. */
export type Node<L> =
  | { kind: "leaf"; leaf: L }
  | { kind: "any"; of: Node<L>[] }
  | { kind: "some"; of: Node<L>[]; min: number; within: number };

export interface Doc<L> {
  find(leaf: L): Span[];
  /** Which clause (stretch between punctuation) the word (en) or character (zh) at `index` belongs to. */
  clauseOf(index: number): number;
  /** The transcript text of a span, for reporting what matched. */
  describe(span: Span): string;
}

/** Keeps pathological inputs (a word repeated a hundred times) from making co-occurrence quadratic in spans. */
const MAX_SPANS = 64;

/**
 * Compiles one language's expressions, resolving `@concept` references (shared nodes, so a concept used by ten
 * rules is matched once per transcript). Errors name the JSON path.
 */
export class ExprCompiler<L> {
  private readonly leaves = new Map<string, Node<L>>();
  private readonly resolved = new Map<string, Node<L>>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly concepts: Record<string, Expr[]>,
    private readonly compileLeaf: (source: string) => L,
    private readonly defaultWithin: number,
  ) {}

  /** Compiles every concept, used or not, so a mistake in one no rule uses yet is still reported. */
  checkConcepts(): void {
    for (const name of Object.keys(this.concepts)) this.concept(name, `concepts.${name}`);
  }

  compileList(exprs: Expr[], path: string): Node<L> {
    const of = exprs.map((e, i) => this.compile(e, `${path}[${i}]`));
    return of.length === 1 ? of[0]! : { kind: "any", of };
  }

  private compile(expr: Expr, path: string): Node<L> {
    if (typeof expr === "string")
      return expr.startsWith("@") ? this.concept(expr.slice(1), path) : this.leaf(expr, path);
    if ("any" in expr) return this.compileList(expr.any, `${path}.any`);
    const [of, min, key] = "all" in expr ? [expr.all, expr.all.length, "all"] : [expr.of, expr.atLeast, "of"];
    if (min > of.length) throw new Error(`${path}: atLeast ${min} of only ${of.length} expressions`);
    return {
      kind: "some",
      of: of.map((e, i) => this.compile(e, `${path}.${key}[${i}]`)),
      min,
      within: expr.within ?? this.defaultWithin,
    };
  }

  private leaf(source: string, path: string): Node<L> {
    let node = this.leaves.get(source);
    if (!node) {
      try {
        node = { kind: "leaf", leaf: this.compileLeaf(source) };
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`);
      }
      this.leaves.set(source, node);
    }
    return node;
  }

  private concept(name: string, path: string): Node<L> {
    const known = this.resolved.get(name);
    if (known) return known;
    const body = this.concepts[name];
    if (!body) throw new Error(`${path}: unknown concept "@${name}"`);
    if (this.resolving.has(name)) throw new Error(`${path}: concept "@${name}" refers to itself`);
    this.resolving.add(name);
    const node = this.compileList(body, `concepts.${name}`);
    this.resolving.delete(name);
    this.resolved.set(name, node);
    return node;
  }
}

/** Spans where the expression holds, memoised per node for the one transcript `doc`. */
export function evaluate<L>(node: Node<L>, doc: Doc<L>, memo: Map<Node<L>, Span[]>): Span[] {
  const known = memo.get(node);
  if (known) return known;
  let spans: Span[];
  if (node.kind === "leaf") spans = doc.find(node.leaf);
  else if (node.kind === "any") spans = dedupe(node.of.flatMap((n) => evaluate(n, doc, memo)));
  else {
    const children = node.of.map((n) => evaluate(n, doc, memo));
    spans = dedupe(combinations(children, node.min).flatMap((group) => cooccur(group, node.within)));
  }
  memo.set(node, spans);
  return spans;
}

/** Spans covering one span of each list, no wider than `within`. */
function cooccur(lists: Span[][], within: number): Span[] {
  let acc: Span[] = [{ start: Infinity, end: -Infinity }];
  for (const list of lists) {
    const next: Span[] = [];
    for (const a of acc) {
      for (const b of list) {
        const merged = { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
        if (merged.end - merged.start <= within) next.push(merged);
      }
    }
    acc = dedupe(next);
    if (!acc.length) return [];
  }
  return acc;
}

function combinations<T>(items: T[], k: number): T[][] {
  if (k === items.length) return [items];
  const out: T[][] = [];
  const pick = (from: number, chosen: T[]) => {
    if (chosen.length === k) out.push(chosen);
    else for (let i = from; i <= items.length - (k - chosen.length); i++) pick(i + 1, [...chosen, items[i]!]);
  };
  pick(0, []);
  return out;
}

function dedupe(spans: Span[]): Span[] {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const s of spans) {
    const key = `${s.start}:${s.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
    if (out.length >= MAX_SPANS) break;
  }
  return out;
}
