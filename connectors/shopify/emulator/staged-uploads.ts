/**
 * Staged uploads of bulk mutation variables, as Shopify hands them out. `stagedUploadsCreate`
 * answers a target on Shopify's storage (Google Cloud Storage: a URL and the form parameters of a
 * signed POST policy, as the recorded answer staged_uploads_create_ALAppExt.json shows: key,
 * Content-Type, success_action_status 201, acl, policy, x-goog-credential, x-goog-algorithm,
 * x-goog-date, x-goog-signature). The client POSTs the parameters and then the file as
 * multipart/form-data to the URL, without the access token (the signed policy is the credential);
 * the `key` is then the `stagedUploadPath` of bulkOperationRunMutation.
 *
 * Shopify's storage is another origin; here the target URL is on the emulator's own server.
 * Documented (shopify.dev changelog "Faster bulk operations"): a bulk mutation's variables file may
 * be up to 100 MB (20 MB before). Where the documentation is silent, the choice is marked CHOSEN.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Where uploads are received, below the emulator's base URL. */
export const STAGED_UPLOAD_PATH = '/shopify-staged-uploads/';
/** Bulk mutation variables files may be up to 100 MB (changelog "Faster bulk operations"; 20 MB before). */
export const MAX_BULK_VARIABLES_BYTES = 100 * 1024 * 1024;
/** CHOSEN: a staged target's signed policy is good for an hour. */
const POLICY_TTL_MS = 60 * 60 * 1000;
/** CHOSEN: the shop id in staged keys ("tmp/<shop id>/bulk/<uuid>/<filename>", as recorded). */
const SHOP_ID = 1;

export interface StagedUploadInput {
  resource: string;
  filename: string;
  mimeType: string;
  httpMethod?: string | null;
  fileSize?: string | number | null;
}

export interface StagedUploadReply {
  status: number;
  body: string;
  contentType: string;
}

interface Policy {
  expiration: string;
  conditions: Array<Record<string, string> | [string, number, number]>;
}

function xml(status: number, code: string, message: string, extra = ''): StagedUploadReply {
  return {
    status,
    contentType: 'application/xml; charset=UTF-8',
    body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message>${extra}</Error>`,
  };
}

/** 20260528T101500Z, as x-goog-date is written. */
function googDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export class StagedUploads {
  private readonly secret = Buffer.from(randomUUID());
  private readonly files = new Map<string, string>();

  constructor(
    private readonly now: () => number,
    readonly maxBytes: number = MAX_BULK_VARIABLES_BYTES,
  ) {}

  private sign(policy: string): string {
    return createHmac('sha256', this.secret).update(policy).digest('hex');
  }

  /** `stagedUploadsCreate(input:)`. CHOSEN: only BULK_MUTATION_VARIABLES by POST is emulated. */
  create(baseUrl: string, inputs: StagedUploadInput[]) {
    const userErrors: Array<{ field: string[]; message: string }> = [];
    inputs.forEach((input, i) => {
      if (input.resource !== 'BULK_MUTATION_VARIABLES') {
        userErrors.push({ field: ['input', String(i), 'resource'], message: `The emulator stages BULK_MUTATION_VARIABLES only, not ${input.resource}` });
      } else if ((input.httpMethod ?? 'PUT') !== 'POST') {
        userErrors.push({ field: ['input', String(i), 'httpMethod'], message: 'Bulk mutation variables are uploaded with httpMethod: POST' });
      } else if (input.filename.trim() === '') {
        userErrors.push({ field: ['input', String(i), 'filename'], message: 'Filename can\'t be blank' });
      }
    });
    if (userErrors.length > 0) return { stagedTargets: null, userErrors };
    const now = this.now();
    const stagedTargets = inputs.map((input) => {
      const key = `tmp/${SHOP_ID}/bulk/${randomUUID()}/${input.filename}`;
      const policy: Policy = {
        expiration: new Date(now + POLICY_TTL_MS).toISOString(),
        conditions: [{ key }, { 'Content-Type': input.mimeType }, { success_action_status: '201' }, { acl: 'private' }, ['content-length-range', 1, this.maxBytes]],
      };
      const encoded = Buffer.from(JSON.stringify(policy)).toString('base64');
      return {
        __typename: 'StagedMediaUploadTarget',
        url: `${baseUrl}${STAGED_UPLOAD_PATH}`,
        resourceUrl: null,
        parameters: [
          { name: 'key', value: key },
          { name: 'Content-Type', value: input.mimeType },
          { name: 'success_action_status', value: '201' },
          { name: 'acl', value: 'private' },
          { name: 'policy', value: encoded },
          { name: 'x-goog-credential', value: `segsync-emulator@shopify-tiers.iam.gserviceaccount.com/${googDate(now).slice(0, 8)}/auto/storage/goog4_request` },
          { name: 'x-goog-algorithm', value: 'GOOG4-RSA-SHA256' },
          { name: 'x-goog-date', value: googDate(now) },
          { name: 'x-goog-signature', value: this.sign(encoded) },
        ],
      };
    });
    return { stagedTargets, userErrors: [] };
  }

  /**
   * The POST of a form to the target URL. CHOSEN answers, as Google Cloud Storage gives them:
   * 201 with a PostResponse (success_action_status 201), 400 EntityTooLarge over the limit, 403
   * SignatureDoesNotMatch for a policy not signed here, 403 AccessDenied for an expired policy or
   * a key it does not sign, 400 InvalidArgument for a form without a file.
   */
  async upload(contentType: string | undefined, body: Buffer): Promise<StagedUploadReply> {
    if (body.length > this.maxBytes + 64 * 1024) {
      return xml(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', `<ProposedSize>${body.length}</ProposedSize><MaxSizeAllowed>${this.maxBytes}</MaxSizeAllowed>`);
    }
    let form: FormData;
    try {
      form = await new Request('http://emulator.invalid/', { method: 'POST', headers: { 'content-type': contentType ?? '' }, body }).formData();
    } catch {
      return xml(400, 'InvalidArgument', 'The request is not multipart/form-data.');
    }
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' ? v : undefined;
    };
    const key = field('key');
    const policy = field('policy');
    const given = Buffer.from(field('x-goog-signature') ?? '');
    const wanted = Buffer.from(policy ? this.sign(policy) : '');
    if (!key || !policy || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return xml(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    const decoded = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as Policy;
    if (Date.parse(decoded.expiration) < this.now()) return xml(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
    if (!decoded.conditions.some((c) => !Array.isArray(c) && c.key === key)) return xml(403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed: ["eq", "$key"]');
    const file = form.get('file');
    if (file === null || typeof file === 'string') return xml(400, 'InvalidArgument', 'The form has no file field.');
    if (file.size > this.maxBytes) {
      return xml(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', `<ProposedSize>${file.size}</ProposedSize><MaxSizeAllowed>${this.maxBytes}</MaxSizeAllowed>`);
    }
    this.files.set(key, await file.text());
    return {
      status: 201,
      contentType: 'application/xml; charset=UTF-8',
      body: `<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>${STAGED_UPLOAD_PATH}${key}</Location><Bucket>shopify-staged-uploads</Bucket><Key>${key}</Key><ETag>"${createHash('md5').update(key).digest('hex')}"</ETag></PostResponse>`,
    };
  }

  /** The uploaded file at a staged path (the `key`), or undefined. */
  file(key: string): string | undefined {
    return this.files.get(key);
  }
}
