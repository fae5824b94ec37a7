import express, { type RequestHandler } from 'express';
import { ApiError } from '../errors';
import { mediaType } from './media-type';

export interface BodyOptions {
  /** Largest JSON body accepted, in bytes. @default 1_048_576 */
  readonly limitBytes?: number;
  /**
   * Media types passed through unparsed for the route to stream (uploads).
   * @default ['multipart/form-data']
   */
  readonly streamedTypes?: readonly string[];
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/i;

const hasBody = (headers: NodeJS.Dict<string | string[]>) =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');

/**
 * JSON bodies only: a body with any other media type is 415 (streamed types such as multipart are
 * left for their route), a body over the limit 413, malformed JSON 400, all as problem+json.
 */
export function jsonBody(opts: BodyOptions = {}): RequestHandler {
  const limit = opts.limitBytes ?? 1_048_576;
  const streamed = new Set((opts.streamedTypes ?? ['multipart/form-data']).map((t) => t.toLowerCase()));
  const parse = express.json({ limit, type: (req) => JSON_TYPE.test(mediaType(req.headers['content-type'])) });
  return (req, res, next) => {
    if (!hasBody(req.headers)) return next();
    const type = mediaType(req.headers['content-type']);
    if (streamed.has(type)) return next();
    if (!JSON_TYPE.test(type)) {
      return next(new ApiError(415, 'unsupported_media_type', `send the body as application/json (got ${type || 'no Content-Type'})`, [
        { field: 'Content-Type', location: 'headers', message: 'must be application/json' },
      ]));
    }
    parse(req, res, (err?: unknown) => next(err === undefined ? undefined : toApiError(err, limit)));
  };
}

function toApiError(err: unknown, limit: number): unknown {
  const type = (err as { type?: string }).type;
  switch (type) {
    case 'entity.too.large':
      return new ApiError(413, 'body_too_large', `the body is larger than ${limit} bytes`, [
        { field: 'body', location: 'body', message: `at most ${limit} bytes` },
      ]);
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'the body is not valid JSON', [{ field: 'body', location: 'body', message: 'malformed JSON' }]);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError(415, 'unsupported_media_type', (err as Error).message);
    case 'request.aborted':
      return new ApiError(400, 'request_aborted', 'the client closed the request before the body arrived');
    default:
      return err;
  }
}
