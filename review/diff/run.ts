/**
 * The whole review: diff both sides, trace connectivity with the bundle interpreter, render the chosen format.
 */
import { differs, reviewDiff } from './diff.js';
import { connectivityCsv, reportJson, reportText } from './formats.js';
import { interpreterEvaluators } from './evaluator.js';
import { githubAnnotations, responsibleRules, sarif } from './annotations.js';
import { markdownComment } from './markdown.js';
import { matrixSvg } from './svg.js';
import type { CompiledVersion } from './version.js';

export type Format = 'text' | 'json' | 'csv' | 'markdown' | 'sarif' | 'github';

/** `templates.markdown`: the text of templates/comment.md.hbs, read by the caller. */
export function runReview(oldV: CompiledVersion, newV: CompiledVersion, format: Format, templates: { markdown: string }): { text: string; svg: string; differs: boolean } {
  const result = reviewDiff(oldV, newV, interpreterEvaluators(oldV, newV));
  const r = result.report;
  const responsible = () => responsibleRules(r, result.rules, { old: oldV, new: newV });
  const text =
    format === 'json'
      ? reportJson(r)
      : format === 'csv'
        ? connectivityCsv(r.connectivity)
        : format === 'markdown'
          ? markdownComment(templates.markdown, r, responsible())
          : format === 'sarif'
            ? sarif(responsible())
            : format === 'github'
              ? githubAnnotations(responsible())
              : reportText(r);
  return { text, svg: matrixSvg(r.connectivity), differs: differs(r) };
}
