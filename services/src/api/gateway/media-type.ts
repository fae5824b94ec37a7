import { parse } from 'content-type';

/**
 * The media type of a Content-Type header, lower-cased and without parameters (RFC 9110 parsing by
 * the `content-type` package Express itself uses); '' when absent or unparseable, so callers answer 415.
 */
export function mediaType(header: string | undefined): string {
  if (!header) return '';
  try {
    return parse(header).type;
  } catch {
    return '';
  }
}
