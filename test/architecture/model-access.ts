import ts from 'typescript';

/**
 * The mongoose models a file reaches into: `models.User`, `deps.models.Group.collection…`, or a
 * model taken out of the handle (`const { Role } = models`). Passing the `models` handle on to a
 * repository is not counted: only the repository touches the collection.
 */
export function modelsTouchedBy(from: string, text: string): string[] {
  const source = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const touched = new Set<string>();
  const isModelsHandle = (node: ts.Expression): boolean =>
    (ts.isIdentifier(node) && node.text === 'models') || (ts.isPropertyAccessExpression(node) && node.name.text === 'models');
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isModelsHandle(node.expression) && /^[A-Z]/.test(node.name.text)) {
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
