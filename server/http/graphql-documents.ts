// Documents of the GraphQL fast path, parsed and validated once through yoga's pipeline (so every
// plugin's parse and validate rules apply) and kept, least recently used first, bounded by count
// and by an estimate of their memory. Only documents that parse and validate are kept.
import type { DocumentNode, OperationDefinitionNode, Token } from "graphql";
import { getOperationAST } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";

export interface PreparedDocument {
  document: DocumentNode;
  operation: OperationDefinitionNode | null;
  /** The cache's estimate of what the entry holds in memory. */
  bytes: number;
}

/** A parsed document keeps every token (about 400 bytes each, measured), so tokens weigh more than text. */
const DOCUMENT_CACHE = { maxEntries: 1000, maxBytes: 16 << 20, bytesPerToken: 400 };

/** How many tokens a parsed document keeps (its location's token list). */
function tokenCount(document: DocumentNode): number {
  let count = 0;
  for (let token: Token | null | undefined = document.loc?.startToken; token; token = token.next) count++;
  return count;
}

/**
 * Returns `prepare(query, operationName, params)`: the parsed, valid document for a query, or null
 * when it does not parse or validate (yoga then answers in its standard form).
 */
export function createDocumentCache(
  // biome-ignore lint/suspicious/noExplicitAny: yoga's server-context generics do not matter here; only getEnveloped is used.
  getEnveloped: YogaServerInstance<any, any>["getEnveloped"],
): (query: string, operationName: string | undefined, params: unknown) => PreparedDocument | null {
  const documents = new Map<string, PreparedDocument>();
  let cachedBytes = 0;
  const remember = (key: string, prepared: PreparedDocument) => {
    if (prepared.bytes > DOCUMENT_CACHE.maxBytes / 16) return;
    documents.set(key, prepared);
    cachedBytes += prepared.bytes;
    for (const [oldKey, old] of documents) {
      if (documents.size <= DOCUMENT_CACHE.maxEntries && cachedBytes <= DOCUMENT_CACHE.maxBytes) break;
      documents.delete(oldKey);
      cachedBytes -= old.bytes;
    }
  };
  return (query, operationName, params) => {
    // Operation names are GraphQL names (checked at the edge), so the newline cannot be forged.
    const key = operationName ? `${operationName}\n${query}` : query;
    const cached = documents.get(key);
    if (cached) {
      documents.delete(key);
      documents.set(key, cached);
      return cached;
    }
    const enveloped = getEnveloped({ params } as never);
    let document: DocumentNode;
    try {
      document = enveloped.parse(query);
      // Armor's rules throw on a refused document; yoga answers it in its standard form.
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
    } catch {
      return null;
    }
    const prepared = {
      document,
      operation: getOperationAST(document, operationName) ?? null,
      bytes: key.length * 2 + tokenCount(document) * DOCUMENT_CACHE.bytesPerToken,
    };
    remember(key, prepared);
    return prepared;
  };
}
