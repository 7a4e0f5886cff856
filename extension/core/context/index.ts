export { gatherRepository, gatherExcerpts, pathScore, type ExcerptOptions, type EditorContext, type GatherOptions, type GatherProgress, type GatherPhase, type IncludedFile, type RepositoryContext } from './gather';
export { chunkText, type Chunk } from './chunker';
export { QueryBm25 } from './bm25';
export { queryTerms, termsOf, splitIdentifier } from './terms';
export { buildOutline } from './outline';
export { languageOf, fenceFor } from './language';
export { renderFile, repositoryHeader } from './render';
export { rerenderContext } from './refresh';
