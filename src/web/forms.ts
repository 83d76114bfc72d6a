import { html, Html } from './layout.ts';
import { MESSAGES, type WebLang } from './messages.ts';

/** A form's errors: field ID → what is wrong, in the page's language (insertion order is the page's order). */
export type FieldErrors = Record<string, string>;

/**
 * The GOV.UK pattern (design-system.service.gov.uk/components/error-summary): a summary at the top
 * of the form listing each error as a link to its field, focused when the page loads (`autofocus`
 * works without JavaScript), and each error again beside its field.
 */
export function errorSummary(lang: WebLang, errors: FieldErrors | undefined): Html | '' {
  const entries = Object.entries(errors ?? {});
  if (!entries.length) return '';
  return html`<div class="error-summary" data-testid="error-summary" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${MESSAGES[lang].errorSummaryTitle}</h2>
<ul>${entries.map(([field, message]) => html`<li><a href="#${field}">${message}</a></li>`)}</ul>
</div>`;
}

/** The attributes that tie a field to its error (and hint): put inside the input's tag. */
export function fieldAttrs(id: string, errors: FieldErrors | undefined, hintId?: string): Html {
  const error = errors?.[id];
  const describedBy = [hintId, error ? `${id}-error` : undefined].filter(Boolean).join(' ');
  return new Html(`${error ? ' aria-invalid="true"' : ''}${describedBy ? ` aria-describedby="${describedBy}"` : ''}`);
}

/** The error shown beside its field (between label and input, as GOV.UK does), "Error:" said before it but not shown. */
export function fieldError(lang: WebLang, id: string, errors: FieldErrors | undefined): Html | '' {
  const error = errors?.[id];
  return error ? html`<p class="field-error" id="${id}-error" data-testid="field-error"><span class="visually-hidden">${MESSAGES[lang].errorPrefix}</span>${error}</p>` : '';
}

/**
 * A page asking "are you sure?" before a destructive action, with no JavaScript: the first press
 * of the button posts without `confirm`, and this page posts the same action again with
 * `confirm=yes` (and any hidden fields given), or goes back.
 */
export function confirmationBody(lang: WebLang, options: { title: string; question: string; action: string; button: string; cancelHref: string; hidden?: Record<string, string> }): Html {
  const t = MESSAGES[lang];
  return html`<h1>${options.title}</h1>
<section class="card confirm" data-testid="confirmation">
<p>${options.question}</p>
<form method="post" action="${options.action}">
${Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="confirm" value="yes">
<div class="actions"><button class="primary danger" type="submit" data-testid="confirm">${options.button}</button><a class="button secondary" href="${options.cancelHref}">${t.confirmCancel}</a></div>
</form>
</section>`;
}
