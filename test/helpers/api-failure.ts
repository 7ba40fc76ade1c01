import { ApiError } from '../../src/http/errors.js';

/**
 * The error a call fails with, of the class expected (ApiError, or a platform's subclass); any
 * other outcome (success, another error) fails the test.
 */
export async function failure<E extends ApiError = ApiError>(
  promise: Promise<unknown>,
  expected: abstract new (...args: never[]) => E = ApiError as unknown as abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof expected) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
