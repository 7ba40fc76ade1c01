import { z } from 'zod';

const ATTRIBUTE_NAME = /^[a-z][a-zA-Z0-9_]*$/;

/**
 * A map of attribute name → platform field. zod reports a bad record key only as "Invalid key
 * in record", so the names are checked here, with the key and the rule in the message.
 */
export function attributeMap<V extends z.ZodType>(field: V) {
  return z.record(z.string(), field).superRefine((attributes, ctx) => {
    for (const name of Object.keys(attributes)) {
      if (!ATTRIBUTE_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not an attribute name; attribute names are camelCase, like loyaltyTier` });
      }
    }
  });
}
