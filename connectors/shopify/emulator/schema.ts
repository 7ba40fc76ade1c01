/**
 * The vendored Shopify Admin GraphQL schema (introspection JSON, 2026-07) as a graphql-js schema.
 * The emulator executes against it and tests validate the connector's documents with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { packageRoot } from '../../../src/config/paths.js';
import { SHOPIFY_API_VERSION } from '../config.js';

const FILE = `admin_${SHOPIFY_API_VERSION}.json.gz`;
let cached: GraphQLSchema | undefined;

/** Where the file is: beside the sources, or in the package root when running from dist/. */
export function adminSchemaPath(): string {
  const candidates = [
    fileURLToPath(new URL(`../schema/${FILE}`, import.meta.url)),
    join(packageRoot(), 'connectors', 'shopify', 'schema', FILE),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Shopify Admin schema ${FILE} not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Built once per process (about half a second). */
export function adminSchema(): GraphQLSchema {
  if (!cached) {
    const raw = JSON.parse(gunzipSync(readFileSync(adminSchemaPath())).toString('utf8')) as { data?: IntrospectionQuery } & IntrospectionQuery;
    cached = buildClientSchema(raw.data ?? raw);
  }
  return cached;
}
