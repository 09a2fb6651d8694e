import type { FilterLiteral, FilterNode } from '../../expressions/ast';

/**
 * The attribute values a value filter pins down with `eq`, as alternatives:
 * `type eq "work" and primary eq true` → [{type: 'work', primary: true}];
 * `value eq "a" or value eq "b"` → [{value: 'a'}, {value: 'b'}].
 * Returns undefined when the filter uses anything but `eq`, `and` and `or`, because then the
 * filter does not name concrete values. Keys are the paths as the client wrote them.
 *
 * Two uses: the member ids of `members[value eq "…"]` (groups are never loaded whole, so that
 * filter cannot be evaluated against elements), and the element that an `add` to
 * `emails[type eq "work"].value` creates when no element matches yet.
 */
export function equalityAlternatives(node: FilterNode): Record<string, FilterLiteral>[] | undefined {
  switch (node.kind) {
    case 'compare':
      return node.op === 'eq' ? [{ [node.path]: node.value }] : undefined;
    case 'or': {
      const alternatives: Record<string, FilterLiteral>[] = [];
      for (const child of node.children) {
        const childAlternatives = equalityAlternatives(child);
        if (childAlternatives === undefined) return undefined;
        alternatives.push(...childAlternatives);
      }
      return alternatives;
    }
    case 'and': {
      // Only conjunctions of single alternatives: `(a or b) and c` does not describe one element.
      const merged: Record<string, FilterLiteral> = {};
      for (const child of node.children) {
        const childAlternatives = equalityAlternatives(child);
        if (childAlternatives?.length !== 1) return undefined;
        for (const [path, value] of Object.entries(childAlternatives[0] ?? {})) {
          const lowerPath = path.toLowerCase();
          const clash = Object.keys(merged).find((key) => key.toLowerCase() === lowerPath);
          if (clash !== undefined && merged[clash] !== value) return undefined;
          merged[path] = value;
        }
      }
      return [merged];
    }
    default:
      return undefined;
  }
}
