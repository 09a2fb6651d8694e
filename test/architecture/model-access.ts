import ts from 'typescript';

/**
 * The mongoose models a file reaches into: `models.User`, `deps.models.Group.collection…`, a model
 * taken out of the handle (`const { Role } = models`), or, whatever the handle is called, a known
 * model name followed by `.collection` (`m.Role.collection`). Passing the `models` handle on to a
 * repository is not counted: only the repository touches the collection.
 */
export function modelsTouchedBy(from: string, text: string, modelNames: ReadonlySet<string> = new Set()): string[] {
  const source = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const touched = new Set<string>();
  const isModelsHandle = (node: ts.Expression): boolean => (ts.isIdentifier(node) && node.text === 'models') || (ts.isPropertyAccessExpression(node) && node.name.text === 'models');
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isModelsHandle(node.expression) && /^[A-Z]/.test(node.name.text)) {
      touched.add(node.name.text);
    } else if (
      ts.isPropertyAccessExpression(node) &&
      modelNames.has(node.name.text) &&
      ts.isPropertyAccessExpression(node.parent) &&
      node.parent.expression === node &&
      node.parent.name.text === 'collection'
    ) {
      touched.add(node.name.text);
    } else if (ts.isElementAccessExpression(node) && isModelsHandle(node.expression)) {
      touched.add('[…]');
    } else if (ts.isVariableDeclaration(node) && node.initializer && isModelsHandle(node.initializer) && ts.isObjectBindingPattern(node.name)) {
      for (const element of node.name.elements) touched.add((element.propertyName ?? element.name).getText(source));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...touched].sort();
}

/** The model names of the `Models` interface in src/persistence/models.ts. */
export function modelNamesIn(modelsSource: string): Set<string> {
  const body = /export interface Models \{([^}]*)\}/.exec(modelsSource)?.[1] ?? '';
  return new Set([...body.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]!));
}
