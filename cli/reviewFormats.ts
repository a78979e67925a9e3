/** The output formats of `dpc diff OLD NEW` (text and json are every command's). */
export type ReviewFormat = 'text' | 'json' | 'csv' | 'markdown' | 'sarif' | 'github';
export const REVIEW_FORMATS: readonly ReviewFormat[] = ['text', 'json', 'csv', 'markdown', 'sarif', 'github'];
