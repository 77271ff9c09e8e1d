// Loads a JSON file and validates it against a JSON Schema, failing with a
// message that names the file and the field.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

// useDefaults: a field left out takes the schema's "default"; verbose: an error carries its schema's description
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true, verbose: true });
const compiled: Record<string, ValidateFunction> = {};

export class JsonFileError extends Error {}

function describe(error: ErrorObject): string {
  const field = error.instancePath || "(top level)";
  if (error.keyword === "additionalProperties") return `${field}: unknown field "${error.params.additionalProperty}"`;
  if (error.keyword === "required") return `${field}: missing field "${error.params.missingProperty}"`;
  if (error.keyword === "enum") return `${field}: ${error.message} (${JSON.stringify(error.params.allowedValues)})`;
  const what = (error.parentSchema as { description?: string } | undefined)?.description;
  if (error.keyword === "pattern" && what) return `${field}: ${error.message} (${what})`;
  return `${field}: ${error.message}`;
}

/** JSON text without its whole-line // comments (espruino.json may have them: host-tools config init writes some). */
export function withoutComments(text: string): string {
  return text.replace(/^[ \t]*\/\/.*$/gm, "");
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new JsonFileError(`${file}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(withoutComments(text));
  } catch (e) {
    throw new JsonFileError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Validates `data` (read from `file`, named in errors) against the schema in `schemaFile`. */
export function validateJson<T>(schemaFile: string, data: unknown, file: string): T {
  let validate = compiled[schemaFile];
  if (!validate) {
    // schemas refer to their siblings by $id ("$ref": "boot.schema.json"): add the whole folder once
    const dir = dirname(schemaFile);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".schema.json"))) {
      const schema = readJsonFile(join(dir, f)) as { $id?: string };
      if (schema.$id && !ajv.getSchema(schema.$id)) ajv.addSchema(schema);
    }
    const own = readJsonFile(schemaFile) as { $id?: string };
    validate = (own.$id && ajv.getSchema(own.$id)) || ajv.compile(own);
    compiled[schemaFile] = validate;
  }
  if (!validate(data)) {
    const details = (validate.errors ?? []).map(describe).join("; ");
    throw new JsonFileError(`${file}: ${details}`);
  }
  return data as T;
}

export function loadJsonFile<T>(schemaFile: string, file: string): T {
  return validateJson<T>(schemaFile, readJsonFile(file), file);
}
