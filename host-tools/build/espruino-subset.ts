// Checks a generated bundle for JavaScript that Espruino 2v29 does not run, or
// runs differently, and that esbuild's `supported` flags cannot catch
// (see shared/espruino-platform.md, section 3). Works on the output, so it
// also catches what esbuild itself injects.
import * as acorn from "acorn";
import * as walk from "acorn-walk";

export interface SubsetProblem {
  line: number; // 1-based, in the checked code
  column: number; // 0-based
  message: string;
}

/** Modules built into the Espruino images we target; any other require() fails on the chip. */
export const ESPRUINO_BUILTIN_MODULES = ["Storage", "Wifi", "dgram", "http", "net", "crypto", "heatshrink", "Flash", "ESP8266"];

const MISSING_GLOBALS: Record<string, string> = {
  Map: "Map does not exist in Espruino: use a plain object keyed by string",
  Set: "Set does not exist in Espruino: use a plain object or an array",
  WeakMap: "WeakMap does not exist in Espruino (esbuild emits it for #private fields: use plain properties)",
  WeakSet: "WeakSet does not exist in Espruino",
  Symbol: "Symbol does not exist in Espruino",
  Proxy: "Proxy does not exist in Espruino",
  Reflect: "Reflect does not exist in Espruino",
};

const MISSING_MEMBERS: Record<string, string> = {
  "Array.from": "Array.from does not exist in Espruino: copy with a loop or slice()",
  "Object.freeze": "Object.freeze does not exist in Espruino",
  "Number.isInteger": "Number.isInteger does not exist in Espruino: compare with Math.floor",
  "Math.trunc": "Math.trunc does not exist in Espruino: use Math.floor / Math.ceil",
};

type AnyNode = acorn.Node & Record<string, any>;

function isFunction(node: AnyNode): boolean {
  return node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression";
}

/** Identifier nodes that are references (not property names or member keys). */
function isReference(node: AnyNode, parent: AnyNode | undefined): boolean {
  if (!parent) return true;
  if (parent.type === "MemberExpression" && parent.property === node && !parent.computed) return false;
  if ((parent.type === "Property" || parent.type === "MethodDefinition" || parent.type === "PropertyDefinition") && parent.key === node && !parent.computed) {
    return parent.type === "Property" && parent.shorthand;
  }
  return true;
}

/** Names referenced anywhere below `root`. */
function referencedNames(root: AnyNode): Set<string> {
  const names = new Set<string>();
  walk.fullAncestor(root, (node: AnyNode, _state: unknown, ancestors: AnyNode[]) => {
    if (node.type === "Identifier" && isReference(node, ancestors[ancestors.length - 2])) names.add(node.name);
  });
  // a name the function declares itself (a parameter, a variable, a catch
  // parameter) is its own, not the loop's: a minifier reuses short names
  walk.full(root, (node: AnyNode) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") names.delete(node.id.name);
    if (isFunction(node)) for (const p of node.params) if (p.type === "Identifier") names.delete(p.name);
    if (node.type === "CatchClause" && node.param?.type === "Identifier") names.delete(node.param.name);
  });
  return names;
}

/** RegExp features Espruino silently fails to match. */
export function regexpProblem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === "b" || next === "B") return "\\b word boundaries never match in Espruino";
      i++;
      continue;
    }
    if (c === "[") {
      // skip a character class: quantifier characters inside it are literals
      i++;
      while (i < pattern.length && pattern[i] !== "]") {
        if (pattern[i] === "\\") i++;
        i++;
      }
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") return "lookahead and non-capturing groups are not supported by Espruino's RegExp";
    if (c === "?") return "the ? quantifier is not supported by Espruino's RegExp (only * and + on single characters)";
    if (c === "{") return "{n} quantifiers are not supported by Espruino's RegExp";
    if ((c === "*" || c === "+") && pattern[i - 1] === ")") return "quantifiers on groups are not supported by Espruino's RegExp";
  }
  return undefined;
}

export function checkEspruinoSubset(code: string): SubsetProblem[] {
  const problems: SubsetProblem[] = [];
  const report = (node: AnyNode, message: string) => {
    const loc = node.loc!.start;
    problems.push({ line: loc.line, column: loc.column, message });
  };

  let ast: AnyNode;
  try {
    ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true }) as AnyNode;
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number; column: number } };
    return [{ line: err.loc?.line ?? 1, column: err.loc?.column ?? 0, message: `not parseable: ${err.message}` }];
  }

  walk.fullAncestor(ast, (node: AnyNode, _state: unknown, ancestors: AnyNode[]) => {
    const parent = ancestors[ancestors.length - 2];
    switch (node.type) {
      case "Identifier":
        if (node.name === "of") report(node, "an identifier named 'of' is a reserved word in Espruino");
        if (MISSING_GLOBALS[node.name] && isReference(node, parent)) report(node, MISSING_GLOBALS[node.name]);
        break;
      case "Property":
      case "MethodDefinition":
        if (node.computed) report(node, "computed property keys ({[k]: v}) are not supported by Espruino");
        break;
      case "PropertyDefinition":
        report(node, "class fields are not supported by Espruino: assign them in the constructor");
        break;
      case "StaticBlock":
        report(node, "static blocks are not supported by Espruino");
        break;
      case "PrivateIdentifier":
        report(node, "#private members are not supported by Espruino");
        break;
      case "LabeledStatement":
        report(node, "labelled statements are not supported by Espruino");
        break;
      case "SpreadElement":
        report(node, "'...' (spread) is not supported by Espruino (a derived class needs an explicit constructor)");
        break;
      case "RestElement":
        report(node, "'...' (rest parameters) is not supported by Espruino");
        break;
      case "ObjectPattern":
      case "ArrayPattern":
        report(node, "destructuring is not supported by Espruino");
        break;
      case "AssignmentPattern":
        report(node, "default parameters are not supported by Espruino: apply defaults by hand");
        break;
      case "ChainExpression":
        report(node, "optional chaining (?.) is not supported by Espruino");
        break;
      case "TaggedTemplateExpression":
        report(node, "tagged templates are not supported by Espruino");
        break;
      case "AwaitExpression":
      case "YieldExpression":
        report(node, "async/await and generators are not supported by Espruino");
        break;
      case "BinaryExpression":
        if (node.operator === "**") report(node, "the ** operator is not supported by Espruino");
        break;
      case "AssignmentExpression":
        if (["**=", "??=", "||=", "&&="].includes(node.operator)) report(node, `the ${node.operator} operator is not supported by Espruino`);
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (node.superClass) {
          if (node.superClass.type !== "Identifier") report(node, "Espruino only supports 'extends' of a plain identifier");
          else if (/Error$/.test(node.superClass.name)) report(node, `'extends ${node.superClass.name}' loses the message in Espruino: throw a plain Error`);
        }
        break;
      case "MemberExpression":
        if (!node.computed && node.object.type === "Identifier") {
          const key = `${node.object.name}.${node.property.name}`;
          if (MISSING_MEMBERS[key]) report(node, MISSING_MEMBERS[key]);
        }
        if (!node.computed && node.property.name === "finally" && parent?.type === "CallExpression") {
          report(node, "Promise.prototype.finally does not exist in Espruino");
        }
        break;
      case "Literal":
        if (node.regex) {
          const problem = regexpProblem(node.regex.pattern);
          if (problem) report(node, `${problem}: /${node.regex.pattern}/`);
        }
        break;
      case "CallExpression":
        if (node.callee.type === "Identifier" && node.callee.name === "require") {
          const arg = node.arguments[0];
          if (node.arguments.length !== 1 || arg.type !== "Literal" || typeof arg.value !== "string") {
            report(node, "require() must name an Espruino built-in module with a string literal");
          } else if (!ESPRUINO_BUILTIN_MODULES.includes(arg.value)) {
            report(node, `require("${arg.value}") is not an Espruino built-in: the bundle must be self-contained`);
          }
        }
        break;
    }
    if (isFunction(node) && (node.async || node.generator)) report(node, "async functions and generators are not supported by Espruino");
    if (node.type === "ForStatement" || node.type === "ForInStatement" || node.type === "ForOfStatement") checkLoopClosures(node, report);
    if (node.type === "Program" || node.type === "BlockStatement") checkHoisting(node, report);
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return problems;
}

/** `let` in a for loop is one binding shared by all iterations in Espruino. */
function checkLoopClosures(loop: AnyNode, report: (node: AnyNode, message: string) => void): void {
  const decl = loop.type === "ForStatement" ? loop.init : loop.left;
  if (!decl || decl.type !== "VariableDeclaration" || decl.kind === "var") return;
  const names = new Set<string>();
  for (const d of decl.declarations) if (d.id.type === "Identifier") names.add(d.id.name);
  walk.full(loop.body, (node: AnyNode) => {
    if (!isFunction(node)) return;
    for (const name of referencedNames(node)) {
      if (names.has(name)) {
        report(node, `a function created in this loop captures the loop variable '${name}'; Espruino shares one '${decl.kind}' binding across iterations, so every closure sees the last value`);
      }
    }
  });
}

/** Espruino has no function hoisting: a call that runs before the declaration throws. */
function checkHoisting(block: AnyNode, report: (node: AnyNode, message: string) => void): void {
  const declaredAt: Record<string, number> = {};
  block.body.forEach((stmt: AnyNode, index: number) => {
    if (stmt.type === "FunctionDeclaration" && stmt.id) declaredAt[stmt.id.name] = index;
  });
  block.body.forEach((stmt: AnyNode, index: number) => {
    if (stmt.type === "FunctionDeclaration") return;
    walkWithoutFunctions(stmt, (node) => {
      if (node.type === "CallExpression" && node.callee.type === "Identifier") {
        const at = declaredAt[node.callee.name];
        if (at !== undefined && at > index) {
          report(node, `'${node.callee.name}' is called before its declaration; Espruino does not hoist functions`);
        }
      }
    });
  });
}

function walkWithoutFunctions(node: AnyNode, visit: (node: AnyNode) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === "loc") continue;
    const value = node[key];
    const children: unknown[] = Array.isArray(value) ? value : [value];
    for (const child of children) {
      if (child && typeof child === "object" && typeof (child as AnyNode).type === "string" && !isFunction(child as AnyNode)) {
        walkWithoutFunctions(child as AnyNode, visit);
      }
    }
  }
}
