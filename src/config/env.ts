import { z } from 'zod';
import { parseOrThrow } from './errors.js';

/** Settings every command reads from the environment; connectors read their own (see connectors/*). */
export const CoreEnvSchema = z.object({
  SEGSYNC_DB: z.string().min(1).default('./data/segsync.db'),
  SEGSYNC_CONFIG: z.string().min(1).optional(),
});
export type CoreEnv = z.infer<typeof CoreEnvSchema>;

export function readCoreEnv(env: NodeJS.ProcessEnv = process.env): CoreEnv {
  return parseOrThrow(CoreEnvSchema, { SEGSYNC_DB: env.SEGSYNC_DB || undefined, SEGSYNC_CONFIG: env.SEGSYNC_CONFIG || undefined }, 'the environment');
}
