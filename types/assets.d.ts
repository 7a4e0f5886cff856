// WGSL sources are imported as strings: esbuild's text loader in bundles, test/helpers/register-text.cjs in mocha.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
