// Search terms from questions, paths and code: identifiers split at camelCase/snake_case/digits, so
// "how does parseHeader work" matches `parse_header`, `ParseHeader` and `header-parser.ts`.

const STOP = new Set(
  ('a an and are as at be by can do does for from has have how i if in into is it its me my of on or our ' +
    'should so that the their them then there these this to use used uses using was we what when where which who ' +
    'why will with you your file files code repo repository function functions work works explain tell show about ' +
    'please make get set new return const let var export import').split(' '),
);

export function splitIdentifier(word: string): string[] {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
    .map((s) => s.toLowerCase())
    .filter((s) => s.length > 0);
}

/** Every term occurrence in `text` (parts of identifiers plus the whole identifier when compound). */
export function* termsOf(text: string): Generator<string> {
  for (const m of text.matchAll(/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]{2,}/g)) {
    const word = m[0];
    const parts = splitIdentifier(word);
    for (const p of parts) if (p.length > 1) yield p;
    if (parts.length > 1) yield parts.join('');
  }
}

/** Distinct, meaningful terms of a question. */
export function queryTerms(question: string): string[] {
  const out = new Set<string>();
  for (const t of termsOf(question)) if (!STOP.has(t)) out.add(t);
  return [...out];
}
