import type { ReactNode } from 'react';

/**
 * Shows a section's XHTML narrative. The narrative comes from another organisation's system, so it
 * is never inserted as HTML: it is parsed and rebuilt from an allow-list of structural elements,
 * with every attribute dropped (no links, images, styles or scripts can come through).
 */
const ALLOWED = new Set([
  'p',
  'br',
  'ul',
  'ol',
  'li',
  'b',
  'strong',
  'i',
  'em',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
  'div',
  'h3',
  'h4',
  'pre',
]);

function rebuild(node: Node, key: string): ReactNode {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const children = Array.from(element.childNodes).map((child, index) => rebuild(child, `${key}.${index}`));
  const tag = element.localName.toLowerCase();
  if (!ALLOWED.has(tag)) return <span key={key}>{children}</span>;
  const Tag = tag as 'p';
  if (tag === 'br') return <br key={key} />;
  return <Tag key={key}>{children}</Tag>;
}

export function Narrative({ xhtml }: { xhtml: string }) {
  const parsed = new DOMParser().parseFromString(xhtml, 'application/xhtml+xml');
  const root = parsed.documentElement;
  // A narrative that is not well-formed XHTML is shown as its plain text.
  const content =
    root.getElementsByTagName('parsererror').length > 0
      ? new DOMParser().parseFromString(xhtml, 'text/html').body.textContent
      : Array.from(root.childNodes).map((child, index) => rebuild(child, String(index)));
  return <div className="cb-narrative">{content}</div>;
}
