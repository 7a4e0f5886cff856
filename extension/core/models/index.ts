export { MODEL_CATALOG, findCatalogModel, formatSize, type CatalogModel } from './catalog';
export { downloadFile, sha256File, DownloadError, type DownloadOptions, type DownloadProgress, type DownloadResult, type DownloadErrorCode } from './downloader';
