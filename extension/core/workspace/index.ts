export type { FileEntry, FileSource, ListOptions, ListProgress, ReadOptions, WorkspaceFilterOptions } from './types';
export { DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FILES, DEFAULT_MAX_DEPTH } from './types';
export { SkipReport, type SkipReason, type SkipSummary } from './skip-report';
export { PathFilter, LOCK_FILES, GENERATED_DIRS } from './filters';
export { looksBinary, decodeText, SNIFF_BYTES } from './text';
export { displayName, terminalSafe } from './names';
export { readText, type ReadTextResult } from './read-text';
export { NodeFileSource, nodeWalkFs, type WalkFs, type NodeFileSourceOptions } from './node-file-source';
export { filterHostListing, isInsideRoot, type HostListingOptions, type HostStat } from './host-listing';
