// Fence language tags for code blocks, so the model (and the chat renderer) see what a file is.

const BY_EXT: Record<string, string> = {
  ts: 'typescript', tsx: 'tsx', mts: 'typescript', cts: 'typescript', js: 'javascript', jsx: 'jsx', mjs: 'javascript',
  cjs: 'javascript', json: 'json', jsonc: 'jsonc', py: 'python', rs: 'rust', go: 'go', java: 'java', kt: 'kotlin',
  kts: 'kotlin', swift: 'swift', c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', cs: 'csharp',
  rb: 'ruby', php: 'php', scala: 'scala', sh: 'bash', bash: 'bash', zsh: 'bash', fish: 'fish', ps1: 'powershell',
  md: 'markdown', markdown: 'markdown', yml: 'yaml', yaml: 'yaml', toml: 'toml', ini: 'ini', xml: 'xml', html: 'html',
  htm: 'html', css: 'css', scss: 'scss', less: 'less', vue: 'vue', svelte: 'svelte', sql: 'sql', lua: 'lua', r: 'r',
  dart: 'dart', ex: 'elixir', exs: 'elixir', erl: 'erlang', hs: 'haskell', ml: 'ocaml', clj: 'clojure', zig: 'zig',
  nim: 'nim', wgsl: 'wgsl', glsl: 'glsl', hlsl: 'hlsl', proto: 'protobuf', graphql: 'graphql', gql: 'graphql',
  tf: 'hcl', hcl: 'hcl', cmake: 'cmake', gradle: 'groovy', groovy: 'groovy', pl: 'perl', jl: 'julia', m: 'objectivec',
  mm: 'objectivec', txt: 'text', rst: 'rst', tex: 'latex', csv: 'csv', dockerfile: 'dockerfile', makefile: 'makefile',
};

export function languageOf(relPath: string): string {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1).toLowerCase();
  if (base === 'dockerfile' || base.startsWith('dockerfile.')) return 'dockerfile';
  if (base === 'makefile' || base === 'gnumakefile') return 'makefile';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return '';
  return BY_EXT[base.slice(dot + 1)] ?? '';
}

/** A fence longer than any backtick run in the content, so file text can never close it early. */
export function fenceFor(content: string): string {
  let longest = 0;
  for (const m of content.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}
