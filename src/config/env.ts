import { z } from 'zod';
import { parseOrThrow } from './errors.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** Settings every command reads from the environment; connectors read their own (see connectors/*). */
export const CoreEnvSchema = z.object({
  SEGSYNC_DB: z.string().min(1).default('./data/segsync.db'),
  SEGSYNC_CONFIG: z.string().min(1).optional(),
  SEGSYNC_LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** Unset: readable lines on a terminal, JSON lines otherwise. */
  SEGSYNC_LOG_FORMAT: z.enum(LOG_FORMATS, { message: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
});
export type CoreEnv = z.infer<typeof CoreEnvSchema>;

export function readCoreEnv(env: NodeJS.ProcessEnv = process.env): CoreEnv {
  return parseOrThrow(
    CoreEnvSchema,
    {
      SEGSYNC_DB: env.SEGSYNC_DB || undefined,
      SEGSYNC_CONFIG: env.SEGSYNC_CONFIG || undefined,
      SEGSYNC_LOG_LEVEL: env.SEGSYNC_LOG_LEVEL?.trim().toLowerCase() || undefined,
      SEGSYNC_LOG_FORMAT: env.SEGSYNC_LOG_FORMAT?.trim().toLowerCase() || undefined,
    },
    'the environment',
  );
}
