/**
 * Bytes → text as kubectl reads its files: a byte order mark picks UTF-8, UTF-16 LE or UTF-16 BE (and is not
 * part of the text); without one the bytes are UTF-8. Invalid sequences become U+FFFD, as in Go's decoder.
 */

export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes);
}

/** A source's text without a leading byte order mark, for callers that decoded it themselves. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
